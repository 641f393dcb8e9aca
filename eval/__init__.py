"""Evaluation: labelled question sets, the runner, metrics and reports (kept apart from tests)."""
