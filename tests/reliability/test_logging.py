"""Logs are JSON lines with the request id, never contain secrets, and keep questions out unless debug is on."""

from __future__ import annotations

import io
import json
import logging

import httpx
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


# ---- issue 16 item 3: private data never reaches the log at the default level

QUESTION = "What did the CASTA trial find?"
MARKERS = (QUESTION, "CASTA trial find", "UPRIVATE9")  # the question text and the Slack user id


class EchoingProvider(ScriptedChatModel):
    """A provider whose error text echoes the whole prompt, as real ones do on a 400."""


def echo_failure(messages):
    raise RuntimeError("Error code: 400 - invalid request: " + " ".join(str(m.content) for m in messages))


def test_a_hostile_run_logs_neither_the_question_nor_the_user_id(
    captured, sample_settings, sample_store, embedder, tmp_path
):
    """Web and Slack, at the default level with debug off: an LLM error echoing the prompt, a Slack request
    with a bad signature and one with a bad timestamp, signed garbage, an event no listener handles, Slack's
    API failing, and an ordinary answer. No log line may contain the question or the user id."""
    from ..slack.fake_slack import FakeSlack
    from ..slack.helpers import live_slack, send_event, signed

    stream = captured(level="INFO", debug=False)
    bot = build_bot(
        sample_settings, store=sample_store, embedder=embedder, chat_model=EchoingProvider(script=echo_failure)
    )
    fake = FakeSlack().start()
    try:
        feedback = FeedbackStore(f"sqlite:///{tmp_path / 'f.db'}")
        with live_slack(sample_settings, bot, feedback, fake) as server:
            chat = httpx.post(f"{server.url}/api/chat", json={"message": QUESTION}, timeout=30)
            assert chat.status_code == 200 and chat.json()["mode"] == "extractive"  # the LLM failed, quietly
            event = {
                "type": "app_mention",
                "user": "UPRIVATE9",
                "text": f"<@UBOT> {QUESTION}",
                "ts": "1700007000.000100",
                "channel": "C1",
                "channel_type": "channel",
            }
            assert send_event(server, event, event_id="EvBadSig", secret="wrong").status_code == 401
            body = json.dumps({"type": "event_callback", "event": event})
            bad_ts = {**signed(body, "application/json"), "X-Slack-Request-Timestamp": "soon"}
            assert httpx.post(f"{server.url}/slack/events", content=body, headers=bad_ts).status_code == 401
            garbage = f"{{not json {QUESTION} UPRIVATE9"
            assert (
                httpx.post(
                    f"{server.url}/slack/events", content=garbage, headers=signed(garbage, "application/json")
                ).status_code
                == 400
            )
            unhandled = {"type": "reaction_added", "user": "UPRIVATE9", "reaction": QUESTION, "item": {}}
            send_event(server, unhandled, event_id="EvUnhandled")
            fake.fail_next("chat.update", 500, "internal_error", times=3)
            assert send_event(server, event, event_id="EvAnswer").status_code == 200
            assert server.slack_bot.settled.wait_for(1), "the listener never finished"
    finally:
        fake.stop()
    text = stream.getvalue()
    assert "LLM answer rejected" in text and "slack" in text  # the run did log its failures
    for line in text.splitlines():
        for marker in MARKERS:
            assert marker not in line, line


def test_condense_failure_does_not_log_the_prompt(captured, sample_settings, sample_store, embedder):
    stream = captured(level="INFO", debug=False)
    bot = build_bot(
        sample_settings, store=sample_store, embedder=embedder, chat_model=EchoingProvider(script=echo_failure)
    )
    history = [{"role": "user", "content": "Is Semax safe?"}, {"role": "assistant", "content": "Mostly [1]."}]
    bot.ask("and what did the trials find about allergic reactions?", history)
    text = stream.getvalue()
    assert "condense fell back" in text  # the condense step did fail, and said so
    assert "allergic reactions" not in text
