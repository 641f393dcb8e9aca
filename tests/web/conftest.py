"""Web fixtures: the app over the session's sample index, and a real uvicorn server for browser tests."""

from __future__ import annotations

import threading
import time

import pytest
import uvicorn
from fastapi.testclient import TestClient

from bot.feedback import FeedbackStore
from bot.web.app import create_app

from ..conftest import free_port


def make_client(settings, bot, tmp_path, **overrides) -> TestClient:
    settings = settings.model_copy(update={"rate_limit_per_minute": 10_000, **overrides})
    feedback = FeedbackStore(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    return TestClient(create_app(settings, bot=bot, feedback=feedback))


@pytest.fixture()
def client(sample_settings, bot, tmp_path):
    with make_client(sample_settings, bot, tmp_path) as c:
        yield c


class LiveServer:
    """uvicorn in a background thread on 127.0.0.1, stopped at the end of the test module."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
