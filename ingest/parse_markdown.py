"""Markdown monographs: optional YAML front matter, '#' headings, paragraphs, pipe tables, a Sources list."""

from __future__ import annotations

import re

import yaml

from .blocks import BYLINE_RE, SOURCE_LINE_RE, DocumentBuilder
from .model import Document, Paragraph, ParseError
from .tables import parse_table, table_end

_HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_ORDERED_RE = re.compile(r"^\s*(\d+)[.)]\s+(.+)$")
_LINK_RE = re.compile(r"\[([^\]]+)\]\((?:[^)]+)\)")


def split_front_matter(text: str) -> tuple[dict, str, int]:
    """(front matter, body, line offset of the body); malformed YAML is an error, not silently ignored."""
    if not text.startswith("---"):
        return {}, text, 0
    lines = text.splitlines()
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            try:
                meta = yaml.safe_load("\n".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                raise ParseError(f"front matter is not valid YAML ({str(exc).splitlines()[0]})") from None
            if not isinstance(meta, dict):
                raise ParseError("front matter is not a YAML mapping")
            return meta, "\n".join(lines[i + 1 :]), i + 1
    raise ParseError("front matter starts with '---' but is never closed")


def plain_inline(text: str) -> str:
    """Drop Markdown emphasis and link targets; keep [n] citation markers."""
    text = _LINK_RE.sub(r"\1", text)
    text = re.sub(r"(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w*])([*_])(?!\s)(.+?)(?<!\s)\1(?![\w*])", r"\2", text)
    return re.sub(r"`([^`]+)`", r"\1", text).strip()


def parse_markdown(text: str, doc: str, url: str, path: str = "") -> Document:
    meta, body, offset = split_front_matter(text)
    lines = body.splitlines()
    title = str(meta.get("title") or "").strip()
    h1_seen = False
    if not title:
        for line in lines:
            m = _HEADING_RE.match(line)
            if m and len(m.group(1)) == 1:
                title = plain_inline(m.group(2))
                break
    if not title:
        raise ParseError("no title: neither a 'title:' in front matter nor a '# Title' line")
    builder = DocumentBuilder(
        doc=doc,
        title=title,
        url=url,
        path=path,
        dek=str(meta.get("dek") or meta.get("description") or meta.get("summary") or "").strip(),
        updated=str(meta["updated"]) if meta.get("updated") else None,
        subject=str(meta["subject"]) if meta.get("subject") else None,
    )

    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            joined = plain_inline(" ".join(p.strip() for p in paragraph))
            if BYLINE_RE.match(joined) and len(joined) < 120:
                builder.byline = joined
            else:
                builder.block(Paragraph(joined))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        m = _HEADING_RE.match(stripped)
        end = table_end(lines, i)
        if not stripped:
            flush()
        elif m:
            flush()
            if len(m.group(1)) == 1 and not h1_seen and plain_inline(m.group(2)) == title:
                h1_seen = True
            else:
                builder.heading(plain_inline(m.group(2)), offset + i + 1)
        elif end > i:
            flush()
            builder.block(parse_table(lines[i:end], f"at line {offset + i + 1}"))
            i = end
            continue
        elif builder.in_sources:
            flush()
            source = SOURCE_LINE_RE.match(stripped)
            ordered = _ORDERED_RE.match(stripped)
            if source:
                builder.source(int(source.group(1)), plain_inline(source.group(2)))
            elif ordered:
                builder.source(int(ordered.group(1)), plain_inline(ordered.group(2)))
            elif BYLINE_RE.match(plain_inline(stripped)):
                builder.byline = plain_inline(stripped)
            else:
                raise ParseError(f"line {offset + i + 1} in Sources is not a '- [n] ...' or '1. ...' entry")
        else:
            paragraph.append(stripped)
        i += 1
    flush()
    return builder.build()
