"""Follow-up suggestions: up to three questions drawn from the *other* sections of the monographs an answer cites.

A reader who asked about Semax's safety may not know the same monograph also covers its regulatory status;
offering that heading as a question is a cheap way to show what else is covered. Suggestions come only from
headings that exist in the index, so the bot can answer every one of them from the same monograph.

The function is pure: the caller passes the cited citations and each document's section headings in order
(`sections_from_records` builds that mapping from chunk records, which carry doc, section and section_index).
Headings about dosing, administration or buying are never suggested (the guardrail refuses that advice, and
the bot must not invite it), nor are boilerplate headings such as "Summary" or "References"; both lists live
in `bot/suggest.yaml`. The question wording is a message template (`prompts/messages/suggest_followup.txt`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import yaml

from .contract import Citation
from .settings import REPO_ROOT

POLICY = Path(__file__).with_suffix(".yaml")
TEMPLATE = REPO_ROOT / "prompts" / "messages" / "suggest_followup.txt"
LIMIT = 3


class SectionRow(Protocol):
    """What `sections_from_records` reads of a chunk record (bot.index.ChunkRecord has these)."""

    doc: str
    section: str
    section_index: int


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str]]:
    policy: dict[str, Any] = yaml.safe_load(POLICY.read_text(encoding="utf-8"))
    never = re.compile(r"\b(?:" + "|".join(policy["never"]) + ")", re.IGNORECASE)
    boilerplate = re.compile(r"(?:" + "|".join(policy["boilerplate"]) + r")[\s.:?!]*", re.IGNORECASE)
    return never, boilerplate


@lru_cache(maxsize=4)
def _template(path: Path) -> str:
    return path.read_text(encoding="utf-8").strip()


def allowed(heading: str) -> bool:
    """False for headings about dosing, administration or buying, and for boilerplate headings."""
    never, boilerplate = _patterns()
    text = " ".join(heading.split())
    return bool(text) and not never.search(text) and not boilerplate.fullmatch(text)


def _topic(heading: str) -> str:
    """The heading as the object of a sentence: "Regulatory status" → "regulatory status", acronyms kept."""
    text = " ".join(heading.split()).rstrip(" .:;")
    first = text.split(" ", 1)[0]
    if first[:1].isupper() and first[1:] == first[1:].lower() and first.isalpha():
        return first[0].lower() + text[1:]
    return text


def _name(citation: Citation, subjects: Mapping[str, str]) -> str:
    """The monograph as a reader would name it: its subject when known, else its title up to a colon."""
    subject = subjects.get(citation.doc)
    if subject:
        return subject
    return citation.title.split(":", 1)[0].strip() or citation.title


def suggestions(
    citations: Sequence[Citation],
    sections_by_doc: Mapping[str, Sequence[str]],
    *,
    subjects: Mapping[str, str] | None = None,
    template: str | None = None,
    limit: int = LIMIT,
) -> list[str]:
    """Up to `limit` follow-up questions from the cited monographs' headings that the answer did not cite.

    Monographs take turns (in the order the answer cites them), each offering its headings in document
    order, so three suggestions do not all come from one monograph when several are cited. A heading that is
    already a question is offered as written; any other becomes the template's question ("What does the
    Semax monograph say about regulatory status?"). `subjects` maps doc slug → drug name (LiveInfo.docs);
    `template` overrides prompts/messages/suggest_followup.txt ({name} and {topic} are filled in).
    """
    wording = template if template is not None else _template(TEMPLATE)
    subjects = subjects or {}
    cited = {(c.doc, " ".join(c.section.split()).lower()) for c in citations}
    queues: list[list[str]] = []
    seen_docs: set[str] = set()
    for c in citations:
        if c.doc in seen_docs:
            continue
        seen_docs.add(c.doc)
        queue = []
        for heading in sections_by_doc.get(c.doc, ()):
            key = " ".join(heading.split()).lower()
            if (c.doc, key) in cited or not allowed(heading):
                continue
            text = " ".join(heading.split())
            queue.append(text if text.endswith("?") else wording.format(name=_name(c, subjects), topic=_topic(text)))
        queues.append(queue)
    out: list[str] = []
    seen: set[str] = set()
    while len(out) < limit and any(queues):
        for queue in queues:
            while queue:
                question = queue.pop(0)
                if question.lower() not in seen:
                    seen.add(question.lower())
                    out.append(question)
                    break
            if len(out) >= limit:
                break
    return out


def sections_from_records(records: Iterable[SectionRow]) -> dict[str, list[str]]:
    """Each document's section headings in document order, from chunk records (several chunks share one)."""
    order: dict[str, dict[str, int]] = {}
    for r in records:
        headings = order.setdefault(r.doc, {})
        if r.section not in headings or r.section_index < headings[r.section]:
            headings[r.section] = r.section_index
    return {doc: sorted(headings, key=headings.__getitem__) for doc, headings in order.items()}


__all__ = ["allowed", "sections_from_records", "suggestions"]
