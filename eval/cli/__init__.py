"""Evaluation and developer-tool commands, joined to `monobot` through the `monobot.commands` entry points."""
