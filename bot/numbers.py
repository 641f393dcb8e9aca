"""The number check of LLM answers: each figure must be backed by the same figure, used the same way.

A wrong figure is the worst bug monobot can have, and a rejected answer costs only the extractive
fallback, so the check errs towards rejecting. Matching digits alone is too weak: "−85%" would pass on
"85-year-old" and "2024 deaths" on "published in 2024". So a figure is compared with its kind:
a percentage only matches a percentage, a signed number only the same sign ("reduced by 85%" counts as
"−85%"), a year-like number only where the excerpt uses it the same way, and spelled-out numbers
("ten", "a dozen", "doubled") are checked like digits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from .text import CITE_RE, stem

# Unicode minus, hyphens and dashes become "-" so "−85%" and "1.10–5.23" read like ASCII; an em dash is
# punctuation between words, never a sign.
_DASHES = str.maketrans(
    {
        "\u2212": "-",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\ufe63": "-",
        "\uff0d": "-",
        "\u2014": " ",
        "\u2015": " ",
    }
)
_GROUPING = re.compile(r"(?<=\d)[,\u2009\u202f\u00a0](?=\d{3}(?!\d))")  # "1,335", "1 335" (thin/no-break space)

# A sign only when the +, - or ± does not follow a word or a number: "1.10-5.23" is a range, "BPC-157" a name.
_DIGITS = re.compile(r"(?<![\w.])(?P<sign>[-+±](?=\d))?(?<![\w.])(?P<value>\d+(?:\.\d+)?)(?!\d)")
_PERCENT = re.compile(r"\s*(?:%|percent\b|per\s+cent\b)")
_NEXT_WORD = re.compile(r"(?:\s+|-)?([^\W\d_]+)")
_PREV_WORD = re.compile(r"([^\W\d_]+)\s+$")
_DOWN = re.compile(r"\b(?:fell|fallen|decreased|reduced|dropped|declined|lowered|cut|down)\s+by\s+$")
_UP = re.compile(r"\b(?:rose|risen|increased|grew|raised|up)\s+by\s+$")

_UNITS = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = {
    w: 10 * i for i, w in enumerate(["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2)
}
_CARDINALS: dict[str, int] = {
    **{w: i for i, w in enumerate(_UNITS)},
    **_TENS,
    "hundred": 100,
    "thousand": 1000,
    "dozen": 12,
}
_VAGUE = {"hundreds": "hundred", "thousands": "thousand", "dozens": "dozen"}  # a magnitude, not a value
_WORD = "|".join(sorted([*_CARDINALS, *_VAGUE], key=len, reverse=True))
_SPELLED = re.compile(rf"\b(?:{_WORD})(?:(?:\s+|-)(?:{_WORD}))*\b(?![\s-]*fold)")
# Multiplying words, by family. "double-blind" and "half-life" are terms, not figures.
_MULTIPLIERS = {
    "double": re.compile(r"\b(?:doubl(?:e|ed|es|ing)|twice|two-?fold)\b(?![\s-]*(?:blind|masked|dummy))"),
    "triple": re.compile(r"\b(?:tripl(?:e|ed|es|ing)|thrice|three-?fold)\b(?![\s-]*(?:blind|masked|dummy))"),
    "half": re.compile(r"\b(?:half|halves|halve|halved|halving)\b(?![\s-]*(?:life|lives))"),
}
_FACTOR = {"double": Decimal(2), "triple": Decimal(3)}  # "2-fold", "3 times" say the same
# Words before a year that make it a date ("in 2024", "since 2019"), not a count ("2024 deaths").
_YEAR_WORDS = frozenset(
    [
        "in",
        "since",
        "from",
        "by",
        "until",
        "till",
        "through",
        "to",
        "during",
        "before",
        "after",
        "of",
        "year",
        "between",
        "and",
        "early",
        "late",
        "mid",
        "around",
        "circa",
    ]
)


@dataclass(frozen=True)
class Mention:
    """One figure in a text, with what it takes to tell its use: sign, percentage, neighbouring words."""

    text: str
    value: Decimal | None  # None for "hundreds" and multiplying words
    sign: str = ""  # "-", "+", "±" as written
    down: bool = False  # "reduced by N": reads as -N
    up: bool = False  # "increased by N": reads as +N
    percent: bool = False
    prev: str | None = None
    next: str | None = None
    paren: bool = False  # "(2024)"
    family: str | None = None  # "double", "triple", "half", or the word of a vague magnitude
    year_like: bool = False

    @property
    def negative(self) -> bool:
        return self.sign == "-" or self.down

    @property
    def year_context(self) -> bool:
        return self.paren or self.prev in _YEAR_WORDS


def normalize(text: str) -> str:
    """Lowercase, ASCII dashes and signs, no thousands separators and no inline [n] markers."""
    text = CITE_RE.sub(" ", text).translate(_DASHES)
    return _GROUPING.sub("", text).lower()


def _context(text: str, start: int, end: int) -> dict:
    before, after = text[:start], text[end:]
    percent = _PERCENT.match(after)
    if percent:
        after = after[percent.end() :]
    nxt = _NEXT_WORD.match(after)
    prev = _PREV_WORD.search(before)
    return {
        "percent": bool(percent),
        "next": stem(nxt.group(1)) if nxt else None,
        "prev": prev.group(1) if prev else None,
        "paren": before.rstrip().endswith("("),
        "down": bool(_DOWN.search(before)),
        "up": bool(_UP.search(before)),
    }


def _spelled_value(phrase: str) -> Decimal | None:
    total, current = 0, 0
    for word in re.split(r"[\s-]+", phrase):
        if word in _VAGUE:
            return None
        value = _CARDINALS[word]
        if word == "hundred":
            current = (current or 1) * 100
        elif word == "thousand":
            total, current = total + (current or 1) * 1000, 0
        elif word == "dozen":
            current = (current or 1) * 12
        else:
            current += value
    return Decimal(total + current)


def mentions(text: str) -> list[Mention]:
    """Every figure in `text`: digits, spelled-out numbers and multiplying words."""
    text = normalize(text)
    found: list[Mention] = []
    for m in _DIGITS.finditer(text):
        raw, sign = m.group("value"), m.group("sign") or ""
        ctx = _context(text, m.start(), m.end())
        year_like = "." not in raw and len(raw) == 4 and 1800 <= int(raw) <= 2100
        shown = f"{sign}{raw}{'%' if ctx['percent'] else ''}"
        found.append(Mention(shown, Decimal(raw), sign=sign, year_like=year_like, **ctx))
    for m in _SPELLED.finditer(text):
        phrase = m.group(0)
        value = _spelled_value(phrase)
        family = None if value is not None else _VAGUE[re.split(r"[\s-]+", phrase)[-1]]
        found.append(Mention(phrase, value, family=family, **_context(text, m.start(), m.end())))
    for family, pattern in _MULTIPLIERS.items():
        for m in pattern.finditer(text):
            found.append(Mention(m.group(0), None, family=family, **_context(text, m.start(), m.end())))
    return found


def _same_sign(a: Mention, e: Mention) -> bool:
    """Strict: "−85%" needs a negative 85% (or "reduced by 85%"); an explicit "+" needs a plus or "increased by"."""
    if a.negative != e.negative or (a.sign == "±") != (e.sign == "±"):
        return False
    return a.sign != "+" or e.sign == "+" or e.up


def supported(a: Mention, available: list[Mention]) -> bool:
    """Whether the answer's figure `a` is backed by one of the cited excerpts' figures."""
    if a.value is None:
        if a.family in _FACTOR:
            factor = _FACTOR[a.family]
            return any(e.family == a.family or (e.value == factor and e.next in ("fold", "time")) for e in available)
        if a.family == "half":
            return any(e.family == "half" or (e.value == 50 and e.percent and not e.sign) for e in available)
        return any(
            a.family is not None and a.family in e.text for e in available
        )  # "hundreds": "hundred(s)" in the excerpt
    same = [
        e
        for e in available
        if e.value is not None and e.value == a.value and e.percent == a.percent and _same_sign(a, e)
    ]
    if not a.year_like:
        return bool(same)
    # "2024 deaths" is a count: the excerpt must use 2024 before the same word. Without a following word,
    # the same preceding word, or a date on both sides ("in 2024", "(2024)"), will do.
    if a.next is not None:
        return any(e.next == a.next for e in same)
    return any((a.prev is not None and e.prev == a.prev) or (a.year_context and e.year_context) for e in same)


def unsupported(sentence: str, excerpts: list[str]) -> list[str]:
    """The figures of an answer sentence that its cited excerpts do not back, as problems for the logs."""
    available = [m for excerpt in excerpts for m in mentions(excerpt)]
    problems = []
    for a in mentions(sentence):
        if not supported(a, available):
            problems.append(f"{a.text} does not occur in the excerpts its sentence cites{_why(a, available)}")
    return problems


def _why(a: Mention, available: list[Mention]) -> str:
    """What the nearest excerpt figure lacks, so a rejection in the logs explains itself."""
    same_value = [e for e in available if a.value is not None and e.value == a.value]
    if not same_value:
        return ""
    if not any(e.percent == a.percent for e in same_value):
        return " as a percentage" if a.percent else " as a plain number"
    if not any(_same_sign(a, e) for e in same_value):
        return " with that sign"
    return " used that way (a year-like number must be used as the excerpt uses it)"


def has_figures(sentence: str) -> bool:
    return bool(mentions(sentence))
