"""What ranking needs of a chunk, worked out once at ingest and kept in the record copy.

A sentence's terms, its bonus (sourced, very short) and whether it is a signpost do not depend on the
question, so they are computed when the chunk is written, not per question. Everything here works on
plain strings, below the index that stores the results.

FEATURES_VERSION names this recipe, including the vocabulary that flags instruction-like chunks. The index
records it, so a monobot whose features differ from the ones an index was built with rebuilds them instead
of ranking, or quarantining, with stale ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .instructions import find as find_instructions
from .instructions import vocabulary_hash
from .text import CITE_RE, expand, terms

FEATURES_VERSION = f"2-{vocabulary_hash()}"

# Sentences that point elsewhere rather than state evidence ("see our review", "this page is about").
_META_RE = re.compile(
    r"\b(this page|this monograph|see the|see our|return to|as our|lays out|read on|below we|we look at|covered separately|"
    r"(?:is|are) covered (?:in|by|separately)|companion monographs?|other monographs?|(?:the )?[\w-]+ monograph\b)",
    re.I,
)
_SOURCED_BONUS = 0.03
_SHORT_PENALTY = 0.04


@dataclass(frozen=True)
class SentenceInfo:
    """What ranking needs of one sentence, independent of the question."""

    text: str  # as quoted: source markers removed, a table row labelled by its header
    terms: frozenset[str]
    bonus: float  # sourced (+0.03), very short (-0.04)
    digit: bool
    skip: bool  # too short to quote, or a signpost ("covered in the side-effects monograph")

    def to_row(self) -> list:
        """The JSON form kept in the record copy."""
        return [self.text, sorted(self.terms), self.bonus, self.digit, self.skip]

    @classmethod
    def from_row(cls, row: list) -> SentenceInfo:
        text, found, bonus, digit, skip = row
        return cls(text, frozenset(found), bonus, digit, skip)


def sentence_info(raw: str, text: str, kind: str) -> SentenceInfo:
    """One sentence: `raw` as written (with its source markers), `text` as the answer quotes it."""
    sourced = kind == "table" or bool(CITE_RE.search(raw))
    bonus = (_SOURCED_BONUS if sourced else 0.0) - (_SHORT_PENALTY if len(text.split()) < 8 else 0.0)
    skip = len(text) < 20 or bool(_META_RE.search(text))
    return SentenceInfo(text, frozenset(expand(terms(text))), bonus, bool(re.search(r"\d", text)), skip)


def chunk_terms(text: str, section: str, title: str) -> frozenset[str]:
    """The chunk's terms with its heading and title, as the topic check matches them."""
    return frozenset(expand(terms(f"{text} {section} {title}")))


def instructed(text: str) -> bool:
    """Whether a chunk holds an instruction-like sentence and so is quarantined from answers (bot/retrieve.py).
    Worked out once at ingest: at query time it cost about 0.5 ms for each chunk a question first touched."""
    return bool(find_instructions(text))
