"""A monograph's subject: the drug or supplement it is about, taken whole from its title.

The title is cut into segments at separators (":", " - ", " | ", "?", parentheses), each segment is
trimmed of the words around a name (subject.yaml: "Buy … Online", "… side effects", "Are you taking your
…"), and the segment the page itself uses most is the subject. A name is never cut: "Lion's Mane" and
"Withania somnifera" stay whole. A parenthesised alias ("(ashwagandha)") is used only when no main
segment occurs in the page; a long segment with no name in it gives its most used 1-3 word phrase.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import yaml

SUBJECT_FILE = Path(__file__).with_name("subject.yaml")
_SEGMENT_RE = re.compile(r"\s*(?::|\s[-–—|·/]\s|[?!]|—|–)\s*")
_PAREN_RE = re.compile(r"[(（\[＜<]([^()（）\[\]＜＞<>]*)[)）\]＞>]")
_WORD_RE = re.compile(r"[\w][\w'’.\-]*")
MAX_NAME_WORDS = 4


@cache
def _vocabulary() -> tuple[frozenset[str], frozenset[str]]:
    data = yaml.safe_load(SUBJECT_FILE.read_text(encoding="utf-8"))
    return frozenset(str(w).lower() for w in data["leading"]), frozenset(str(w).lower() for w in data["trailing"])


def _trim(segment: str) -> str:
    leading, trailing = _vocabulary()
    words = segment.split()

    def key(word: str) -> str:
        return word.strip(".,;:'\"“”‘’()").lower()

    while words and key(words[0]) in leading:
        words.pop(0)
    while words and key(words[-1]) in trailing:
        words.pop()
    return " ".join(words).strip(" .,;:'\"“”‘’")


def _named(segment: str) -> str:
    """The trimmed segment, unless trimming left no capital or digit that the segment had ("What we do")."""
    trimmed = _trim(segment)

    def named(text: str) -> bool:
        return any(w[0].isupper() or w[0].isdigit() for w in text.split())

    return trimmed if named(trimmed) or not named(segment) else segment.strip(" .,;:'\"“”‘’")


def _count(phrase: str, body: str) -> int:
    """How much the page uses a phrase: a capitalised use counts three times, since a name is written that way
    wherever it stands, while a common word ("depression") is capitalised only at a sentence's start."""
    if not phrase:
        return 0
    pattern = r"(?<![\w])" + re.escape(phrase) + r"(?![\w])"
    return sum(3 if m.group(0)[0].isupper() else 1 for m in re.finditer(pattern, body, re.IGNORECASE))


def _best_phrase(segment: str, body: str) -> str:
    """The 1-3 word phrase of a long segment that the page uses most (at least twice), else the segment."""
    leading, trailing = _vocabulary()
    words = segment.split()
    best, best_count = segment, 1
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            phrase = " ".join(words[i : i + size]).strip(" .,;:'\"“”‘’")
            first, last = phrase.split()[0].lower(), phrase.split()[-1].lower() if phrase else ""
            if not phrase or first in leading or last in trailing or first in trailing:
                continue
            if not (phrase[0].isupper() or any(ch.isdigit() for ch in phrase)):
                continue
            count = _count(phrase, body)
            # A part of the best phrase ("John's wort" of "St. John's wort") must be used far more to replace it.
            needed = 2 * best_count if phrase in best else best_count + 1
            if count >= needed:
                best, best_count = phrase, count
    return best


def derive_subject(title: str, body: str, fallback: str) -> str:
    """The subject of a page titled `title` whose text is `body` (`fallback`, the slug, if the title has none)."""
    aliases = [_trim(a) for a in _PAREN_RE.findall(title)]
    main = _PAREN_RE.sub(" : ", title)
    segments = [_named(s) for s in _SEGMENT_RE.split(main)]
    segments = [s for s in segments if s and _WORD_RE.search(s)]
    segments = [s if len(s.split()) <= MAX_NAME_WORDS else _best_phrase(s, body) for s in segments]
    scored = [(s, _count(s, body)) for s in segments]
    best = max(scored, key=lambda item: item[1], default=("", 0))  # first of the most used
    if best[1] == 0:
        used_alias = max(((a, _count(a, body)) for a in aliases if a), key=lambda item: item[1], default=("", 0))
        best = used_alias if used_alias[1] else (segments[0] if segments else "", 0)
    subject = best[0]
    if len(subject.split()) > MAX_NAME_WORDS:
        subject = _best_phrase(subject, body)
    return subject or fallback
