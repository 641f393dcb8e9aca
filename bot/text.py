"""Text rules shared by ingest and the bot, so both sides cut and match text the same way.

ANALYZER_VERSION names the lexical analyser (tokens, stems, synonyms, figures). BM25 postings and the
stored chunk terms are made with it, so the index records it and a change rebuilds them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

ANALYZER_VERSION = 1

# Inline source markers: "[1]", "[1][5]", "[2, 3]", "[1-3]" (hyphen or en dash).
CITE_RE = re.compile(r"\[(\d+(?:\s*[,–-]\s*\d+)*)\]")
CITE_RUN_RE = re.compile(r"(?:\s*\[\d+(?:\s*[,–-]\s*\d+)*\])+")

_ABBREVIATIONS = {
    "al",
    "e.g",
    "i.e",
    "vs",
    "dr",
    "prof",
    "approx",
    "fig",
    "no",
    "vol",
    "ca",
    "cf",
    "etc",
    "mr",
    "mrs",
    "ms",
    "st",
    "jr",
    "sr",
    "inc",
    "ltd",
    "co",
    "mg",
    "ml",
    "resp",
}
# A sentence ends at . ! ? (optionally followed by quotes/brackets and citation markers)
# before whitespace and an opening capital, digit, quote or bracket.
_BOUNDARY_RE = re.compile(r"""[.!?]["'”’)\]]*(?:\s*\[\d+(?:\s*[,–-]\s*\d+)*\])*(?=\s+["'“‘(]?[A-Z0-9])""")


def cited_numbers(text: str) -> list[int]:
    """Source numbers referenced by inline markers, in order, without duplicates ("[1-3]" expands)."""
    seen: list[int] = []
    for match in CITE_RE.finditer(text):
        for part in re.split(r"\s*,\s*", match.group(1)):
            bounds = re.split(r"\s*[–-]\s*", part)
            if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit():
                lo, hi = int(bounds[0]), int(bounds[1])
                numbers: list[int] = list(range(lo, hi + 1)) if 0 < hi - lo < 50 else [lo, hi]
            else:
                numbers = [int(b) for b in bounds if b.isdigit()]
            for n in numbers:
                if n not in seen:
                    seen.append(n)
    return seen


def strip_citations(text: str) -> str:
    """The sentence without its inline source markers (the bot adds its own [n] markers)."""
    return re.sub(r"\s+([.,;:])", r"\1", CITE_RUN_RE.sub("", text)).strip()


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences of one paragraph; citation markers stay with their sentence."""
    spans: list[tuple[int, int]] = []
    start = 0
    for match in _BOUNDARY_RE.finditer(text):
        end = match.end()
        word = re.search(r"([A-Za-z][A-Za-z.]*)\.$", text[start : match.start() + 1])
        if word and word.group(1).lower().rstrip(".") in _ABBREVIATIONS and text[match.start()] == ".":
            continue
        if text[start:end].strip():
            spans.append(_trim(text, start, end))
        start = end
    if text[start:].strip():
        spans.append(_trim(text, start, len(text)))
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text)]


def anchor(heading: str) -> str:
    """URL fragment for a heading, the way static site generators slugify headings."""
    value = unicodedata.normalize("NFKD", heading).encode("ascii", "ignore").decode()
    value = re.sub(r"[^\w\s-]", "", value.lower())
    return re.sub(r"[\s_-]+", "-", value).strip("-") or "section"


def slugify(name: str) -> str:
    return anchor(name)


_STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "few",
        "for",
        "from",
        "further",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "me",
        "more",
        "most",
        "my",
        "no",
        "nor",
        "not",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "our",
        "out",
        "over",
        "own",
        "same",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "to",
        "too",
        "under",
        "until",
        "up",
        "very",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "while",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "yours",
        "also",
        "may",
        "might",
        "must",
        "shall",
        "us",
        "tell",
        "know",
        "like",
        "get",
        "got",
        "ok",
        "okay",
        "please",
        "thanks",
        "thank",
    ]
)
STOPWORDS = _STOPWORDS  # shared with subject matching

_TOKEN_RE = re.compile(r"[a-z0-9]+")
_NON_RE = re.compile(r"\bnon[-\s]+([a-z]{3,})")


_DASHES = str.maketrans({"–": "-", "—": " - ", "‑": "-", "−": "-", "’": "'", "‘": "'", "“": '"', "”": '"'})


def normalize(text: str) -> str:
    """Lowercase ASCII; dashes become hyphens first so "1.10–5.23" stays two numbers."""
    return unicodedata.normalize("NFKD", text.translate(_DASHES)).encode("ascii", "ignore").decode().lower()


def stem(token: str) -> str:
    """A deliberately light English stemmer: plurals only, so 'reactions' meets 'reaction' but 'dosing' stays itself."""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


# Lay and clinical words for the same thing; a query term brings its group along (BM25 and overlap scores).
SYNONYMS = [
    {"death", "died", "die", "dying", "dead", "fatal", "mortality", "deadly", "kill", "killed"},
    {"allergy", "allergic", "hypersensitivity", "anaphylaxis", "anaphylactic"},
    {"safe", "safety", "tolerated", "tolerability", "tolerable"},
    {"work", "effective", "efficacy", "benefit"},
    {"dose", "dosing", "dosed", "dosage"},
    {"pig", "porcine"},
    {"nasal", "intranasal", "nose"},
    {
        "legal",
        "illegal",
        "lawful",
        "approved",
        "approval",
        "licensed",
        "registered",
        "banned",
        "prohibited",
        "allowed",
        "prescription",
        "prescribed",
    },
    {"buy", "bought", "purchase", "purchased", "sold", "sell", "sells", "selling", "sale", "marketed"},
    {"america", "american", "usa", "us", "fda"},
    {"europe", "european", "eu", "ema"},
    {"memory", "cognition", "cognitive", "focus", "concentration"},
    {"anxiety", "anxious", "anxiolytic"},
    {"sleepy", "drowsy", "drowsiness", "sedation", "sedative", "sedating", "sedated", "tired"},
]
# Tables abbreviate what prose spells out: both spellings index and match each other.
_ABBREVIATED = [
    ("risk ratio", "rr"),
    ("relative risk", "rr"),
    ("odds ratio", "or"),
    ("confidence interval", "ci"),
    ("adverse event", "ae"),
]
_SYNONYM_OF = {word: group for group in SYNONYMS for word in group}


def expand(query_terms: list[str]) -> list[str]:
    out = list(query_terms)
    for term in query_terms:
        out.extend(w for w in sorted(_SYNONYM_OF.get(term, ())) if w not in out)
    return out


def terms(text: str, keep_stopwords: bool = False) -> list[str]:
    """Lexical terms for BM25 and overlap scores; hyphenated names also yield their joined form (bpc-157 -> bpc157)."""
    lowered = _NON_RE.sub(r"non\1", normalize(text))  # "non-fatal" is one idea, not "fatal"
    out = [stem(t) for t in _TOKEN_RE.findall(lowered) if keep_stopwords or t not in _STOPWORDS]
    for joined in re.findall(r"\b([a-z]+)[-\s]([0-9]+)\b", lowered):
        out.append(joined[0] + joined[1])
    out.extend(figures(lowered))
    for phrase, abbreviation in _ABBREVIATED:
        if abbreviation in out and phrase not in lowered:
            out.extend(phrase.split())
        elif phrase in lowered:
            out.append(abbreviation)
    return out


def iter_words(text: str) -> Iterator[str]:
    yield from _TOKEN_RE.findall(normalize(text))


_FIGURE_RE = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\d,])|(?<![\w.])\d+\.\d+(?![\d.])")


def figures(text: str) -> list[str]:
    """Exact figures as single terms ("2.39" -> "2p39", "1,335" -> "1335"), so a figure is found as itself,
    not as the common numbers "2" and "39" it splits into."""
    return [m.group(0).replace(",", "").replace(".", "p") for m in _FIGURE_RE.finditer(text)]


def render_row(text: str) -> str:
    """A table row as a sentence: each cell verbatim, labelled with its column header."""
    lines = text.splitlines()
    header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    cells = [c.strip() for c in lines[-1].strip().strip("|").split("|")]
    if len(header) != len(cells):
        return strip_citations(" ".join(cells))
    parts = [f"{h}: {c}" if h else c for h, c in zip(header, cells)]
    return strip_citations("; ".join(parts)).rstrip(".") + "."
