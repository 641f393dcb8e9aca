"""`monobot` command line: thin commands over library functions; heavy imports happen inside the handlers.

The runtime's own commands (ingest, ask, chat, serve, slack) live here, one module each exposing
`register(subparsers)`. Evaluation and developer tools (eval, guardrail eval, bench, soak, load) live in
the `eval` package and join the same command line through the `monobot.commands` entry-point group
declared in pyproject.toml, so the runtime package never imports them.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from bot import __version__

COMMANDS = ["ingest", "ask", "chat", "serve", "slack", "status", "docs", "logs", "completion"]
PLUGIN_GROUP = "monobot.commands"


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or (when `command` is one of the runtime's own) just enough to run it:
    finding and importing the plugin commands costs about 0.2 s that a cold `monobot ask` should not pay."""
    parser = argparse.ArgumentParser(
        prog="monobot", description="Answers questions from health-evidence monographs, with cited excerpts."
    )
    parser.add_argument("--version", action="version", version=f"monobot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"bot.cli.{name}").register(sub)
    if command not in COMMANDS:
        from importlib.metadata import entry_points

        for plugin in sorted(entry_points(group=PLUGIN_GROUP), key=lambda ep: ep.name):
            plugin.load()(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(argv[0] if argv else None).parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
