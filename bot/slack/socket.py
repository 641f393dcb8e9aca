"""Socket Mode: the app connects out to Slack, so no public URL is needed (good for an internal bot)."""

from __future__ import annotations

from ..factory import build_bot
from ..feedback import FeedbackStore
from ..settings import Settings
from .app import SlackBot, secret


def run(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    if settings.slack_bot_token is None:
        raise ValueError("MONOBOT_SLACK_BOT_TOKEN is not set (the bot token, xoxb-…)")
    if settings.slack_app_token is None:
        raise ValueError("MONOBOT_SLACK_APP_TOKEN is not set (an app-level token with connections:write, xapp-…)")
    slack = SlackBot(
        settings.model_copy(update={"slack_signing_secret": None}),
        build_bot(settings),
        FeedbackStore(settings.database_url),
    )
    SocketModeHandler(slack.build_app(), secret(settings.slack_app_token)).start()
