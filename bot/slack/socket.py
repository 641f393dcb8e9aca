"""Socket Mode: the app connects out to Slack, so no public URL is needed (good for an internal bot).

`preflight` asks Slack once, before anything heavy loads, whether the tokens work (auth.test with the
bot token, apps.connections.open with the app token), so a bad token or an unreachable Slack is one
clear line naming the cause and the fix, not a traceback from inside the Socket Mode client.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from ..factory import build_bot
from ..feedback import FeedbackStore
from ..settings import Settings
from .app import SlackBot, secret

TOKEN_FIXES = {
    "invalid_auth": "the token is not valid",
    "not_authed": "no token was sent",
    "account_inactive": "the app was uninstalled or its token revoked",
    "token_revoked": "the token was revoked",
    "not_allowed_token_type": "the token is of the wrong type",
}


def _client(settings: Settings) -> WebClient:
    """A client for the check alone: no retries, and silent (preflight's one line says what failed)."""
    quiet = logging.getLogger("monobot.slack.preflight")
    quiet.disabled = True
    if settings.slack_api_url:
        return WebClient(base_url=settings.slack_api_url, timeout=10, retry_handlers=[], logger=quiet)
    return WebClient(timeout=10, retry_handlers=[], logger=quiet)


def preflight(settings: Settings) -> str | None:
    """None when both tokens work; otherwise one sentence: what failed and how to fix it."""
    client = _client(settings)
    where = settings.slack_api_url or "https://slack.com/api/"
    checks = (
        ("auth_test", "MONOBOT_SLACK_BOT_TOKEN", {"token": secret(settings.slack_bot_token)}),
        ("apps_connections_open", "MONOBOT_SLACK_APP_TOKEN", {"app_token": secret(settings.slack_app_token)}),
    )
    for method, variable, kwargs in checks:
        try:
            getattr(client, method)(**kwargs)
        except SlackApiError as exc:
            error = str(exc.response.get("error") or exc.response.status_code)
            meaning = TOKEN_FIXES.get(error, "Slack refused it")
            return (
                f"Slack rejected {variable} ({error}: {meaning}); copy the token again from the app's settings "
                "at api.slack.com/apps (docs/slack.md, Troubleshooting)"
            )
        except Exception as exc:
            reason = getattr(exc, "reason", None) or exc
            return (
                f"cannot reach Slack at {where} ({type(exc).__name__}: {reason}); check the network, a proxy "
                "(HTTPS_PROXY) or MONOBOT_SLACK_API_URL"
            )
    return None


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
