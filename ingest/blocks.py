"""Pieces every format shares: source entries, and assembling sections into a Document (tables: tables.py)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from bot.text import anchor, cited_numbers

from .model import Block, Document, Paragraph, ParseError, Section, Source

LEAD_HEADING = "Summary"  # label of the text before the first heading (dek and lead); its URL is the page itself
SOURCES_HEADINGS = {"sources", "references", "bibliography", "citations"}
BYLINE_RE = re.compile(r"^\s*[*_]*\s*(reviewed (against|by)\b|written by\b|by the .+ desk\b)", re.IGNORECASE)
SOURCE_LINE_RE = re.compile(r"^\s*(?:[-*+]\s*)?\[(\d+)\]\s*(.+?)\s*$")
_PMID_RE = re.compile(r"[.;,]?\s*PMID:?\s*(\d{4,9})\.?\s*$", re.IGNORECASE)
_AUTHORS_YEAR_RE = re.compile(r"^(?P<authors>.+?)\s*\((?P<year>\d{4}[a-z]?)\)\.?\s*(?P<rest>.*)$")


def parse_source(n: int, body: str) -> Source:
    """'Authors (year). Title. Journal. PMID n' into fields; anything unparseable stays whole in `citation`."""
    citation = body.strip()
    pmid = None
    match = _PMID_RE.search(citation)
    rest_all = citation
    if match:
        pmid = match.group(1)
        rest_all = citation[: match.start()].strip()
    authors = year = title = journal = ""
    m = _AUTHORS_YEAR_RE.match(rest_all)
    if m:
        authors, year = m.group("authors").strip().rstrip("."), m.group("year")
        rest = m.group("rest").strip().rstrip(".")
        if ". " in rest:
            title, journal = rest.rsplit(". ", 1)
        else:
            title = rest
    return Source(
        n=n, citation=citation, authors=authors, year=year, title=title.strip(), journal=journal.strip(), pmid=pmid
    )


@dataclass
class DocumentBuilder:
    """Collects headings, blocks and sources in reading order; the parsers only recognise lines."""

    doc: str
    title: str
    url: str
    path: str
    dek: str = ""
    updated: str | None = None
    subject: str | None = None
    byline: str | None = None
    sources_heading: str | None = None
    # A heading with no text under it: "keep" it as an empty section (Markdown and HTML mark headings
    # explicitly, and a parent heading directly followed by a subheading is ordinary structure), or
    # "error" (the text export infers headings from short lines, so an empty section means a line was
    # misread and its text would otherwise vanish from the index).
    empty_sections: Literal["keep", "error"] = "keep"
    sections: list[Section] = field(default_factory=list)
    sources: dict[int, Source] = field(default_factory=dict)
    in_sources: bool = False
    sources_line: int | None = None

    def __post_init__(self) -> None:
        # The text before the first heading is the lead section; it links to the page itself.
        self.sections.append(Section(heading=LEAD_HEADING, anchor=""))

    def heading(self, text: str, line: int | None = None) -> None:
        text = text.strip().strip("#").strip()
        if text.lower().rstrip(":") in SOURCES_HEADINGS:
            self.in_sources = True
            self.sources_heading = text
            self.sources_line = line
            return
        self.in_sources = False
        taken = {s.anchor for s in self.sections}
        slug, i = anchor(text), 2
        base = slug
        while slug in taken:
            slug, i = f"{base}-{i}", i + 1
        self.sections.append(Section(heading=text, anchor=slug, line=line))

    def block(self, block: Block) -> None:
        if isinstance(block, Paragraph) and not block.text.strip():
            return
        self.sections[-1].blocks.append(block)

    def source(self, n: int, body: str) -> None:
        if n in self.sources:
            raise ParseError(f"source [{n}] is listed twice")
        self.sources[n] = parse_source(n, body)

    def build(self) -> Document:
        if not self.title.strip():
            raise ParseError("no title")
        if self.dek:
            self.sections[0].blocks.insert(0, Paragraph(self.dek))
        sections = []
        for section in self.sections:
            if section.blocks:
                sections.append(section)
            elif not section.anchor:
                continue  # an empty lead holds no text of the file: its label is ours
            elif self.empty_sections == "error":
                raise ParseError(self._empty_section_message(section))
            else:
                sections.append(section)  # the heading is the file's text; previews show it with no chunks
        if not any(s.blocks for s in sections):
            raise ParseError("no text: the file has a title but no paragraphs or tables")
        return Document(
            doc=self.doc,
            title=self.title.strip(),
            dek=self.dek,
            url=self.url,
            sections=sections,
            sources=self.sources,
            path=self.path,
            updated=self.updated,
            subject=self.subject,
            byline=self.byline,
            sources_heading=self.sources_heading,
        )

    def _empty_section_message(self, section: Section) -> str:
        """Where the empty section is and what follows it, so the author can find the misread line."""
        later = [s.line for s in self.sections if s.line and section.line and s.line > section.line]
        if self.sources_line and section.line and self.sources_line > section.line:
            later.append(self.sources_line)
        where = f"line {section.line}: " if section.line else ""
        after = (
            f"the next heading is line {min(later)}" if later else "nothing but headings, Sources or a byline follow it"
        )
        return (
            f"{where}'{section.heading}' reads as a section heading but has no text under it ({after}); "
            "a short line without closing punctuation is read as a heading, so a one-line paragraph needs its full stop "
            "and a table needs its '---|---' delimiter row"
        )


def unresolved_citations(document: Document) -> list[int]:
    """Inline markers that point at no entry of the Sources list (reported as warnings, not errors)."""
    missing: set[int] = set()
    for section in document.sections:
        for block in section.blocks:
            texts = [block.text] if isinstance(block, Paragraph) else [c for row in block.rows for c in row]
            for text in texts:
                missing.update(n for n in cited_numbers(text) if n not in document.sources)
    return sorted(missing)


def headings(document: Document) -> list[str]:
    """Section headings in order, without the lead; used by previews and tests."""
    return [s.heading for s in document.sections if s.anchor]
