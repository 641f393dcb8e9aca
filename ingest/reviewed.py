"""When a monograph was last reviewed, read from the page itself (issue 18).

Readers are shown "Monograph reviewed March 2025" beside each excerpt, and an answer citing an old
monograph carries a notice, so the date must be the page's own statement, never a guess. It is looked for,
in this order: a date marked as a review (front matter `reviewed:`, `<meta name="last-reviewed">`,
schema.org `lastReviewed`, a byline or short line "Reviewed 12 March 2025"), then a date marked as an
update (`updated:`, `article:modified_time`, `dateModified`, "Last updated May 2024", a `<time>` after
"Updated"), then the folder's default (`monobot ingest --reviewed`). The vocabulary is data
(ingest/reviewed.yaml). A date in the future, or one that is not a real date, is skipped with a note in
the ingest summary. Pages are untrusted: only short lines are read, and HTML is walked with fixed caps.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from selectolax.lexbor import LexborHTMLParser

from .model import Document, ParseError
from .parse_markdown import split_front_matter

VOCAB_FILE = Path(__file__).with_name("reviewed.yaml")
KINDS = ("reviewed", "updated")
_ISO_RE = re.compile(
    r"(\d{4})[-/](\d{1,2})(?:[-/](\d{1,2}))?(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
)
_KEYWORDS = ("review", "updat", "revis", "modif")
_MAX_TIME_NODES = 20
_MAX_JSON_LD = 10
_MAX_JSON_CHARS = 200_000


@dataclass(frozen=True)
class Vocabulary:
    version: str
    front_matter: dict[str, tuple[str, ...]]
    meta: dict[str, tuple[str, ...]]
    lines: dict[str, re.Pattern[str]]
    prefixes: dict[str, re.Pattern[str]]
    longest_line: int
    months: dict[str, int]
    day_month_year: re.Pattern[str]
    month_day_year: re.Pattern[str]
    month_year: re.Pattern[str]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    raw = VOCAB_FILE.read_bytes()
    data = yaml.safe_load(raw)
    months = {str(k).lower(): int(v) for k, v in data["months"].items()}
    month = "(" + "|".join(sorted(map(re.escape, months), key=len, reverse=True)) + r")\.?"
    day = r"(\d{1,2})(?:st|nd|rd|th)?"
    return Vocabulary(
        version=f"{data['version']}:{hashlib.sha256(raw).hexdigest()[:12]}",
        front_matter={k: tuple(v) for k, v in data["front_matter"].items()},
        meta={k: tuple(v) for k, v in data["meta"].items()},
        lines={kind: re.compile(r"\W*(?:" + "|".join(data["lines"][kind]) + r")\b") for kind in KINDS},
        prefixes={kind: re.compile(r"(?:" + "|".join(data["lines"][kind]) + r")\s*[:\-–—]?$") for kind in KINDS},
        longest_line=int(data["longest_line"]),
        months=months,
        day_month_year=re.compile(rf"{day}(?: of)? {month},? (\d{{4}})"),
        month_day_year=re.compile(rf"{month} {day},? (\d{{4}})"),
        month_year=re.compile(rf"{month},? (\d{{4}})"),
    )


def parse_date(value: object) -> tuple[int, int, int | None] | None:
    """A page's date as (year, month, day or None): ISO ("2025-03-14", "2025-03", "2025/03/14", with or
    without a time), "14 March 2025", "March 14, 2025", "March 2025", or a YAML date. A year alone, a
    numeric day/month order (03/04/2025) or an impossible date is None."""
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value.year, value.month, value.day
    if not isinstance(value, str):
        return None
    text = " ".join(value.split()).strip(" ,.;")
    v = vocabulary()
    parts: tuple[int, int, int | None] | None = None
    if m := _ISO_RE.fullmatch(text):
        parts = int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None
    elif m := v.day_month_year.fullmatch(text.lower()):
        parts = int(m.group(3)), v.months[m.group(2)], int(m.group(1))
    elif m := v.month_day_year.fullmatch(text.lower()):
        parts = int(m.group(3)), v.months[m.group(1)], int(m.group(2))
    elif m := v.month_year.fullmatch(text.lower()):
        parts = int(m.group(2)), v.months[m.group(1)], None
    if parts is None or parts[0] < 1900:
        return None
    try:
        date(parts[0], parts[1], parts[2] or 1)
    except ValueError:
        return None
    return parts


def iso(parts: tuple[int, int, int | None]) -> str:
    year, month, day = parts
    return f"{year:04d}-{month:02d}" + (f"-{day:02d}" if day else "")


@dataclass
class Found:
    """The review date chosen for a document, where it came from, and what was skipped (for the summary)."""

    date: str | None = None
    kind: str | None = None  # "reviewed", "updated" or "default"
    where: str = ""
    notes: list[str] = field(default_factory=list)


def review_date(document: Document, raw: bytes, fmt: str, today: date, default: str | None = None) -> Found:
    """The monograph's review date (see the module docstring for the order); `default` when it has none."""
    found = Found()
    candidates = _candidates(document, raw, fmt)
    for kind in KINDS:
        for where, value in candidates[kind]:
            parts = parse_date(value)
            if parts is None:
                if where.startswith("front matter"):
                    found.notes.append(f"{where} {str(value)[:40]!r} is not a date (YYYY-MM or YYYY-MM-DD); ignored")
                continue
            if date(parts[0], parts[1], parts[2] or 1) > today:
                found.notes.append(f"{where} {iso(parts)} is in the future; ignored")
                continue
            found.date, found.kind, found.where = iso(parts), kind, where
            return found
    if default:
        found.date, found.kind, found.where = default, "default", "--reviewed"
    return found


