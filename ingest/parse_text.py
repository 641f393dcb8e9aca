"""The site's plain-text export: title, dek, one paragraph per line, unmarked short headings, pipe tables, Sources."""

from __future__ import annotations

import re

from .blocks import BYLINE_RE, SOURCE_LINE_RE, SOURCES_HEADINGS, DocumentBuilder
from .model import Document, Paragraph, ParseError
from .tables import has_pipe, is_delimiter_row, parse_table, table_end

MAX_HEADING_CHARS = 100
MAX_HEADING_WORDS = 16


def looks_like_heading(line: str) -> bool:
    """Headings are short lines without closing punctuation (a question mark is allowed) or citation markers.

    Paragraph lines in the export are whole paragraphs, so they are long or end in a full stop;
    the byline is excluded by its own pattern before this is asked. A line with a `|` is a table
    row (perhaps a broken one), never a heading.
    """
    text = line.strip()
    if not text or len(text) > MAX_HEADING_CHARS or len(text.split()) > MAX_HEADING_WORDS:
        return False
    if text[-1] in ".!:;,\"”'’)" or re.search(r"\[\d+\]", text) or has_pipe(text):
        return False
    if text.startswith(("- ", "* ", "|", "#", ">")):
        return False
    return text[0].isalnum() or text[0] in "“\"'‘"


def _is_sources_heading(line: str) -> bool:
    return line.strip().lower().rstrip(":") in SOURCES_HEADINGS


def _title(numbered: list[tuple[int, str]]) -> str:
    """Line 1 is the title; a table row or a paragraph there means the file is not a monograph export."""
    title_no, title = numbered[0]
    title = title.strip().lstrip("\ufeff")
    texts = [ln for _, ln in numbered]
    if table_end(texts, 0) > 0 or is_delimiter_row(title):
        raise ParseError(f"no title: line {title_no} is a table row, not a title")
    if len(title) > 200 or (title.endswith(".") and len(title.split()) > 20):
        raise ParseError(f"no title: line {title_no} reads like a paragraph, not a title")
    return title


def _dek(lines: list[str], title_no: int) -> str:
    """The line right after the title is the dek in the site's export, whatever its punctuation.

    Deciding by punctuation made an unpunctuated dek a heading, and the Summary section vanished.
    Only a blank line (the file does not follow the export layout), a table line, or the start of
    Sources is not a dek.
    """
    if title_no >= len(lines):
        return ""
    line = lines[title_no].strip()  # title_no is 1-based, so this is the next line
    if not line or table_end(lines, title_no) > title_no or is_delimiter_row(line):
        return ""
    if _is_sources_heading(line) or SOURCE_LINE_RE.match(line):
        return ""
    return line


def parse_text(text: str, doc: str, url: str, path: str = "") -> Document:
    lines = [ln.rstrip() for ln in text.splitlines()]
    numbered = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip()]
    if not numbered:
        raise ParseError("empty: no text")
    title = _title(numbered)
    title_no = numbered[0][0]
    dek = _dek(lines, title_no)
    rest = numbered[2:] if dek else numbered[1:]
    builder = DocumentBuilder(doc=doc, title=title, url=url, path=path, dek=dek, strict=True)
    texts = [ln for _, ln in rest]

    i = 0
    while i < len(rest):
        line_no, line = rest[i]
        stripped = line.strip()
        end = table_end(texts, i)
        if end > i:
            builder.block(parse_table(texts[i:end], f"at line {line_no}"))
            i = end
            continue
        if builder.in_sources:
            match = SOURCE_LINE_RE.match(stripped)
            if match:
                builder.source(int(match.group(1)), match.group(2))
            elif BYLINE_RE.match(stripped):
                builder.byline = stripped
            else:
                raise ParseError(
                    f"line {line_no} in Sources is not a '- [n] Authors (year). Title. Journal. PMID n' entry"
                )
        elif BYLINE_RE.match(stripped) and len(stripped) <= MAX_HEADING_CHARS:
            builder.byline = stripped
        elif _is_sources_heading(stripped) or looks_like_heading(stripped):
            builder.heading(stripped, line_no)
        else:
            builder.block(Paragraph(stripped))
        i += 1
    return builder.build()
