"""Other names of a monograph's subject, from its lead text and front matter.

Readers ask about "ashwagandha" and "kratom"; pages are often titled "Withania somnifera" and "Mitragyna
speciosa". The lead paragraph usually says so ("commonly known as ashwagandha"), and front matter may list
`aliases:`. The cues are data (ingest/aliases.yaml). An alias is a short name (one to four words) that the
page uses; anything longer or that is not a name-like word run is dropped rather than guessed at.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from pathlib import Path

import yaml
from wordfreq import zipf_frequency

from bot.text import STOPWORDS

from .model import Document, Paragraph

ALIASES_FILE = Path(__file__).with_name("aliases.yaml")
MAX_WORDS = 4
MAX_ALIASES = 5
_STOP = re.compile(r"\s*(?:,|;|\(|\)|\[|\]|\.(?:\s|$)|\bor\b|\band\b|\bis\b|\bwas\b|\bwhich\b|:)", re.IGNORECASE)
_DESCRIPTION = re.compile(r"(?:a|an|the|its|this|these|their|one|some)\s", re.IGNORECASE)  # "sold as a supplement"
_NAME = re.compile(r"^[\w][\w'’\-]*(?: [\w][\w'’\-]*){0,3}$")
_LIST_SPLIT = re.compile(r"\s*(?:,\s*(?:or|and)?|\bor\b|\band\b)\s*", re.IGNORECASE)
_LEADING = re.compile(r"^(?:includes?|of|are|is)\s+", re.IGNORECASE)
# An abbreviation in brackets right after the subject's name: "5-Hydroxytryptophan (5-HTP)", "(NAC; ...)".
_ABBREVIATION = re.compile(r"^(?=(?:[^A-Z]*[A-Z]){2}|.*\d.*[A-Za-z]|.*[A-Za-z].*\d)[A-Za-z0-9][A-Za-z0-9\-]{1,11}$")
# Bumped when the extraction below changes, so stored documents are parsed again (with the cues' hash).
SCHEME = 4
# A one-word alias that is, letters and digits only, a common English word or name is not matched the usual way
# (without case or punctuation): "SAM" would name the product in "my friend Sam" and "SAM-e" in "the same". It is
# kept as a cased alias when written in mixed case with a capital after its first letter ("SAMe"), and matched
# only as written.
COMMON_ZIPF = 4.0


def version() -> str:
    """Part of the ingest fingerprint: new cues or a new extraction re-parse every document."""
    digest = hashlib.sha256(ALIASES_FILE.read_bytes()).hexdigest()[:12]
    return f"{SCHEME}:{digest}"


@cache
def _cue_pattern() -> re.Pattern[str]:
    cues = sorted(yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8"))["cues"], key=len, reverse=True)
    return re.compile(r"\b(?:" + "|".join(re.escape(c) for c in cues) + r")\b[\s:\"“'‘]*", re.IGNORECASE)


@cache
def _not_aliases() -> frozenset[str]:
    return frozenset(w.lower() for w in yaml.safe_load(ALIASES_FILE.read_text(encoding="utf-8")).get("not_aliases", []))


def lead_text(document: Document, paragraphs: int = 3) -> str:
    texts = [document.dek]
    for section in document.sections[:2]:
        texts += [b.text for b in section.blocks if isinstance(b, Paragraph)][:paragraphs]
    return " ".join(t for t in texts if t)


def aliases(document: Document, declared: list[str] | None = None) -> tuple[list[str], list[str]]:
    """The subject's other names, declared ones first, then those the lead text introduces: (aliases, cased
    aliases). A cased alias is an everyday word unless written as the page writes it ("SAMe", "SAM-e"): it
    names the product only in that spelling, so "the same dose" and "my friend Sam" never do."""
    names = _names(document, declared)
    common = [name for name in names if _common_word(name)]
    return [n for n in names if n not in common], [n for n in common if _cased(n)]


def _names(document: Document, declared: list[str] | None) -> list[str]:
    found: list[str] = [a.strip() for a in declared or [] if isinstance(a, str) and a.strip()]
    text = lead_text(document)
    subject = (document.subject or "").strip()
    found += _after_cues(text) + _bracketed_abbreviation(text, subject) + _or_name(text, subject)
    out: list[str] = []
    for name in (re.sub(r"\s+among others$", "", n, flags=re.IGNORECASE) for n in found):
        if name.lower() in _not_aliases():
            continue
        if name.lower() != subject.lower() and name.lower() not in (o.lower() for o in out):
            out.append(name)
    return out[:MAX_ALIASES]


def _cased(name: str) -> bool:
    """Mixed case with a capital after the first letter ("SAMe", "SAM-e"): a spelling no everyday word has.
    All capitals ("SAM", "ALL") is not enough: readers shout whole questions."""
    return any(c.isupper() for c in name[1:]) and any(c.islower() for c in name)


def _common_word(name: str) -> bool:
    key = re.sub(r"[^a-z0-9]", "", name.lower())
    return len(name.split()) == 1 and zipf_frequency(key, "en") >= COMMON_ZIPF


def _is_name(name: str) -> bool:
    return bool(name and _NAME.match(name) and len(name.split()) <= MAX_WORDS and not _DESCRIPTION.match(name))


def _after_cues(text: str) -> list[str]:
    """ "also known as X", "brand names include X, Y or Z", "developmental code names A and B": up to three."""
    out = []
    for match in _cue_pattern().finditer(text):
        rest = _LEADING.sub("", text[match.end() : match.end() + 120])
        head = re.split(r"\s*(?:;|\(|\)|\[|\]|\.(?:\s|$)|\bis\b|\bwas\b|\bwhich\b|:)", rest, maxsplit=1)[0]
        names = [n for n in (n.strip(" \"”'’.") for n in _LIST_SPLIT.split(head)) if n][:3]
        first = _STOP.split(rest, maxsplit=1)[0].strip(" \"”'’.")
        out += [n for n in names if _is_name(n)] if len(names) > 1 and all(map(_is_name, names)) else [first]
    return [n for n in out if _is_name(n)]


def _bracketed_abbreviation(text: str, subject: str) -> list[str]:
    """An abbreviation in brackets right after the subject's first mention: "Acetylcysteine or
    N-acetylcysteine (NAC; ...)", "5-Hydroxytryptophan (5-HTP)". Only abbreviation-shaped tokens (two
    capitals, or letters with digits) of at least three characters that are not English words."""
    if not subject:
        return []
    m = re.search(re.escape(subject) + r"(?:\s+or\s+[\w\-]+)?\s*\(\s*([^()\[\];,]{1,14}?)\s*[;),]", text, re.IGNORECASE)
    if not m:
        return []
    token = m.group(1)
    return [token] if _ABBREVIATION.match(token) and token.lower() not in STOPWORDS else []


def _or_name(text: str, subject: str) -> list[str]:
    """ "Acetylcysteine or N-acetylcysteine ...", "Chamomile (American English) or camomile ...": the page
    opens with the subject and a second name for it."""
    if not subject:
        return []
    m = re.match(r"\s*" + re.escape(subject) + r"(?:\s*\([^)]{0,60}\))?\s+or\s+([\w][\w\-']*)", text, re.IGNORECASE)
    return [m.group(1)] if m and len(m.group(1)) >= 4 and m.group(1).lower() not in STOPWORDS else []
