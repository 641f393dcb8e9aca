"""The App Home tab: what the bot is for, how to ask, and what the index covers (its subjects).

The subjects come from the live index (LiveInfo.subjects, else the monograph titles), so the Home tab
always says what this deployment can answer about. They are corpus text, so they are escaped.
"""

from __future__ import annotations

from typing import Any

from .blocks import escape, split_text

MAX_LISTED = 150  # a Home view may hold 100 blocks; subjects go into a few section blocks


def covered(store: Any) -> list[str]:
    """The index's subjects (or monograph titles when no subject is recorded), sorted; [] when unavailable."""
    try:
        info = store.ping()
    except Exception:
        return []
    names = list(getattr(info, "subjects", []) or [])
    if not names:
        names = [d.get("title") or slug for slug, d in (info.docs or {}).items()]
    return sorted({n for n in names if n}, key=str.casefold)


def view(intro: str, subjects: list[str]) -> dict:
    """A Home-tab view: the intro (already escaped) and the subjects covered."""
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": "monobot", "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": intro}},
        {"type": "divider"},
    ]
    if subjects:
        listed = ", ".join(escape(s) for s in subjects[:MAX_LISTED])
        more = f" and {len(subjects) - MAX_LISTED} more" if len(subjects) > MAX_LISTED else ""
        text = f"*What the monographs cover ({len(subjects)} subjects):* {listed}{more}."
    else:
        text = "*What the monographs cover:* the index is not available right now; try again later."
    blocks += [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in split_text(text)]
    return {"type": "home", "blocks": blocks[:100]}
