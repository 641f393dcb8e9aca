"""`monobot` command line: thin commands over library functions; heavy imports happen inside the handlers.

Each command lives in its own module exposing `register(subparsers)`; adding a command means adding
its module name to COMMANDS.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

COMMANDS = ["ingest", "ask", "chat", "guardrail", "eval_cmd", "serve", "load", "slack", "bench", "soak"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="monobot", description="Answers questions from health-evidence monographs, with cited excerpts.")
    parser.add_argument("--version", action="version", version="monobot 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"bot.cli.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
