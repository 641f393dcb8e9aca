"""An Answer as Block Kit, within Slack's limits: 3,000 characters a text block, 50 blocks a message.

Every piece of text that reaches Slack, in blocks or in a message's top-level `text`, goes through
`escape` (or `link`, which escapes its label and only links a clean http(s) URL). Corpus text is
untrusted: `<!channel>`, `<@U…>` or `<https://evil|label>` in a monograph must arrive as those
characters, never as a ping, a mention or a disguised link. A URL with `|`, `<`, `>`, a space or a
non-http scheme (`javascript:`) would break out of `<url|label>`, so it is percent-encoded or, for a
non-http scheme, shown as text.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from ..badges import reviewed_label, strongest, study_type_label
from ..contract import Answer, Citation

MAX_TEXT = 3000
MAX_BLOCKS = 50
LABELS = {"refused": ":no_entry: *Can't help with that*", "abstained": ":mag: *Not covered by the monographs*"}
# Characters kept as they are in a linked URL; everything else (|, <, >, spaces, quotes, controls) is %-encoded.
_URL_SAFE = "/:?#[]@!$&'()*+,;=%~-._"


def escape(text: str) -> str:
    """Slack mrkdwn control characters; monograph and user text must never become links or mentions."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def safe_url(url: str | None) -> str | None:
    """The URL as Slack may link it, or None when it is not an absolute http(s) URL."""
    if not url:
        return None
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    # quote() keeps %XX escapes that are already there; `&` is legal in a URL but Slack wants it escaped.
    return quote(url, safe=_URL_SAFE).replace("&", "&amp;")


def link(url: str | None, label: str) -> str:
    """`<url|label>` for a clean http(s) URL; otherwise the label and the URL as plain (escaped) text."""
    target = safe_url(url)
    if target is None:
        return escape(label) + (f" ({escape(url)})" if url else "")
    return f"<{target}|{escape(label)}>"


def truncate(text: str, limit: int) -> str:
    """At most `limit` characters of escaped text, never cut inside an `&amp;`-style escape."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut


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
        lt = text.rfind("<", 0, cut)  # never inside one of our own <url|label> links
        if lt != -1 and ">" not in text[lt:cut] and lt > 0:
            cut = lt
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

    def marker(m: re.Match[str]) -> str:
        n = int(m.group(1))
        target = safe_url(urls.get(n))
        return f"<{target}|[{n}]>" if target else m.group(0)

    return re.sub(r"\[(\d+)\]", marker, escape(answer.answer))


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


def _context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}


def _source_line(n: int, citation: str, url: str | None, pmid: str | None, study_type: str | None = None) -> str:
    label = escape(re.sub(r"\.?\s*PMID:?\s*\d+\.?$", "", citation))
    kind = study_type_label(study_type)
    tail = f" · _{escape(kind)}_" if kind else ""
    if not url:
        return f"[{n}] {label}{tail}"
    name = f"PubMed {pmid}" if pmid else "link"
    return f"[{n}] {label} {link(url, name)}{tail}"


def citation_context(c: Citation) -> str | None:
    """Issue 18: the citation's strongest study type and its monograph's review date, as the first line of
    its context ("*Randomised trial* · Monograph reviewed March 2025"); None when neither is known."""
    kind = study_type_label(c.study_type or strongest(s.study_type for s in c.sources))
    parts = [f"*{escape(kind)}*" if kind else None, escape(r) if (r := reviewed_label(c.reviewed)) else None]
    return " · ".join(p for p in parts if p) or None


def render(answer: Answer) -> list[list[dict]]:
    """Messages of blocks: the first replaces the placeholder, any others follow in the thread."""
    blocks: list[dict] = []
    if answer.status in LABELS:
        blocks.append(_context(LABELS[answer.status]))
    blocks += _sections(answer_text(answer))
    for notice in (answer.notice, getattr(answer, "stale_notice", None)):
        if notice:
            blocks.append(_context(f":warning: {escape(notice)}"))
    for c in answer.citations:
        blocks.append({"type": "divider"})
        quoted = "\n".join(f">{line}" if line else ">" for line in escape(c.excerpt).splitlines())
        blocks += _sections(f"*[{c.n}]* {link(c.url, f'{c.title} — {c.section}')}\n{quoted}")
        context = [line] if (line := citation_context(c)) else []
        context += [_source_line(s.n, s.citation, s.url, s.pmid, s.study_type) for s in c.sources]
        if context:
            for piece in split_text("\n".join(context)):
                blocks.append(_context(piece))
    blocks.append(feedback_actions(answer.id))
    return [blocks[i : i + MAX_BLOCKS] for i in range(0, len(blocks), MAX_BLOCKS)]


def fallback_text(answer: Answer) -> str:
    """Plain text for notifications and clients that cannot show blocks (escaped like every other field)."""
    prefix = {"refused": "Can't help with that: ", "abstained": "Not covered by the monographs: "}.get(
        answer.status, ""
    )
    return truncate(escape(prefix + answer.answer), MAX_TEXT)
