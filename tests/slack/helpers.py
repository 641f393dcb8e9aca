"""Signed Slack requests over HTTP, and the web app with Slack HTTP mode on a live port."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
from pydantic import SecretStr

from bot.feedback import FeedbackStore
from bot.web.app import create_app

from ..web.conftest import LiveServer

SECRET = "test-signing-secret"


@contextlib.contextmanager
def live_slack(settings, bot, feedback: FeedbackStore, fake) -> Iterator[LiveServer]:
    """One app instance (as one `monobot serve` worker would be): Slack HTTP mode, Web API at the fake.

    Sleeps are recorded, not slept.
    """
    settings = settings.model_copy(
        update={
            "slack_signing_secret": SecretStr(SECRET),
            "slack_bot_token": SecretStr("xoxb-test"),
            "slack_api_url": f"{fake.url}/api/",
            "rate_limit_per_minute": 10_000,
        }
    )
    app = create_app(settings, bot=bot, feedback=feedback)
    with LiveServer(app) as live:
        app.state.slack_router.get_handler()
        slack_bot = app.state.slack_router.slack["bot"]
        slept: list[float] = []
        slack_bot.sleep = slept.append
        live.slept, live.feedback, live.slack_bot = slept, feedback, slack_bot
        yield live


class RecordingBot:
    """The real chain, with every (question, history) it was asked recorded."""

    def __init__(self, bot) -> None:
        self.bot = bot
        self.calls: list[tuple[str, list[dict]]] = []

    def ask(self, question: str, history: list[dict] | None = None):
        self.calls.append((question, list(history or [])))
        return self.bot.ask(question, history)


def signed(
    body: str, content_type: str, timestamp: int | None = None, secret: str = SECRET, retry: int | None = None
) -> dict:
    ts = str(timestamp or int(time.time()))
    sig = "v0=" + hmac.new(secret.encode(), f"v0:{ts}:{body}".encode(), hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": sig, "Content-Type": content_type}
    if retry is not None:
        headers.update({"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"})
    return headers


def send_event(server, event: dict, event_id: str = "Ev1", **kw) -> httpx.Response:
    body = json.dumps(
        {
            "token": "t",
            "team_id": "T1",
            "api_app_id": "A1",
            "type": "event_callback",
            "event_id": event_id,
            "event_time": int(time.time()),
            "event": event,
        }
    )
    return httpx.post(
        f"{server.url}/slack/events", content=body, headers=signed(body, "application/json", **kw), timeout=10
    )


def send_form(server, data: dict, **kw) -> httpx.Response:
    body = urlencode(data)
    return httpx.post(
        f"{server.url}/slack/events",
        content=body,
        headers=signed(body, "application/x-www-form-urlencoded", **kw),
        timeout=10,
    )


def mention(text: str, ts: str = "1700000100.000100", channel: str = "C1", thread_ts: str | None = None) -> dict:
    event = {
        "type": "app_mention",
        "user": "U1",
        "text": f"<@UBOT> {text}",
        "ts": ts,
        "channel": channel,
        "channel_type": "channel",
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def reply(text: str, ts: str, thread_ts: str, user: str = "U1", channel: str = "C1", **extra: object) -> dict:
    """A message event for a reply in a channel thread (no mention)."""
    return {
        "type": "message",
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "channel": channel,
        **extra,
    }


def final_update(fake) -> dict:
    fake.wait_for(lambda f: f.calls_to("chat.update"))
    return fake.calls_to("chat.update")[-1]["body"]


def wait_until(predicate, timeout: float = 15.0) -> bool:
    """Poll a condition the app signals (listeners finished); True once it holds, False at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False
