"""Abuse that used to get through (issue 16 items 6 and 8): forwarded-address rotation, repeated votes,
per-worker limits, lone surrogates. Live-server tests run uvicorn exactly as `monobot serve` configures it."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from sqlalchemy import select

from bot.feedback import FeedbackStore, feedback
from bot.web.app import create_app
from bot.web.server import config as server_config
from bot.web.server import worker_settings

from ..conftest import free_port
from ..stubs.bots import FakeBot
from .conftest import make_client


@contextlib.contextmanager
def served(settings, store: FeedbackStore, bot=None) -> Iterator[str]:
    """The app on 127.0.0.1 under bot.web.server's uvicorn configuration (as `monobot serve` runs it)."""
    port = free_port()
    app = create_app(settings, bot=bot or FakeBot(), feedback=store)
    server = uvicorn.Server(server_config(app, settings, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize(
    "body",
    [
        b'{"message": "Is Semax safe? \\ud800"}',
        b'{"message": "\\udfff"}',
        b'{"message": "ok", "history": [{"role": "user", "content": "a\\ud83d"}]}',
    ],
)
def test_lone_surrogates_are_422_not_500(client, body):
    response = client.post("/api/chat", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and ("surrogate" in error["message"] or "unicode" in error["message"])
    stream = client.post("/api/chat/stream", content=body, headers={"Content-Type": "application/json"})
    assert stream.status_code == 422


def test_lone_surrogate_in_a_feedback_comment_is_422(client):
    answer = client.post("/api/chat", json={"message": "Is Semax safe?"}).json()
    body = b'{"answer_id": "' + answer["id"].encode() + b'", "rating": "up", "comment": "\\ud800"}'
    response = client.post("/api/feedback", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422


def votes(store: FeedbackStore, answer_id: str) -> list[dict]:
    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(feedback).where(feedback.c.answer_id == answer_id))]


def test_one_vote_per_client_per_answer_whatever_the_headers(sample_settings, fake_bot, tmp_path):
    with make_client(sample_settings, fake_bot, tmp_path) as c:
        answer = c.post("/api/chat", json={"message": "Is Semax safe?"}).json()["id"]
        for i, rating in enumerate(["up", "down", "up", "up", "down"]):
            r = c.post(
                "/api/feedback",
                json={"answer_id": answer, "rating": rating},
                headers={"X-Forwarded-For": f"10.0.0.{i}", "X-Real-IP": f"10.1.0.{i}"},
            )
            assert r.status_code == 200
        store = c.app.state.services.feedback
    rows = votes(store, answer)
    assert len(rows) == 1 and rows[0]["rating"] == "down"


@pytest.mark.slow
def test_rotating_forwarded_for_from_localhost_does_not_bypass_the_limit(sample_settings, tmp_path):
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 by default; monobot's server does not."""
    settings = worker_settings(sample_settings.model_copy(update={"rate_limit_per_minute": 3}))
    with served(settings, FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}")) as url, httpx.Client() as http:
        codes = [
            http.post(
                f"{url}/api/chat", json={"message": "Is Semax safe?"}, headers={"X-Forwarded-For": f"203.0.113.{i}"}
            ).status_code
            for i in range(10)
        ]
    assert codes == [200] * 3 + [429] * 7


@pytest.mark.slow
def test_a_trusted_proxy_names_the_client_and_cannot_be_spoofed_through(sample_settings, tmp_path):
    settings = worker_settings(
        sample_settings.model_copy(update={"rate_limit_per_minute": 3, "trusted_proxies": "127.0.0.1"})
    )
    with served(settings, FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}")) as url, httpx.Client() as http:

        def ask(forwarded: str) -> int:
            headers = {"X-Forwarded-For": forwarded}
            return http.post(f"{url}/api/chat", json={"message": "Is Semax safe?"}, headers=headers).status_code

        assert [ask(f"198.51.100.{i}") for i in range(6)] == [200] * 6  # six readers behind the proxy
        # One reader prepending made-up addresses: the proxy appends the real one, which is what counts.
        assert [ask(f"10.9.9.{i}, 203.0.113.7") for i in range(5)] == [200] * 3 + [429] * 2


@pytest.mark.slow
def test_two_workers_share_one_salt_so_a_client_votes_once(sample_settings, tmp_path):
    """Two app instances (as two `serve --workers 2` processes) on one database: one row per client."""
    settings = worker_settings(sample_settings.model_copy(update={"rate_limit_per_minute": 1000}))
    store_a = FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}")
    store_b = FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}")
    with served(settings, store_a) as one, served(settings, store_b) as two, httpx.Client() as http:
        answer = http.post(f"{one}/api/chat", json={"message": "Is Semax safe?"}).json()["id"]
        for i in range(6):
            url = one if i % 2 else two
            r = http.post(f"{url}/api/feedback", json={"answer_id": answer, "rating": "up"})
            assert r.status_code == 200, r.text
    assert len(votes(store_a, answer)) == 1
