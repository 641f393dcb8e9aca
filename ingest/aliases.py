"""Other names of a monograph's subject, from its lead text and front matter.

Readers ask about "ashwagandha" and "kratom"; pages are often titled "Withania somnifera" and "Mitragyna
speciosa". The lead paragraph usually says so ("commonly known as ashwagandha"), and front matter may list
`aliases:`. The cues are data (ingest/aliases.yaml). An alias is a short name (one to four words) that the
page uses; anything longer or that is not a name-like word run is dropped rather than guessed at.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

from .model import Document, Paragraph

ALIASES_FILE = Path(__file__).with_name("aliases.yaml")
MAX_WORDS = 4
MAX_ALIASES = 5
_STOP = re.compile(r"\s*(?:,|;|\(|\)|\[|\]|\.(?:\s|$)|\bor\b|\band\b|\bis\b|\bwas\b|\bwhich\b|:)", re.IGNORECASE)
_DESCRIPTION = re.compile(r"(?:a|an|the|its|this|these|their|one|some)\s", re.IGNORECASE)  # "sold as a supplement"
_NAME = re.compile(r"^[\w][\w'’\-]*(?: [\w][\w'’\-]*){0,3}$")


@cache
def _cue_pattern() -> re.Pattern[str]:
    cues = sorted(yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8"))["cues"], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(c) for c in cues) + r")\b[\s:\"“'‘]*", re.IGNORECASE)


def lead_text(document: Document, paragraphs: int = 3) -> str:
    texts = [document.dek]
    for section in document.sections[:2]:
        texts += [b.text for b in section.blocks if isinstance(b, Paragraph)][:paragraphs]
    return " ".join(t for t in texts if t)


def aliases(document: Document, declared: list[str] | None = None) -> list[str]:
    """The subject's other names: declared ones first, then those the lead text introduces."""
    found: list[str] = [a.strip() for a in declared or [] if isinstance(a, str) and a.strip()]
    text = lead_text(document)
    for match in _cue_pattern().finditer(text):
        rest = text[match.end() : match.end() + 80]
        name = _STOP.split(rest, maxsplit=1)[0].strip(" \"”'’.")
        if name and _NAME.match(name) and len(name.split()) <= MAX_WORDS and not _DESCRIPTION.match(name):
            found.append(name)
    subject = (document.subject or "").lower()
    out: list[str] = []
    for name in found:
        if name.lower() != subject and name.lower() not in (o.lower() for o in out):
            out.append(name)
    return out[:MAX_ALIASES]
