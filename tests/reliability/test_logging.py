"""Logs are JSON lines with the request id, never contain secrets, and keep questions out unless debug is on."""

from __future__ import annotations

import io
import json
import logging

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from bot import logs
from bot.chain import AllowAll, Bot
from bot.factory import build_bot
from bot.feedback import FeedbackStore
from bot.web.app import create_app

from ..stubs.chat_models import ScriptedChatModel


@pytest.fixture()
def captured():
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    yield lambda **kw: (logs.configure(stream=stream, **kw), stream)[1]
    root.handlers, root.level = saved[0], saved[1]
    for handler in saved[0]:
        handler.setLevel(logging.NOTSET)


def lines(stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_request_id_runs_through_web_and_chain(captured, sample_settings, sample_store, embedder, tmp_path):
    stream = captured(level="INFO")
    bot = build_bot(
        sample_settings,
        store=sample_store,
        embedder=embedder,
        chat_model=ScriptedChatModel(script=lambda m: "Made-up figure 99.9 [1]."),
    )
    app = create_app(
        sample_settings.model_copy(update={"rate_limit_per_minute": 1000}),
        bot=bot,
        feedback=FeedbackStore(f"sqlite:///{tmp_path / 'f.db'}"),
    )
    with TestClient(app) as client:
        r = client.post("/api/chat", json={"message": "Is Semax approved?"}, headers={"X-Request-ID": "req42abc"})
        assert r.headers["x-request-id"] == "req42abc"
    records = lines(stream)
    mine = [rec for rec in records if rec["request_id"] == "req42abc"]
    assert {rec["logger"] for rec in mine} >= {"monobot.web", "bot.chain"}  # the web log and the chain's LLM fallback
    assert all({"ts", "level", "logger", "msg", "request_id"} <= set(rec) for rec in records)


def test_secrets_are_masked(captured, sample_settings):
    token = "xoxb-1234567890-SECRETVALUE"
    settings = sample_settings.model_copy(
        update={"slack_bot_token": SecretStr(token), "llm_api_key": SecretStr("my-private-key-xyz")}
    )
    stream = captured(level="INFO", secrets=logs.secrets_of(settings))
    log = logging.getLogger("monobot.test")
    log.warning("config dump: %s key=%s", token, "my-private-key-xyz")
    log.warning("settings: %r", settings)
    log.warning("stray token sk-abcdefghijklmnopqrstuvwx in a message")
    text = stream.getvalue()
    assert token not in text and "my-private-key-xyz" not in text and "sk-abcdefghijklmnop" not in text
    assert text.count("[redacted]") >= 3 or "**********" in text


@pytest.mark.parametrize("debug", [False, True])
def test_question_text_stays_out_of_error_logs_unless_debug(
    captured, sample_settings, sample_store, embedder, tmp_path, debug
):
    stream = captured(level="INFO", debug=debug)

    class Exploding(Bot):
        def ask(self, question, history=None):
            raise RuntimeError(f"failed on {question}")

    settings = sample_settings.model_copy(update={"rate_limit_per_minute": 1000, "debug": debug})
    app = create_app(
        settings,
        bot=Exploding(settings, sample_store, embedder, guard=AllowAll()),
        feedback=FeedbackStore(f"sqlite:///{tmp_path / 'f.db'}"),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post("/api/chat", json={"message": "ZEBRA-QUESTION-7"}).status_code == 500
    errors = [rec for rec in lines(stream) if rec["level"] == "ERROR"]
    assert errors
    assert any("ZEBRA-QUESTION-7" in json.dumps(rec) for rec in errors) is debug


def test_secrets_read_from_the_environment_never_print():
    from bot.settings import Settings

    settings = Settings(_env_file=None, llm_api_key="sk-from-env-123", slack_bot_token="xoxb-from-env-456")
    shown = repr(settings) + str(settings.model_dump())
    assert "sk-from-env-123" not in shown and "xoxb-from-env-456" not in shown
