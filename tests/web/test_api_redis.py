"""Rate limits shared through a real Redis: two workers (or hosts) allow the budget once, not twice.

Issue 16 item 6: limits were per worker, so N workers allowed N x the budget. The test starts Debian's
redis-server on 127.0.0.1 (no persistence, killed at the end; `timeout` bounds its life either way).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import httpx
import pytest
import redis

from bot.feedback import FeedbackStore
from bot.web.server import worker_settings

from ..conftest import free_port
from .test_api_abuse import served

pytestmark = pytest.mark.slow  # starts redis-server and live web servers


@pytest.fixture()
def redis_url():
    exe = shutil.which("redis-server")
    if exe is None:
        if os.environ.get("MONOBOT_REQUIRE_REDIS") == "1":
            pytest.fail("redis-server is required (MONOBOT_REQUIRE_REDIS=1): apt-get install -y redis-server")
        pytest.skip("Debian's redis-server is not installed (apt-get install -y redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        ["timeout", "300", exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=1)
    deadline = time.monotonic() + 20
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
    yield {"url": f"redis://127.0.0.1:{port}/0", "proc": proc}
    proc.terminate()
    proc.wait(timeout=10)


def test_two_workers_share_one_budget_through_redis(redis_url, sample_settings, tmp_path):
    settings = worker_settings(
        sample_settings.model_copy(update={"rate_limit_per_minute": 4, "redis_url": redis_url["url"]})
    )
    one_db = FeedbackStore(f"sqlite:///{tmp_path / 'a.sqlite3'}")
    two_db = FeedbackStore(f"sqlite:///{tmp_path / 'b.sqlite3'}")  # two hosts: nothing shared but Redis
    with served(settings, one_db) as one, served(settings, two_db) as two, httpx.Client() as http:
        codes = [
            http.post(f"{(one, two)[i % 2]}/api/chat", json={"message": "Is Semax safe?"}).status_code for i in range(8)
        ]
        assert codes == [200] * 4 + [429] * 4  # before: each worker allowed 4 (8 in all)
        limited = http.post(f"{one}/api/chat", json={"message": "Is Semax safe?"})
        assert 1 <= int(limited.headers["retry-after"]) <= 60

        # Redis gone: each worker falls back to its own memory (logged), still limiting, never a 500.
        redis_url["proc"].terminate()  # `timeout` passes the TERM on to redis-server
        redis_url["proc"].wait(timeout=10)
        fallback = [http.post(f"{one}/api/chat", json={"message": "Is Selank safe?"}).status_code for _ in range(6)]
        assert fallback == [200] * 4 + [429] * 2
