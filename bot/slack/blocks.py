"""An Answer as Block Kit, within Slack's limits: 3,000 characters a text block, 50 blocks a message."""

from __future__ import annotations

import re

from ..contract import Answer

MAX_TEXT = 3000
MAX_BLOCKS = 50
LABELS = {"refused": ":no_entry: *Can't help with that*", "abstained": ":mag: *Not covered by the monographs*"}


def escape(text: str) -> str:
    """Slack mrkdwn control characters; monograph and user text must never become links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at line ends, then spaces, never inside an escape."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        amp = text.rfind("&", 0, cut)
        if amp != -1 and ";" not in text[amp:cut]:
            cut = amp
        pieces.append(text[:cut])
        text = text[cut:].lstrip()
    if text:
        pieces.append(text)
    return pieces


def _sections(text: str) -> list[dict]:
    return [{"type": "section", "text": {"type": "mrkdwn", "text": piece}} for piece in split_text(text)]


def answer_text(answer: Answer) -> str:
    """The answer with [n] markers linked to the cited monograph sections."""
    urls = {c.n: c.url for c in answer.citations}
    out = escape(answer.answer)
    return re.sub(
        r"\[(\d+)\]",
        lambda m: f"<{urls[int(m.group(1))]}|[{m.group(1)}]>" if int(m.group(1)) in urls else m.group(0),
        out,
    )


def feedback_actions(answer_id: str) -> dict:
    return {
        "type": "actions",
        "block_id": f"feedback:{answer_id}",
        "elements": [
            {
                "type": "button",
                "action_id": "monobot_feedback_up",
                "text": {"type": "plain_text", "text": "👍 Helpful", "emoji": True},
                "value": answer_id,
            },
            {
                "type": "button",
                "action_id": "monobot_feedback_down",
                "text": {"type": "plain_text", "text": "👎 Not helpful", "emoji": True},
                "value": answer_id,
            },
        ],
    }


def render(answer: Answer) -> list[list[dict]]:
    """Messages of blocks: the first replaces the placeholder, any others follow in the thread."""
    blocks: list[dict] = []
    if answer.status in LABELS:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": LABELS[answer.status]}]})
    blocks += _sections(answer_text(answer))
    if answer.notice:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f":warning: {escape(answer.notice)}"}]}
        )
    for c in answer.citations:
        blocks.append({"type": "divider"})
        quoted = "\n".join(f">{line}" if line else ">" for line in escape(c.excerpt).splitlines())
        blocks += _sections(f"*[{c.n}]* <{c.url}|{escape(c.title)} — {escape(c.section)}>\n{quoted}")
        if c.sources:
            refs = []
            for s in c.sources:
                label = escape(re.sub(r"\.?\s*PMID:?\s*\d+\.?$", "", s.citation))
                refs.append(
                    f"[{s.n}] {label}"
                    + (f" <https://pubmed.ncbi.nlm.nih.gov/{s.pmid}/|PubMed {s.pmid}>" if s.pmid else "")
                )
            for piece in split_text("\n".join(refs)):
                blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": piece}]})
    blocks.append(feedback_actions(answer.id))
    return [blocks[i : i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)]


def fallback_text(answer: Answer) -> str:
    """Plain text for notifications and clients that cannot show blocks."""
    prefix = {"refused": "Can't help with that: ", "abstained": "Not covered by the monographs: "}.get(
        answer.status, ""
    )
    return (prefix + answer.answer)[:MAX_TEXT]
