"""Pieces every format shares: pipe tables, source entries, and assembling sections into a Document."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.text import anchor, cited_numbers

from .model import Block, Document, Paragraph, ParseError, Section, Source, Table

LEAD_HEADING = "Summary"  # label of the text before the first heading (dek and lead); its URL is the page itself
SOURCES_HEADINGS = {"sources", "references", "bibliography", "citations"}
BYLINE_RE = re.compile(r"^\s*[*_]*\s*(reviewed (against|by)\b|written by\b|by the .+ desk\b)", re.IGNORECASE)
SOURCE_LINE_RE = re.compile(r"^\s*(?:[-*+]\s*)?\[(\d+)\]\s*(.+?)\s*$")
_PMID_RE = re.compile(r"[.;,]?\s*PMID:?\s*(\d{4,9})\.?\s*$", re.IGNORECASE)
_AUTHORS_YEAR_RE = re.compile(r"^(?P<authors>.+?)\s*\((?P<year>\d{4}[a-z]?)\)\.?\s*(?P<rest>.*)$")


def is_table_line(line: str) -> bool:
    return line.lstrip().startswith("|")


def split_cells(line: str) -> list[str]:
    body = line.strip()
    if body.startswith("|"):
        body = body[1:]
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = re.split(r"(?<!\\)\|", body)
    return [c.strip().replace("\\|", "|") for c in cells]


def _is_separator(cells: list[str]) -> bool:
    return bool(cells) and all(re.fullmatch(r":?-{1,}:?", c.replace(" ", "")) for c in cells)


def parse_table(lines: list[str], where: str) -> Table:
    """A Markdown pipe table; ragged rows are an error because a row read against the wrong header misleads."""
    if len(lines) < 2:
        raise ParseError(f"broken table {where}: a header line without a '|---|' separator line")
    header = split_cells(lines[0])
    if not _is_separator(split_cells(lines[1])):
        raise ParseError(f"broken table {where}: line 2 of the table is not a '|---|' separator")
    if len(split_cells(lines[1])) != len(header):
        raise ParseError(f"broken table {where}: separator has {len(split_cells(lines[1]))} cells, header has {len(header)}")
    rows = []
    for offset, line in enumerate(lines[2:], start=3):
        cells = split_cells(line)
        if len(cells) != len(header):
            raise ParseError(f"broken table {where}: row {offset - 2} has {len(cells)} cells, header has {len(header)}")
        rows.append(cells)
    if not rows:
        raise ParseError(f"broken table {where}: header but no rows")
    return Table(header=header, rows=rows)


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
    return Source(n=n, citation=citation, authors=authors, year=year, title=title.strip(), journal=journal.strip(), pmid=pmid)


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
    sections: list[Section] = field(default_factory=list)
    sources: dict[int, Source] = field(default_factory=dict)
    in_sources: bool = False

    def __post_init__(self) -> None:
        # The text before the first heading is the lead section; it links to the page itself.
        self.sections.append(Section(heading=LEAD_HEADING, anchor=""))

    def heading(self, text: str) -> None:
        text = text.strip().strip("#").strip()
        if text.lower().rstrip(":") in SOURCES_HEADINGS:
            self.in_sources = True
            self.sources_heading = text
            return
        self.in_sources = False
        taken = {s.anchor for s in self.sections}
        slug, i = anchor(text), 2
        base = slug
        while slug in taken:
            slug, i = f"{base}-{i}", i + 1
        self.sections.append(Section(heading=text, anchor=slug))

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
        sections = [s for s in self.sections if s.blocks]
        if not sections:
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
