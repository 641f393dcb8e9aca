"""`monobot serve --workers 2` as a real subprocess: every worker writes the JSON-lines logs, masked."""

from __future__ import annotations

import json
import os
import re
import subprocess
import time

import httpx
import pytest

from bot.index import IndexStore
from ingest.pipeline import ingest

from ..conftest import CORPUS, VENV_BIN, free_port

pytestmark = pytest.mark.slow  # starts `monobot serve` with workers

SECRET = (
    "sekretLLMkey4242"  # alphanumeric, so it is accepted as a request id and reaches every log line of that request
)


def test_every_worker_writes_masked_json_logs(settings_for, embedder, tmp_path):
    settings = settings_for(tmp_path / "store")
    assert ingest(
        [CORPUS / "semax.txt", CORPUS / "selank.txt"], settings, IndexStore(settings), embedder, progress=False
    ).ok
    port = free_port()
    env = {
        **os.environ,
        "MONOBOT_LOG_LEVEL": "INFO",
        "MONOBOT_LLM_API_KEY": SECRET,
        "MONOBOT_RATE_LIMIT_PER_MINUTE": "1000",
        "MONOBOT_DB_URL": f"sqlite:///{tmp_path / 'f.sqlite3'}",
    }
    cmd = [
        str(VENV_BIN / "monobot"),
        "serve",
        "--workers",
        "2",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--store",
        str(settings.store),
        "--log-level",
        "info",
    ]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    sent: list[str] = []
    try:
        deadline = time.monotonic() + 120  # two workers each load the model on a shared 2-core machine
        while True:
            assert proc.poll() is None, "monobot serve exited early"
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "monobot serve --workers 2 not ready within 120 s"
            time.sleep(0.3)
        with httpx.Client(
            timeout=30
        ) as client:  # a new connection per request, so both workers are likely to serve some
            for i in range(8):
                rid = f"workers{i}req"
                r = client.post(
                    f"{url}/api/chat",
                    json={"message": "Is Semax approved?"},
                    headers={"X-Request-ID": rid, "Connection": "close"},
                )
                assert r.status_code == 200 and r.headers["x-request-id"] == rid
                sent.append(rid)
            assert (
                client.post(
                    f"{url}/api/chat", json={"message": "Is Selank safe?"}, headers={"X-Request-ID": SECRET}
                ).status_code
                == 200
            )
    finally:
        proc.terminate()
        try:
            _, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()

    lines = [line for line in stderr.splitlines() if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"a stderr line is not JSON: {line[:300]!r}\n--- stderr ---\n{stderr[-3000:]}")
    assert all({"ts", "level", "logger", "msg", "request_id"} <= set(rec) for rec in records)
    workers = {m.group(1) for rec in records if (m := re.match(r"Started server process \[(\d+)\]", rec["msg"]))}
    assert len(workers) == 2, [rec["msg"] for rec in records]  # both worker processes log through the JSON handler
    answered = {rec["request_id"] for rec in records if rec["logger"] == "monobot.web" and rec["msg"] == "answered"}
    assert set(sent) <= answered, answered
    assert SECRET not in stderr and "[redacted]" in stderr  # masking is configured in the workers too
