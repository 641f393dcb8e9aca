"""`monobot serve` as an operator meets it: --help, a busy port, an empty store, GET /.

Issue 17: serve silently ingested the sample corpus into an empty store (demo content in production);
GET / was a JSON 404; a busy port must stay one clear line.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time

import httpx
import pytest

from bot.cli import build_parser

from ..conftest import VENV_BIN, free_port
from .conftest import make_client


def test_every_serve_and_slack_option_has_help_and_a_default(capsys):
    for command in ("serve", "slack"):
        with pytest.raises(SystemExit):
            build_parser(command).parse_args([command, "--help"])
        text = capsys.readouterr().out
        options = re.findall(r"^  (--[a-z-]+)", text, flags=re.M)
        assert options, text
        blocks = re.split(r"\n  (?=-)", text.split("options:", 1)[1])
        for block in (b for b in blocks if b.strip()):
            assert len(block.split(None, 1)) == 2, f"{command}: an option without help: {block!r}"
            flag = block.split()[0]
            if flag in ("-h,", "--demo,", "--demo", "--store"):
                continue  # their help says what happens by default
            assert "(default:" in block, f"{command} {flag}: no default shown"


def test_root_redirects_to_the_demo_or_the_docs(sample_settings, fake_bot, tmp_path):
    with make_client(sample_settings, fake_bot, tmp_path) as c:
        home = c.get("/", follow_redirects=False)
        assert home.status_code in (302, 307) and home.headers["location"] == "/demo"
        assert c.get("/").status_code == 200  # the demo page itself
    with make_client(sample_settings, fake_bot, tmp_path, demo_page=False) as c:
        assert c.get("/", follow_redirects=False).headers["location"] == "/docs"
        assert c.get("/demo").status_code == 404


@pytest.mark.slow
def test_busy_port_is_one_line_and_exit_1(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [str(VENV_BIN / "monobot"), "serve", "--port", str(port), "--store", str(tmp_path / "store")],
            capture_output=True,
            text=True,
            timeout=120,
        )
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 1 and len(lines) == 1, (result.returncode, lines)
    assert "port is in use" in lines[0] and "--port" in lines[0]


@pytest.mark.slow
def test_empty_store_is_served_not_ready_and_never_auto_ingested(tmp_path):
    port = free_port()
    store = tmp_path / "store"
    env = {**os.environ, "MONOBOT_DB_URL": f"sqlite:///{tmp_path / 'f.sqlite3'}"}
    proc = subprocess.Popen(
        [str(VENV_BIN / "monobot"), "serve", "--port", str(port), "--store", str(store)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            assert proc.poll() is None, proc.communicate()[1][-2000:]
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "serve did not start"
                time.sleep(0.2)
        assert ready.status_code == 503 and "empty" in ready.json()["reason"]
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5, follow_redirects=True).status_code == 200  # /demo
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert "ingesting" not in stderr and "--demo" in stderr
    assert not (store / "live.json").exists() and not list(store.glob("gen-*"))
