"""A Slack thread as conversation history for the chain: the staff's turns and the bot's answers."""

from __future__ import annotations

import re

MENTION = re.compile(r"<@[A-Z0-9]+>")


def clean(text: str) -> str:
    """The question without the bot mention and Slack's link markup."""
    text = MENTION.sub("", text)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def history(messages: list[dict], bot_user_id: str | None, current_ts: str, placeholder: str) -> list[dict]:
    """Turns before the current message; the bot's own placeholders are skipped."""
    turns = []
    for m in messages:
        if m.get("ts") == current_ts:
            break
        text = m.get("text", "")
        if not text or text == placeholder:
            continue
        is_bot = bool(m.get("bot_id")) or (bot_user_id is not None and m.get("user") == bot_user_id)
        turns.append({"role": "assistant" if is_bot else "user", "content": text if is_bot else clean(text)})
    return turns[-12:]


def bot_has_replied(messages: list[dict], bot_user_id: str | None) -> bool:
    return any(m.get("bot_id") or (bot_user_id is not None and m.get("user") == bot_user_id) for m in messages[1:])
