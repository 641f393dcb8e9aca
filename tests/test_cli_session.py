"""The CLI's pieces in-process (fast): stored conversations, the chat loop's commands, the terminal rendering."""

from __future__ import annotations

import argparse
import io

import pytest

from bot.cli.chat import Session, loop
from bot.cli.common import parse_history, render, reviewed_label
from bot.contract import Answer, Evidence
from bot.conversations import ConversationError, ConversationStore, ConversationsUnavailable

from .stubs.bots import ANSWERED


class RecordingBot:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[dict]]] = []

    def ask(self, question: str, history: list[dict]) -> Answer:
        self.calls.append((question, list(history)))
        return ANSWERED.model_copy(update={"question": question})


@pytest.fixture()
def store(tmp_path):
    return ConversationStore(f"sqlite:///{tmp_path / 'log.sqlite3'}")


def test_conversations_are_stored_resolved_by_prefix_and_listed(store):
    assert store.latest() is None and store.recent() == []
    first = store.create("Is Semax safe?")
    store.add_turn(first, "Is Semax safe?", ANSWERED)
    store.add_turn(first, "and long term?", ANSWERED)
    second = store.create("Tell me about BPC-157")
    assert store.latest() == second
    assert store.resolve(first[:6]) == first
    history = store.history(first)
    assert [t["role"] for t in history] == ["user", "assistant", "user", "assistant"]
    assert history[2]["content"] == "and long term?" and history[1]["content"] == ANSWERED.answer
    assert store.turns(first)[0]["answer_json"]["citations"][0]["doc"] == "fake-monograph"
    recent = store.recent()
    assert [(s.id, s.turns) for s in recent] == [(second, 0), (first, 2)]
    with pytest.raises(ConversationError, match="no conversation"):
        store.resolve("zzzz")
    with pytest.raises(ConversationError, match="empty"):
        store.resolve(" ")


def test_an_ambiguous_prefix_names_the_candidates(store):
    ids = {store.create(f"q{i}") for i in range(40)}
    shared = next(a[:1] for a in ids if sum(b.startswith(a[:1]) for b in ids) > 1)
    with pytest.raises(ConversationError, match="matches several"):
        store.resolve(shared)


def test_an_unwritable_database_is_reported_not_swallowed(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a database " * 200)
    bad = ConversationStore(f"sqlite:///{blocker}")  # a file that is not a database
    with pytest.raises(ConversationsUnavailable, match=r"\(sqlite\) is unavailable"):
        bad.create("q")


def feed(*lines: str):
    queue = list(lines)

    def read(prompt: str) -> str:
        if not queue:
            raise EOFError
        return queue.pop(0)

    return read


def test_chat_commands_are_never_sent_as_questions(store, capsys):
    bot = RecordingBot()
    session = Session(bot, store, None, [], sources=False)
    code = loop(session, feed("/help", "/sources", "Is it safe?", "/sources", "/bogus", "/reset", "n", "again?"))
    out = capsys.readouterr().out
    assert code == 0
    assert [q for q, _ in bot.calls] == ["Is it safe?", "again?"]
    assert "/reset" in out and "/sources" in out  # the help text
    assert "No answer yet." in out
    assert "Trial participants tolerated it" in out and "[1] Fake monograph — Safety" in out  # /sources
    assert "Unknown command /bogus" in out
    assert "Kept the conversation." in out
    assert bot.calls[1][1][0] == {"role": "user", "content": "Is it safe?"}  # history kept after "n"
    assert len(store.turns(session.cid)) == 2


def test_chat_reset_asks_first_then_starts_a_new_conversation(store, capsys):
    bot = RecordingBot()
    session = Session(bot, store, None, [], sources=True)
    loop(session, feed("Is it safe?", "/reset", "y", "Fresh question"))
    out = capsys.readouterr().out
    assert "Started a new conversation." in out
    assert bot.calls[1] == ("Fresh question", [])
    assert len(store.recent()) == 2


def test_rendering_shows_weak_badge_study_type_review_date_stale_notice_and_suggestions():
    citation = ANSWERED.citations[0].model_copy(update={"study_type": "rct", "reviewed": "2025-03"})
    answer = ANSWERED.model_copy(
        update={
            "citations": [citation],
            "evidence": Evidence(score=0.5, chunk=0.5, sentence=0.5, coverage=0.5, level="weak"),
            "stale_notice": "This monograph is over two years old.",
            "suggestions": ["Where is it approved?"],
        }
    )
    text = render(answer)
    assert text.startswith("[Weak evidence]")
    assert "(Randomised trial; Monograph reviewed March 2025)" in text
    assert "This monograph is over two years old." in text
    assert "You could also ask:\n  - Where is it approved?" in text
    short = render(answer, sources=False)
    assert "[1] Fake monograph" not in short and "Where is it approved?" in short
    assert reviewed_label("2025") == "Monograph reviewed 2025" and reviewed_label(None) is None


def test_history_parsing_names_the_bad_item():
    assert parse_history('[{"role": "user", "content": "hi"}]', "x") == [{"role": "user", "content": "hi"}]
    with pytest.raises(ValueError, match="item 1 must be"):
        parse_history('[{"role": "user", "content": "hi"}, {"role": "bot"}]', "x")
    with pytest.raises(ValueError, match="not valid JSON"):
        parse_history("[", "x")


def test_ask_reads_the_question_from_stdin(monkeypatch):
    from bot.cli.ask import read_question

    monkeypatch.setattr("sys.stdin", io.StringIO("  Is Semax safe?\n"))
    assert read_question(argparse.Namespace(question=None, history=None)) == "Is Semax safe?"
    monkeypatch.setattr("sys.stdin", io.StringIO("x"))
    with pytest.raises(ValueError, match="cannot both come from standard input"):
        read_question(argparse.Namespace(question="-", history="-"))
    assert read_question(argparse.Namespace(question=" Q ", history="-")) == "Q"
