"""monobot ask "QUESTION" — one answer with cited excerpts, for a person or (--json) for a program.

Every question is stored as a turn of a conversation in the question-log database (bot/conversations.py),
so `-c` follows up on the last conversation and `--cid ID` on any other, with no history file to write.
The question may come from standard input (`-` or no argument), and so may a history (`--history -`).
The conversation is read before the chain is loaded only when one is continued; a new one is saved after
the answer is printed, so storing it never delays the answer.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings

from .common import add_store_option, ensure_index, fail, parse_history, read_stdin, render, settings_from

if TYPE_CHECKING:
    from bot.contract import Answer
    from bot.conversations import ConversationStore


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "ask",
        help="answer one question",
        description="Answer one question with cited excerpts. Each question is stored as a turn of a conversation "
        "(see `monobot logs`); -c or --cid follows up on one.",
    )
    p.add_argument(
        "question", nargs="?", help="the question; '-' or omitted: read it from standard input (default: omitted)"
    )
    follow = p.add_mutually_exclusive_group()
    follow.add_argument(
        "-c", "--continue", dest="cont", action="store_true", help="follow up on the last conversation (default: off)"
    )
    follow.add_argument(
        "--cid",
        metavar="ID",
        help="follow up on conversation ID, or a unique prefix of it (default: a new conversation)",
    )
    follow.add_argument(
        "--history",
        metavar="FILE",
        help="history as a JSON list of {role: user|assistant, content}; '-' reads it from standard input (default: none)",
    )
    p.add_argument(
        "--no-save", action="store_true", help="do not store this question and answer as a conversation (default: off)"
    )
    add_store_option(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print the answer object as JSON (default: text)")
    out.add_argument("-q", "--quiet", action="store_true", help="print the answer text only (default: off)")
    p.add_argument(
        "--no-sources", action="store_true", help="leave out the numbered excerpts and sources (default: shown)"
    )
    p.set_defaults(handler=run)


def read_question(args: argparse.Namespace) -> str:
    """The question from the argument or standard input; ValueError says what is missing."""
    if args.question not in (None, "-"):
        return args.question.strip()
    if args.history == "-":
        raise ValueError("the question and the history cannot both come from standard input")
    if sys.stdin is None or sys.stdin.isatty():
        raise ValueError("no question: give one as an argument, or pipe it to standard input")
    return read_stdin().strip()


def read_history(args: argparse.Namespace) -> list[dict]:
    if args.history is None:
        return []
    if args.history == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise ValueError("--history -: nothing on standard input")
        return parse_history(read_stdin(), "history on standard input")
    path = Path(args.history)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"history file {path}: {exc}") from None
    return parse_history(text, f"history file {path}")


def run(args: argparse.Namespace) -> int:
    try:
        question = read_question(args)
        history = read_history(args)
    except ValueError as exc:
        return fail(str(exc))
    if not question:
        return fail("the question is empty")
    settings = settings_from(args)
    conversations, cid = None, None
    if args.cont or args.cid:
        from bot.conversations import ConversationError, ConversationStore, ConversationsUnavailable

        conversations = ConversationStore(settings.database_url)
        try:
            cid = conversations.resolve(args.cid) if args.cid else conversations.latest()
            if cid is None:
                return fail("no conversation to continue yet: ask a question without -c first")
            history = conversations.history(cid)
        except (ConversationError, ConversationsUnavailable) as exc:
            return fail(str(exc))

    from bot.factory import build_bot
    from bot.index import IndexUnavailable

    bot = build_bot(settings)
    try:
        ensure_index(settings, bot.store, bot.embedder)
        answer = bot.ask(question, history)
    except IndexUnavailable as exc:
        return fail(str(exc))
    if args.json:
        json.dump(answer.to_dict(), sys.stdout, ensure_ascii=False, indent=2)
        print()
    elif args.quiet:
        print(answer.answer)
    else:
        print(render(answer, sources=not args.no_sources))
    sys.stdout.flush()
    if not args.no_save:
        return _save(settings, conversations, cid, question, answer, announce=not (args.quiet or args.json))
    return 0


def _save(
    settings: Settings,
    conversations: ConversationStore | None,
    cid: str | None,
    question: str,
    answer: Answer,
    announce: bool,
) -> int:
    """Store the turn; a database that cannot be written is reported (exit 1) after the answer was shown."""
    from bot.conversations import ConversationStore, ConversationsUnavailable

    try:
        conversations = conversations or ConversationStore(settings.database_url)
        cid = cid or conversations.create(question)
        conversations.add_turn(cid, question, answer)
    except ConversationsUnavailable as exc:
        return fail(f"{exc}; the answer above was not stored", code=1)
    if announce and sys.stderr.isatty():
        print(f"monobot: conversation {cid} (follow up with `monobot ask -c`)", file=sys.stderr)
    return 0
