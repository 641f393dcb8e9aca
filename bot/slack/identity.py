"""Who is who in Slack: the bot's own identity, and the salted hash that stands in for a staff member.

A thread can hold messages from many bots (GitHub, Jira, workflows). Only messages this app posted are
its answers, so the app needs its own ids (auth.test: the bot user id and the bot id), not "any bot".
Staff are logged and give feedback under a salted hash of their Slack user id, never the id itself.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BotIdentity:
    """The app's bot user id (`U…`) and bot id (`B…`); either may be unknown when auth.test failed."""

    user_id: str | None = None
    bot_id: str | None = None

    @property
    def known(self) -> bool:
        return bool(self.user_id or self.bot_id)

    def owns(self, message: dict) -> bool:
        """True only for a message this app posted (not for another app's bot message)."""
        if self.bot_id and message.get("bot_id") == self.bot_id:
            return True
        return bool(self.user_id) and message.get("user") == self.user_id

    @staticmethod
    def is_bot(message: dict) -> bool:
        """A message from some app or integration (this one included)."""
        return (
            bool(message.get("bot_id")) or message.get("subtype") == "bot_message" or bool(message.get("bot_profile"))
        )


def from_context(context: Any) -> BotIdentity:
    """The ids Bolt's authorization put in the request context (from its own cached auth.test)."""
    if context is None:
        return BotIdentity()
    get = context.get if hasattr(context, "get") else lambda key: getattr(context, key, None)
    return BotIdentity(user_id=get("bot_user_id"), bot_id=get("bot_id"))


def slack_salt(settings: Any) -> str:
    """The salt for staff hashes: MONOBOT_CLIENT_SALT, the same variable the web client hash uses.

    Unset, the web falls back to a random salt per process; for Slack that would give one person a
    different hash in every worker and after every restart, so feedback would no longer be one row per
    person and answer. The fallback here is therefore derived from the Slack bot token (needed in both
    Socket Mode and HTTP mode): secret, and the same in every worker. Then the signing secret; only
    with neither set is it random per process.
    """
    configured = getattr(settings, "client_salt", None)
    if configured is not None:
        return configured.get_secret_value() if hasattr(configured, "get_secret_value") else str(configured)
    for name in ("slack_bot_token", "slack_signing_secret"):
        value = getattr(settings, name, None)
        if value is not None:
            raw = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
            return hmac.new(raw.encode(), b"monobot-slack-user-salt", hashlib.sha256).hexdigest()
    return os.urandom(16).hex()


def user_hash(user: str | None, salt: str) -> str | None:
    """sha256(salt + ":slack:" + user id), shortened like the web client hash; None for no user."""
    return hashlib.sha256(f"{salt}:slack:{user}".encode()).hexdigest()[:16] if user else None
