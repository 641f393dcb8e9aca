"""Questions of any accepted length are answered: never a 500, a traceback or a lost chat session.

The embedding model reads 256 word pieces; the API accepts 2,000 characters, which is far more (about
500 word pieces of prose). A long question is embedded in overlapping windows (bot/embedding.py).
"""

from __future__ import annotations

import json

import pytest

from .test_cli import run  # noqa: F401 - the CLI fixture
from .web.conftest import make_client

# A reader pasting context before the question: 2,000 characters, well over the model's 256 word pieces.
PREFIX = "My neurologist mentioned a drug after my father's stroke and I have been reading a lot about it. "
LONG = (PREFIX * 30)[: 2000 - len("Is Cerebrolysin safe?") - 1] + " Is Cerebrolysin safe?"


def test_the_question_is_longer_than_the_model_reads(embedder):
    assert len(LONG) == 2000
    assert embedder.count_tokens(LONG) > embedder.max_tokens


def test_a_2000_character_question_is_answered_by_the_chain(bot):
    answer = bot.ask(LONG)
    assert answer.status in ("answered", "abstained", "refused")
    assert answer.status == "answered", answer.answer


def test_both_web_endpoints_answer_a_2000_character_question(sample_settings, bot, tmp_path):
    with make_client(sample_settings, bot, tmp_path) as client:
        whole = client.post("/api/chat", json={"message": LONG})
        assert whole.status_code == 200, whole.text
        assert whole.json()["status"] == "answered"
        with client.stream("POST", "/api/chat/stream", json={"message": LONG}) as response:
            assert response.status_code == 200
            body = "".join(response.iter_text())
        assert "event: done" in body and "event: error" not in body


@pytest.mark.slow
def test_ask_and_chat_take_a_2000_character_question(run):  # noqa: F811 - the fixture
    proc = run("ask", LONG, "--json")
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["status"] == "answered"
    chat = run("chat", stdin=f"{LONG}\nIs Semax approved in Russia?\n")
    assert chat.returncode == 0, chat.stderr
    assert "Traceback" not in chat.stderr
    assert chat.stdout.count("monobot> ") >= 2, "the session goes on after the long question"
