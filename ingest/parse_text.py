"""The site's plain-text export: title, dek, one paragraph per line, unmarked short headings, pipe tables, Sources."""

from __future__ import annotations

import re

from .blocks import BYLINE_RE, SOURCE_LINE_RE, SOURCES_HEADINGS, DocumentBuilder, is_table_line, parse_table
from .model import Document, Paragraph, ParseError

MAX_HEADING_CHARS = 100
MAX_HEADING_WORDS = 16


def looks_like_heading(line: str) -> bool:
    """Headings are short lines without closing punctuation (a question mark is allowed) or citation markers.

    Paragraph lines in the export are whole paragraphs, so they are long or end in a full stop;
    the byline is excluded by its own pattern before this is asked.
    """
    text = line.strip()
    if not text or len(text) > MAX_HEADING_CHARS or len(text.split()) > MAX_HEADING_WORDS:
        return False
    if text[-1] in ".!:;,\"”'’)" or re.search(r"\[\d+\]", text):
        return False
    if text.startswith(("- ", "* ", "|", "#", ">")):
        return False
    return text[0].isalnum() or text[0] in "“\"'‘"


def parse_text(text: str, doc: str, url: str, path: str = "") -> Document:
    lines = [ln.rstrip() for ln in text.splitlines()]
    numbered = [(i + 1, ln) for i, ln in enumerate(lines) if ln.strip()]
    if not numbered:
        raise ParseError("empty: no text")
    title_no, title = numbered[0]
    title = title.strip().lstrip("\ufeff")
    if len(title) > 200 or (title.endswith(".") and len(title.split()) > 20) or is_table_line(title):
        raise ParseError(f"no title: line {title_no} reads like a paragraph, not a title")
    rest = numbered[1:]
    dek = ""
    if rest and not is_table_line(rest[0][1]) and not looks_like_heading(rest[0][1]) and not SOURCE_LINE_RE.match(rest[0][1]):
        dek = rest[0][1].strip()
        rest = rest[1:]
    builder = DocumentBuilder(doc=doc, title=title, url=url, path=path, dek=dek)

    i = 0
    while i < len(rest):
        line_no, line = rest[i]
        stripped = line.strip()
        if is_table_line(stripped):
            j = i
            while j < len(rest) and is_table_line(rest[j][1]):
                j += 1
            builder.block(parse_table([ln for _, ln in rest[i:j]], f"at line {line_no}"))
            i = j
            continue
        if builder.in_sources:
            match = SOURCE_LINE_RE.match(stripped)
            if match:
                builder.source(int(match.group(1)), match.group(2))
            elif BYLINE_RE.match(stripped):
                builder.byline = stripped
            else:
                raise ParseError(f"line {line_no} in Sources is not a '- [n] Authors (year). Title. Journal. PMID n' entry")
        elif BYLINE_RE.match(stripped) and len(stripped) <= MAX_HEADING_CHARS:
            builder.byline = stripped
        elif stripped.lower().rstrip(":") in SOURCES_HEADINGS or looks_like_heading(stripped):
            builder.heading(stripped)
        else:
            builder.block(Paragraph(stripped))
        i += 1
    return builder.build()
