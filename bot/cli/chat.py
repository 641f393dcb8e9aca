"""monobot chat — an interactive terminal conversation; follow-ups use the history."""

from __future__ import annotations

import argparse

from .common import add_store_option, ensure_index, fail, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="interactive chat in the terminal")
    add_store_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.factory import build_bot
    from bot.index import IndexUnavailable

    settings = settings_from(args)
    bot = build_bot(settings)
    try:
        ensure_index(settings, bot.store, bot.embedder)
    except IndexUnavailable as exc:
        return fail(str(exc))
    history: list[dict] = []
    print("Ask about the monographs. Empty line or Ctrl-D to quit; /reset starts over.")
    while True:
        try:
            question = input("you> ").strip()
        except EOFError:
            print()
            return 0
        if not question:
            return 0
        if question == "/reset":
            history.clear()
            continue
        answer = bot.ask(question, history)
        print(f"\nmonobot> {answer.render_text()}\n")
        history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
