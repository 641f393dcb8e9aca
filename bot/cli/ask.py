"""monobot ask "QUESTION" — one answer with cited excerpts, for a person or (--json) for a program."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import add_store_option, ensure_index, fail, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ask", help="answer one question")
    p.add_argument("question")
    p.add_argument("--history", type=Path, help="JSON file: a list of {role: user|assistant, content}")
    add_store_option(p)
    p.add_argument("--json", action="store_true", help="print the answer object as JSON")
    p.set_defaults(handler=run)


def load_history(path: Path | None) -> list[dict]:
    if path is None:
        return []
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"history file {path}: {exc}") from None
    if not isinstance(data, list):
        raise ValueError(f"history file {path}: expected a JSON list of {{role, content}} objects")
    for i, turn in enumerate(data):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise ValueError(f'history file {path}: item {i} must be {{"role": "user"|"assistant", "content": "..."}}')
    return data


def run(args: argparse.Namespace) -> int:
    if not args.question.strip():
        return fail("the question is empty")
    try:
        history = load_history(args.history)
    except ValueError as exc:
        return fail(str(exc))
    from bot.factory import build_bot
    from bot.index import IndexUnavailable

    settings = settings_from(args)
    bot = build_bot(settings)
    try:
        ensure_index(settings, bot.store, bot.embedder)
        answer = bot.ask(args.question, history)
    except IndexUnavailable as exc:
        return fail(str(exc))
    if args.json:
        json.dump(answer.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    else:
        print(answer.render_text())
    return 0
