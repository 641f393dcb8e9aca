"""`monobot slack` with a bad token, an unreachable Slack or an empty index: one clear line and exit 1.

Issue 17: it printed a 60-line traceback. These run the real command as a subprocess against the fake
Slack (or a closed port); the check runs before any model or index is loaded.
"""

from __future__ import annotations

import os
import subprocess

import pytest

from ..conftest import VENV_BIN, free_port

pytestmark = pytest.mark.slow  # starts `monobot slack` subprocesses


def run_slack(api_url: str, store, *extra: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "MONOBOT_SLACK_BOT_TOKEN": "xoxb-test-token",
        "MONOBOT_SLACK_APP_TOKEN": "xapp-test-token",
        "MONOBOT_SLACK_API_URL": api_url,
    }
    return subprocess.run(
        [str(VENV_BIN / "monobot"), "slack", "--store", str(store), *extra],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in result.stderr, lines
    return lines[0]


def test_unreachable_slack_is_one_line(tmp_path):
    line = one_line(run_slack(f"http://127.0.0.1:{free_port()}/api/", tmp_path / "store"))
    assert "cannot reach Slack" in line and "MONOBOT_SLACK_API_URL" in line


@pytest.mark.parametrize(
    "method,variable", [("auth.test", "MONOBOT_SLACK_BOT_TOKEN"), ("apps.connections.open", "MONOBOT_SLACK_APP_TOKEN")]
)
def test_rejected_token_names_the_variable_and_the_fix(fake, tmp_path, method, variable):
    fake.fail_next(method, 200, "invalid_auth")
    line = one_line(run_slack(f"{fake.url}/api/", tmp_path / "store"))
    assert variable in line and "invalid_auth" in line and "api.slack.com/apps" in line
    assert "xoxb-test-token" not in line and "xapp-test-token" not in line


def test_empty_index_is_refused_without_demo(fake, tmp_path):
    line = one_line(run_slack(f"{fake.url}/api/", tmp_path / "store"))
    assert "empty" in line and "monobot ingest" in line and "--demo" in line
    assert not (tmp_path / "store" / "live.json").exists()
