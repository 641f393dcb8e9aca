"""Text rules shared by ingest and the bot, so both sides cut and match text the same way.

ANALYZER_VERSION names the lexical analyser (tokens, stems, synonyms, figures); it includes a hash of the
vocabulary data (bot/vocab.py). BM25 postings and the stored chunk terms are made with it, so the index
records it and a change rebuilds them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from . import vocab

ANALYZER_VERSION = f"2-{vocab.analyzer_hash()}"

# Inline source markers: "[1]", "[1][5]", "[2, 3]", "[1-3]" (hyphen or en dash).
CITE_RE = re.compile(r"\[(\d+(?:\s*[,–-]\s*\d+)*)\]")
CITE_RUN_RE = re.compile(r"(?:\s*\[\d+(?:\s*[,–-]\s*\d+)*\])+")

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
    """Character spans of the sentences of one paragraph; citation markers stay with their sentence.

    A line break always ends a sentence (list items and lines of a plain list are never merged), and an
    abbreviation from prompts/vocab/abbreviations.txt ("aka.", "e.g.", "et al.") never does.
    """
    spans: list[tuple[int, int]] = []
    offset = 0
    for line in text.split("\n"):
        spans.extend((a + offset, b + offset) for a, b in _line_spans(line))
        offset += len(line) + 1
    return spans


def _line_spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    start = 0
    known = vocab.abbreviations()
    for match in _BOUNDARY_RE.finditer(text):
        end = match.end()
        word = re.search(r"([A-Za-z][A-Za-z.]*)\.$", text[start : match.start() + 1])
        if word and word.group(1).lower().rstrip(".") in known and text[match.start()] == ".":
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


STOPWORDS = vocab.stopwords()  # shared with subject matching

_TOKEN_RE = re.compile(r"[a-z0-9]+")
_NON_RE = re.compile(r"\bnon[-\s]+([a-z]{3,})")


_DASHES = str.maketrans({"–": "-", "—": " - ", "‑": "-", "−": "-", "’": "'", "‘": "'", "“": '"', "”": '"'})


def normalize(text: str) -> str:
    """Lowercase ASCII; dashes become hyphens first so "1.10–5.23" stays two numbers."""
    return unicodedata.normalize("NFKD", text.translate(_DASHES)).encode("ascii", "ignore").decode().lower()


stem = vocab.stem


def expand(query_terms: list[str]) -> list[str]:
    """The terms plus the reader-language groups they belong to (prompts/vocab/lay_clinical.yaml)."""
    return vocab.groups().expand(query_terms)


def words(text: str) -> list[str]:
    """The text's words as the analyser reads them, before stemming: lowercase ASCII, chat spellings
    respelled, and "non-fatal" kept as one word ("nonfatal"), so counting and matching agree."""
    lowered = _NON_RE.sub(r"non\1", normalize(text))
    return [vocab.respell(t) for t in _TOKEN_RE.findall(lowered)]


def terms(text: str, keep_stopwords: bool = False) -> list[str]:
    """Lexical terms for BM25 and overlap scores; hyphenated names also yield their joined form (bpc-157 -> bpc157)."""
    lowered = _NON_RE.sub(r"non\1", normalize(text))  # "non-fatal" is one idea, not "fatal"
    words = [vocab.respell(t) for t in _TOKEN_RE.findall(lowered)]
    out = [stem(t) for t in words if keep_stopwords or t not in STOPWORDS]
    for joined in re.findall(r"\b([a-z]+)[-\s]([0-9]+)\b", lowered):
        out.append(joined[0] + joined[1])
    out.extend(figures(lowered))
    return out


def iter_words(text: str) -> Iterator[str]:
    yield from _TOKEN_RE.findall(normalize(text))


_FIGURE_RE = re.compile(r"(?<![\w.,])\d{1,3}(?:,\d{3})+(?![\d,])|(?<![\w.])\d+\.\d+(?![\d.])")


def figures(text: str) -> list[str]:
    """Exact figures as single terms ("2.39" -> "2p39", "1,335" -> "1335"), so a figure is found as itself,
    not as the common numbers "2" and "39" it splits into."""
    return [m.group(0).replace(",", "").replace(".", "p") for m in _FIGURE_RE.finditer(text)]


def row_cells(text: str) -> tuple[list[str], list[str]]:
    """(header cells, row cells) of a table-row chunk ("| h | h |\\n| c | c |")."""
    lines = text.splitlines()
    header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    cells = [c.strip() for c in lines[-1].strip().strip("|").split("|")]
    return header, cells


def readable_row(text: str) -> str:
    """A table row as a reader's sentence: "<row name> — <column>: <cell>; <column>: <cell>."

    Every cell is quoted verbatim (no figure is rewritten); only the row's own name moves to the front,
    as the subject, with the other columns as its labelled details. The cited excerpt keeps the row
    exactly as the monograph's table has it.
    """
    header, cells = row_cells(text)
    if len(header) != len(cells) or len(cells) < 2 or not cells[0]:
        return render_row(text)
    details = [f"{_lower_first(h)}: {c}" if h else c for h, c in zip(header[1:], cells[1:]) if c]
    return strip_citations(f"{cells[0]} — {'; '.join(details)}").rstrip(".") + "."


def _lower_first(label: str) -> str:
    return label[:1].lower() + label[1:] if label[:2].istitle() or label[1:2].islower() else label


def render_row(text: str) -> str:
    """A table row as a sentence: each cell verbatim, labelled with its column header."""
    lines = text.splitlines()
    header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    cells = [c.strip() for c in lines[-1].strip().strip("|").split("|")]
    if len(header) != len(cells):
        return strip_citations(" ".join(cells))
    parts = [f"{h}: {c}" if h else c for h, c in zip(header, cells)]
    return strip_citations("; ".join(parts)).rstrip(".") + "."
