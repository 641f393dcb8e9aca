"""Requests Slack did not sign, or signed but garbled, get clean 4xx; an unreachable Slack API never a 500.

Issue 16 item 8: a non-numeric X-Slack-Request-Timestamp (unauthenticated) gave 500, so did validly
signed garbage JSON, and with the Slack API unreachable every event got 500 because Bolt's
authorization (auth.test) ran before the ack.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from types import SimpleNamespace

import httpx
import pytest

from bot.feedback import FeedbackStore

from ..conftest import free_port
from .helpers import SECRET, live_slack, mention, send_event, signed


@pytest.mark.parametrize("timestamp", ["not-a-number", "", "12.5", "1e9", "-5"])
def test_a_bad_timestamp_is_401_not_500(slack, fake, timestamp):
    body = json.dumps({"type": "event_callback", "event": mention("Is Semax safe?")})
    headers = {**signed(body, "application/json"), "X-Slack-Request-Timestamp": timestamp}
    response = httpx.post(f"{slack.url}/slack/events", content=body, headers=headers, timeout=10)
    assert response.status_code == 401, response.text
    assert slack.slack_bot.settled.count == 0 and fake.calls == []


@pytest.mark.parametrize(
    "body,content_type",
    [
        ("{not json", "application/json"),
        ('["a", "list"]', "application/json"),
        ("\udcff", "application/json"),
        ("payload=%7Bnot+json", "application/x-www-form-urlencoded"),
        ("payload=%22a+string%22", "application/x-www-form-urlencoded"),
        ("no-equals-sign", "application/x-www-form-urlencoded"),
    ],
)
def test_validly_signed_garbage_is_400_not_500(slack, fake, body, content_type):
    raw = body.encode("utf-8", "surrogateescape")  # "\udcff" becomes the lone byte 0xff: not UTF-8
    ts = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + raw, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={signature}", "Content-Type": content_type}
    response = httpx.post(f"{slack.url}/slack/events", content=raw, headers=headers, timeout=10)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_request"
    assert fake.calls == []


def test_unreachable_slack_api_still_acks_and_logs_the_failure(sample_settings, fake_bot, tmp_path, caplog):
    nowhere = SimpleNamespace(url=f"http://127.0.0.1:{free_port()}")  # nothing listens there
    feedback = FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}")
    with live_slack(sample_settings, fake_bot, feedback, nowhere) as server, caplog.at_level(logging.WARNING):
        statuses = [
            send_event(server, mention("Is Semax safe?", ts=f"1700006000.00010{i}"), event_id=f"EvDown{i}").status_code
            for i in range(3)
        ]
        assert statuses == [200, 200, 200]
        assert server.slack_bot.settled.wait_for(3), "the listeners never finished"
    failures = [r for r in caplog.records if r.name == "monobot.slack" and r.levelno >= logging.WARNING]
    assert any("could not" in r.getMessage() for r in failures), [r.getMessage() for r in failures]
    assert server.slept, "the connection errors were retried (with back-off) before giving up"
