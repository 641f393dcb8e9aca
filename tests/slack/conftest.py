"""Slack fixtures: a fake Slack Web API, and the web app in Slack HTTP mode pointed at it."""

from __future__ import annotations

import pytest

from bot.feedback import FeedbackStore

from ..stubs.bots import FakeBot
from .fake_slack import FakeSlack
from .helpers import live_slack


@pytest.fixture()
def fake():
    f = FakeSlack().start()
    yield f
    f.stop()


@pytest.fixture()
def fake_bot():
    return FakeBot()


@pytest.fixture()
def slack(fake, sample_settings, fake_bot, tmp_path):
    """The web app with Slack HTTP mode, its Web API pointed at the fake Slack and the chain a fake with
    fixed answers (these tests are about the Slack protocol); sleeps are recorded, not slept."""
    feedback = FeedbackStore(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    with live_slack(sample_settings, fake_bot, feedback, fake) as live:
        yield live
