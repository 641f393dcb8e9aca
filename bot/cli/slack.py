"""monobot slack — run the Slack app in Socket Mode (HTTP mode runs inside `monobot serve`)."""

from __future__ import annotations

import argparse

from .common import add_store_option, ensure_index, fail, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("slack", help="run the Slack app in Socket Mode")
    add_store_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.index import IndexStore, get_embedder
    from bot.slack.socket import run as run_socket

    settings = settings_from(args)
    missing = [
        name
        for name, value in (
            ("MONOBOT_SLACK_BOT_TOKEN", settings.slack_bot_token),
            ("MONOBOT_SLACK_APP_TOKEN", settings.slack_app_token),
        )
        if value is None
    ]
    if missing:
        return fail(f"{' and '.join(missing)} must be set for Socket Mode (see docs/slack.md)")
    from bot import logs

    logs.configure(settings.log_level, logs.secrets_of(settings), settings.debug)
    ensure_index(settings, IndexStore(settings), get_embedder(settings))
    print("monobot: connecting to Slack in Socket Mode (Ctrl-C to stop)")
    try:
        run_socket(settings)
    except ValueError as exc:
        return fail(str(exc))
    return 0
