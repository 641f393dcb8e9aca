"""A Slack thread as conversation history for the chain: the staff's turns and this bot's answers.

Only messages this app posted count as its answers (see identity.BotIdentity): other bots in a thread
(GitHub, Jira, workflows) are neither a reason to answer nor assistant turns, so they are left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from .identity import BotIdentity

MENTION = re.compile(r"<@[A-Z0-9]+>")
PAGE_SIZE = 200  # Slack's advice for cursor-paginated methods
MAX_PAGES = 10  # at most 2,000 messages read per follow-up; keeps a runaway thread from costing many calls


def clean(text: str) -> str:
    """The question without the bot mention and Slack's link markup."""
    text = MENTION.sub("", text)
    text = re.sub(r"<(https?://[^|>]+)\|([^>]+)>", r"\2", text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()


def _ts(value: str | None) -> Decimal | None:
    """Slack timestamps compared exactly (as floats, 16 digits would lose the last microseconds)."""
    try:
        return Decimal(value) if value else None
    except InvalidOperation:
        return None


def fetch(
    call: Callable[..., dict],
    channel: str,
    thread_ts: str,
    current_ts: str,
    max_pages: int = MAX_PAGES,
    page_size: int = PAGE_SIZE,
) -> tuple[list[dict], bool]:
    """(messages of the thread up to the current one, whether every page was read).

    conversations.replies is cursor-paginated, oldest first, so the turns nearest the current message
    are on the last pages: follow `response_metadata.next_cursor` until the current message is reached
    or the pages run out, at most `max_pages` calls.
    """
    current = _ts(current_ts)
    messages: list[dict] = []
    cursor: str | None = None
    for _ in range(max_pages):
        kwargs: dict = {"channel": channel, "ts": thread_ts, "limit": page_size}
        if cursor:
            kwargs["cursor"] = cursor
        page = call("conversations_replies", **kwargs)
        messages += page.get("messages") or []
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        last = _ts(messages[-1].get("ts")) if messages else None
        if not cursor or (current is not None and last is not None and last >= current):
            return messages, True
    return messages, False


def history(messages: list[dict], me: BotIdentity, current_ts: str, placeholder: str, max_turns: int) -> list[dict]:
    """The last `max_turns` turns before the current message: staff as user, this bot as assistant.

    This bot's placeholders and other bots' messages are skipped.
    """
    if max_turns <= 0:
        return []
    turns = []
    for m in messages:
        if m.get("ts") == current_ts:
            break
        text = m.get("text", "")
        if not text or text == placeholder:
            continue
        if me.owns(m):
            turns.append({"role": "assistant", "content": text})
        elif not BotIdentity.is_bot(m) and m.get("user"):
            turns.append({"role": "user", "content": clean(text)})
    return turns[-max_turns:]


def bot_has_replied(messages: list[dict], me: BotIdentity) -> bool:
    """True when this bot (not just any bot) has posted in the thread after its first message."""
    return any(me.owns(m) for m in messages[1:])
