"""monobot slack — run the Slack app in Socket Mode (HTTP mode runs inside `monobot serve`).

Before loading anything heavy it checks both tokens with Slack (bot.slack.socket.preflight): a bad
token or an unreachable Slack is one line naming the cause and the fix, and exit code 1. An empty
index is refused the same way, unless `--demo` ingests the bundled sample corpus into it.
"""

from __future__ import annotations

import argparse

from .common import add_store_option, ensure_index, fail, settings_from
from .serve import DefaultsHelp


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "slack",
        help="run the Slack app in Socket Mode",
        formatter_class=DefaultsHelp,
        description="Connect to Slack in Socket Mode (no public URL needed) with MONOBOT_SLACK_BOT_TOKEN and "
        "MONOBOT_SLACK_APP_TOKEN, and answer mentions, DMs, group DMs, thread follow-ups and /monobot. "
        "For HTTP mode use `monobot serve` with MONOBOT_SLACK_SIGNING_SECRET. See docs/slack.md.",
    )
    p.add_argument(
        "--demo",
        action="store_true",
        default=False,
        help="ingest the bundled sample corpus if the index is empty (never in production)",
    )
    add_store_option(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot import logs
    from bot.index import IndexStore, IndexUnavailable
    from bot.slack.socket import preflight
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
    logs.configure(settings.log_level, logs.secrets_of(settings), settings.debug)
    if (problem := preflight(settings)) is not None:
        return fail(problem, code=1)
    store = IndexStore(settings)
    if args.demo:
        from bot.index import get_embedder

        ensure_index(settings, store, get_embedder(settings))
    else:
        try:
            empty = store.read_live() is None
        except IndexUnavailable as exc:
            return fail(f"the index cannot be opened: {exc}", code=1)
        if empty:
            return fail(
                f"the index at {settings.store} is empty: run `monobot ingest FOLDER` first "
                "(or `monobot slack --demo` for the sample corpus)",
                code=1,
            )
    print("monobot: connecting to Slack in Socket Mode (Ctrl-C to stop)", flush=True)
    try:
        run_socket(settings)
    except ValueError as exc:
        return fail(str(exc))
    return 0
