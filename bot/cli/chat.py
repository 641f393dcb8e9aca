"""monobot chat — an interactive terminal conversation, with line editing, history and a few slash commands.

Line editing and input history come from the standard library's readline (arrow keys, Ctrl-R; the history
is kept in the store folder between sessions). Lines starting with "/" are commands, never questions:
/help, /sources (the last answer's excerpts again), /reset (a new conversation, after a confirmation) and
/quit. Each session is a stored conversation, like `monobot ask`'s, so `chat -c` picks up where the last
conversation stopped and `monobot logs` lists it.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .common import add_store_option, ensure_index, fail, render, settings_from, source_lines

HELP = """Commands:
  /help      this list
  /sources   show the last answer's excerpts and sources again
  /reset     start a new conversation (asks first)
  /quit      leave (so do Ctrl-D and an empty line)
Anything else is a question; follow-ups use the conversation so far."""
COMMANDS = ("/help", "/sources", "/reset", "/quit", "/exit")
HISTORY_LINES = 1000


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "chat",
        help="interactive chat in the terminal",
        description="Interactive conversation with line editing and history. /help lists the commands.",
    )
    follow = p.add_mutually_exclusive_group()
    follow.add_argument(
        "-c",
        "--continue",
        dest="cont",
        action="store_true",
        help="continue the last stored conversation (default: start a new one)",
    )
    follow.add_argument(
        "--cid", metavar="ID", help="continue conversation ID, or a unique prefix of it (default: a new conversation)"
    )
    p.add_argument(
        "--no-sources", action="store_true", help="answers without excerpts; /sources shows them (default: shown)"
    )
    add_store_option(p)
    p.set_defaults(handler=run)


def setup_line_editing(history_file: Path) -> Callable[[], None]:
    """readline editing, a persistent input history and /command completion; returns the saver to call at exit.
    Without a terminal (piped input) there is nothing to edit, and nothing is written."""
    if not sys.stdin.isatty():
        return lambda: None
    try:
        import readline
    except ImportError:  # a Python built without readline: plain input() still works
        return lambda: None
    with contextlib.suppress(OSError):  # no history yet, or an unreadable one: start empty
        readline.read_history_file(history_file)
    readline.set_history_length(HISTORY_LINES)

    def complete(text: str, state: int) -> str | None:
        matches = [c for c in COMMANDS if c.startswith(text)] if text.startswith("/") else []
        return matches[state] if state < len(matches) else None

    readline.set_completer(complete)
    readline.set_completer_delims(" \t\n")
    readline.parse_and_bind("tab: complete")

    def save() -> None:
        with contextlib.suppress(OSError):  # a read-only store: the history is simply not kept
            history_file.parent.mkdir(parents=True, exist_ok=True)
            readline.write_history_file(history_file)

    return save


class Session:
    """One chat session: the history, the stored conversation, and the last answer (for /sources)."""

    def __init__(self, bot: Any, store: Any, cid: str | None, history: list[dict], sources: bool) -> None:
        self.bot = bot
        self.store = store
        self.cid = cid
        self.history = history
        self.sources = sources
        self.last: Any = None

    def ask(self, question: str) -> str:
        answer = self.bot.ask(question, self.history)
        self.last = answer
        self.history += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
        self._store(question, answer)
        return render(answer, sources=self.sources)

    def _store(self, question: str, answer: Any) -> None:
        from bot.conversations import ConversationsUnavailable

        if self.store is None:
            return
        try:
            self.cid = self.cid or self.store.create(question)
            self.store.add_turn(self.cid, question, answer)
        except ConversationsUnavailable as exc:
            print(f"monobot: {exc}; this conversation is not being stored", file=sys.stderr)
            self.store = None

    def reset(self) -> None:
        self.history = []
        self.cid = None
        self.last = None


def run(args: argparse.Namespace) -> int:
    from bot.conversations import ConversationError, ConversationStore, ConversationsUnavailable
    from bot.factory import build_bot
    from bot.index import IndexUnavailable

    settings = settings_from(args)
    store = ConversationStore(settings.database_url)
    cid, history = None, []
    try:
        if args.cont or args.cid:
            cid = store.resolve(args.cid) if args.cid else store.latest()
            if cid is None:
                return fail("no conversation to continue yet")
            history = store.history(cid)
    except (ConversationError, ConversationsUnavailable) as exc:
        return fail(str(exc))
    bot = build_bot(settings)
    try:
        ensure_index(settings, bot.store, bot.embedder)
    except IndexUnavailable as exc:
        return fail(str(exc))
    session = Session(bot, store, cid, history, sources=not args.no_sources)
    save_history = setup_line_editing(Path(settings.store) / "chat_history")
    resumed = f" Continuing conversation {cid} ({len(history) // 2} turns)." if cid else ""
    print(f"Ask about the monographs. /help lists commands; empty line or Ctrl-D quits.{resumed}")
    try:
        return loop(session)
    finally:
        save_history()


def loop(session: Session, read: Callable[[str], str] = input) -> int:
    while True:
        try:
            line = read("you> ").strip()
        except EOFError:
            print()
            return 0
        if not line or line in ("/quit", "/exit"):
            return 0
        if line.startswith("/"):
            if command(session, line, read) == "quit":
                return 0
            continue
        try:
            text = session.ask(line)
        except Exception as exc:  # the index went away mid-session: say so and keep the session
            print(f"monobot: {exc}", file=sys.stderr)
            continue
        print(f"\nmonobot> {text}\n")


def command(session: Session, line: str, read: Callable[[str], str]) -> str | None:
    name = line.split()[0].lower()
    if name == "/help":
        print(HELP)
    elif name == "/sources":
        if session.last is None:
            print("No answer yet.")
        elif not session.last.citations:
            print("The last answer cites no excerpts.")
        else:
            print("\n".join(source_lines(session.last)).lstrip("\n"))
    elif name == "/reset":
        try:
            sure = read("Start a new conversation? The bot forgets this one (it stays in `monobot logs`). [y/N] ")
        except EOFError:
            return "quit"
        if sure.strip().lower() in ("y", "yes"):
            session.reset()
            print("Started a new conversation.")
        else:
            print("Kept the conversation.")
    else:
        print(f"Unknown command {name}; /help lists the commands. (Questions never start with '/'.)")
    return None
