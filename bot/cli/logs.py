"""monobot logs [ID] — the stored command-line conversations (newest first), or one conversation in full."""

from __future__ import annotations

import argparse
import json
import sys
import time

from .common import add_store_option, fail, render, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "logs",
        help="list stored conversations, or show one",
        description="Conversations stored by `monobot ask` and `monobot chat`, newest first. "
        "Continue one with `monobot ask --cid ID` or `monobot chat --cid ID`.",
    )
    p.add_argument(
        "cid",
        nargs="?",
        metavar="ID",
        help="show this conversation (an id or a unique prefix of one; default: list them)",
    )
    p.add_argument("-n", "--limit", type=int, default=20, help="most conversations listed (default: 20)")
    p.add_argument("--json", action="store_true", help="print JSON (default: text)")
    p.add_argument(
        "--no-sources", action="store_true", help="when showing one: answers without their excerpts (default: shown)"
    )
    add_store_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.contract import Answer
    from bot.conversations import ConversationError, ConversationStore, ConversationsUnavailable

    if args.limit < 1:
        return fail("--limit must be at least 1")
    store = ConversationStore(settings_from(args).database_url)
    try:
        if args.cid:
            cid = store.resolve(args.cid)
            turns = store.turns(cid)
        else:
            recent = store.recent(args.limit)
    except (ConversationError, ConversationsUnavailable) as exc:
        return fail(str(exc))
    if args.cid:
        if args.json:
            json.dump({"id": cid, "turns": turns}, sys.stdout, ensure_ascii=False, indent=2, default=str)
            print()
            return 0
        for t in turns:
            stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(t["created"]))
            print(f"--- {stamp}\nyou> {t['question']}\n")
            answer = Answer.model_validate(t["answer_json"]) if t.get("answer_json") else None
            print(f"monobot> {render(answer, sources=not args.no_sources) if answer else t['answer']}\n")
        return 0
    if args.json:
        json.dump([s.to_dict() for s in recent], sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    if not recent:
        print("No stored conversations yet (`monobot ask` and `monobot chat` store them).")
        return 0
    print(f"{'id':12}  {'last question':16}  turns  first question")
    for s in recent:
        stamp = time.strftime("%Y-%m-%d %H:%M", time.localtime(s.updated))
        title = s.title if len(s.title) <= 70 else s.title[:69] + "…"
        print(f"{s.id:12}  {stamp:16}  {s.turns:>5}  {title}")
    return 0