def _candidates(document: Document, raw: bytes, fmt: str) -> dict[str, list[tuple[str, object]]]:
    """Every dated statement the page makes, by kind, in the order they are trusted."""
    out: dict[str, list[tuple[str, object]]] = {kind: [] for kind in KINDS}
    text = raw.decode("utf-8", errors="replace")
    if fmt == "markdown":
        _front_matter(text, out)
    if fmt == "html":
        _html(text, out)
    else:
        for kind, line_date in _dated_lines(text.splitlines()):
            out[kind].append(("line", line_date))
    if document.byline:
        for kind, line_date in _dated_lines([document.byline]):
            out[kind].insert(0, ("byline", line_date))
    if document.updated:
        out["updated"].append(("page date", document.updated))
    return out


def _front_matter(text: str, out: dict[str, list[tuple[str, object]]]) -> None:
    try:
        meta, _, _ = split_front_matter(text)
    except ParseError:
        return
    lowered = {str(k).lower(): v for k, v in meta.items()}
    for kind in KINDS:
        for key in vocabulary().front_matter[kind]:
            if lowered.get(key) not in (None, ""):
                out[kind].append((f"front matter {key}:", lowered[key]))


def _dated_lines(lines: list[str]) -> Iterator[tuple[str, str]]:
    """("reviewed" or "updated", the date text) for every short line that starts by saying the page was
    reviewed or updated and ends with a date: "Reviewed by Dr A. Smith on 12 March 2025"."""
    v = vocabulary()
    for line in lines:
        if len(line) > v.longest_line:
            continue
        lowered = line.lower().strip()
        if not any(k in lowered for k in _KEYWORDS):
            continue
        for kind in KINDS:
            m = v.lines[kind].match(lowered)
            found = _trailing_date(lowered[m.end() :]) if m else None
            if found:
                yield kind, found
                break


def _trailing_date(rest: str) -> str | None:
    """The longest run of the last words (at most five) that is a date, after markup is stripped."""
    words = rest.strip(" \t*_)]>.:;,-–—").split()
    for k in range(min(5, len(words)), 0, -1):
        candidate = " ".join(words[-k:]).strip(" :,-–—")
        if parse_date(candidate) is not None:
            return candidate
    return None


def _html(text: str, out: dict[str, list[tuple[str, object]]]) -> None:
    """<meta> names, JSON-LD keys, <time> after "Reviewed"/"Updated", then short lines of the page text."""
    tree = LexborHTMLParser(text)
    v = vocabulary()
    metas: dict[str, str] = {}
    for node in tree.css("meta"):
        attrs = node.attributes
        name = (attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or "").strip().lower()
        if name and name not in metas and (attrs.get("content") or "").strip():
            metas[name] = (attrs.get("content") or "").strip()
    ld = _json_ld(tree)
    for kind in KINDS:
        for name in v.meta[kind]:
            if name in metas:
                out[kind].append((f"<meta {name}>", metas[name]))
            if name in ld:
                out[kind].append((f"JSON-LD {name}", ld[name]))
    for node in tree.css("time")[:_MAX_TIME_NODES]:
        value = (node.attributes.get("datetime") or node.text(deep=True) or "").strip()
        before = (node.parent.text(deep=False) if node.parent is not None else "").lower().strip()
        for kind in KINDS:
            if value and v.prefixes[kind].search(before[-200:]):
                out[kind].append(("<time>", value))
                break
    for node in tree.css("script, style, noscript, template"):
        node.decompose()
    body = tree.body.text(separator="\n") if tree.body is not None else ""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    # "Page last reviewed:" and its date are often separate elements: also read each line with the next.
    joined = [f"{a} {b}" for a, b in zip(lines, lines[1:], strict=False) if len(a) <= v.longest_line]
    for kind, line_date in _dated_lines(lines + joined):
        out[kind].append(("page text", line_date))


def _json_ld(tree: LexborHTMLParser) -> dict[str, Any]:
    """lastReviewed/dateModified and the like from the page's JSON-LD (first value of each key, lower-cased)."""
    found: dict[str, Any] = {}
    for script in tree.css('script[type="application/ld+json"]')[:_MAX_JSON_LD]:
        raw = script.text(deep=True)
        if len(raw) > _MAX_JSON_CHARS:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        stack: list[tuple[Any, int]] = [(data, 0)]
        seen = 0
        while stack and seen < 2000:
            item, depth = stack.pop()
            seen += 1
            if isinstance(item, dict):
                for key, value in item.items():
                    if isinstance(value, str):
                        found.setdefault(str(key).lower(), value)
                    elif depth < 6:
                        stack.append((value, depth + 1))
            elif isinstance(item, list) and depth < 6:
                stack.extend((x, depth + 1) for x in item[:200])
    return found


def version() -> str:
    """Part of the index fingerprint: a changed vocabulary re-reads every page's date."""
    return vocabulary().version
