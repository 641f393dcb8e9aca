"""The shipped manifest grants every scope and event the app's listeners depend on (defect: DMs failed)."""

from __future__ import annotations

import yaml

from bot.settings import REPO_ROOT

MANIFEST = REPO_ROOT / "docs" / "slack" / "manifest.yaml"

# What bot/slack/app.py listens to, and the scope each event needs from Slack.
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",  # app.event("app_mention")
    "message.im": "im:history",  # app.event("message") in DMs
    "message.channels": "channels:history",  # thread follow-ups without a mention, public channels
    "message.groups": "groups:history",  # ... and private channels
    "message.mpim": "mpim:history",  # ... and group DMs
}
CALL_SCOPES = {"chat:write", "commands"}  # chat.postMessage/chat.update; /monobot


def load() -> dict:
    return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))


def test_manifest_has_the_scopes_and_events_the_code_needs():
    manifest = load()
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    events = set(manifest["settings"]["event_subscriptions"]["bot_events"])
    assert set(EVENT_SCOPES) <= events
    assert set(EVENT_SCOPES.values()) | CALL_SCOPES <= scopes
    commands = {c["command"]: c for c in manifest["features"]["slash_commands"]}
    assert "/monobot" in commands
    assert manifest["settings"]["interactivity"]["is_enabled"] is True  # the 👍/👎 buttons


def test_manifest_lets_staff_message_the_bot():
    """Without the Messages tab (writable), Slack shows "Sending messages to this app has been turned off"."""
    home = load()["features"]["app_home"]
    assert home["messages_tab_enabled"] is True
    assert home["messages_tab_read_only_enabled"] is False


def test_every_http_mode_url_is_the_bolt_route():
    """In HTTP mode events, interactivity and the slash command all go to the one Bolt endpoint."""
    manifest = load()
    urls = [
        manifest["settings"]["event_subscriptions"]["request_url"],
        manifest["settings"]["interactivity"]["request_url"],
        *(c["url"] for c in manifest["features"]["slash_commands"]),
    ]
    assert urls and all(url.startswith("https://") and url.endswith("/slack/events") for url in urls)


def test_manifest_enables_the_home_tab_and_its_event():
    manifest = load()
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert "app_home_opened" in manifest["settings"]["event_subscriptions"]["bot_events"]
