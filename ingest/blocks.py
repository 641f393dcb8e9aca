"""Pieces every format shares: source entries, plain-line lists, and assembling sections into a Document.

Tables are in tables.py; what counts as page chrome is in chrome.yaml (read by chrome.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.text import anchor, cited_numbers

from .model import Block, Document, Paragraph, ParseError, Section, Source

LEAD_HEADING = "Summary"  # label of the text before the first heading (dek and lead); its URL is the page itself
SOURCES_HEADINGS = {"sources", "references", "bibliography", "citations"}
BYLINE_RE = re.compile(r"^\s*[*_]*\s*(reviewed (against|by)\b|written by\b|by the .+ desk\b)", re.IGNORECASE)
SOURCE_LINE_RE = re.compile(r"^\s*(?:[-*+]\s*)?\[(\d+)\]\s*(.+?)\s*$")
_PMID_RE = re.compile(r"[.;,]?\s*PMID:?\s*(\d{4,9})\.?\s*$", re.IGNORECASE)
_PMID_ANY_RE = re.compile(r"\bPMID\s*:?\s*(\d{4,9})\b", re.IGNORECASE)
_PUBMED_URL_RE = re.compile(r"(?:pubmed\.ncbi\.nlm\.nih\.gov/|ncbi\.nlm\.nih\.gov/pubmed/)(\d{4,9})\b")
_DOI_RE = re.compile(r"\b(10\.\d{4,9}/[^\s\"<>|]+)")
_AUTHORS_YEAR_RE = re.compile(r"^(?P<authors>.+?)\s*\((?P<year>\d{4}[a-z]?)\)\.?\s*(?P<rest>.*)$")
# Links in a reference entry that name an identifier scheme (Wikipedia links "doi" to the article about DOIs).
_LABEL_LINKS = {"doi", "pmid", "pmc", "issn", "isbn", "bibcode", "arxiv", "s2cid", "oclc", "jstor", "hdl", "lccn"}
HEADING_SEP = " › "
# What opens a reference entry besides its number: "^ a b" and "↑ 4.0 4.1" back-links (Wikipedia, MediaWiki).
ENTRY_PREFIX_RE = re.compile(r"^\s*(?:\^|↑)\s*(?:\d+\.\d+\s+)*(?:(?:[a-z]\s+){2,})?")


def safe_url(url: str) -> str | None:
    """An http(s) URL that can go in a link as it is; anything else (javascript:, a `|`, `<`, `>`) is None."""
    url = url.strip()
    if url.startswith("//"):
        url = "https:" + url
    if not re.match(r"https?://[^\s/|<>\"]+", url, re.IGNORECASE) or re.search(r"[\s|<>\"]", url):
        return None
    return url


def parse_source(n: int, body: str, links: Sequence[tuple[str, str]] = ()) -> Source:
    """'Authors (year). Title. Journal. PMID n' into fields; anything unparseable stays whole in `citation`.

    `links` are the entry's (text, href) pairs when the format has them: a PubMed or doi.org link gives the
    PMID or DOI, and the first link that is not an identifier label becomes the entry's own URL.
    """
    citation = body.strip()
    pmid = None
    match = _PMID_RE.search(citation)
    rest_all = citation
    if match:
        pmid = match.group(1)
        rest_all = citation[: match.start()].strip()
    else:
        any_pmid = _PMID_ANY_RE.search(citation)
        pmid = any_pmid.group(1) if any_pmid else None
    hrefs = [href for _, href in links]
    if pmid is None:
        pmid = next((m.group(1) for h in hrefs if (m := _PUBMED_URL_RE.search(h))), None)
    doi_match = _DOI_RE.search(citation) or next(
        (m for h in hrefs if "doi.org/" in h and (m := _DOI_RE.search(h))), None
    )
    doi = doi_match.group(1).rstrip(".,;:)]") if doi_match else None
    url = next(
        (u for text, href in links if text.strip().lower() not in _LABEL_LINKS and (u := safe_url(href))),
        None,
    )
    if url is None:
        bare = re.search(r"https?://[^\s<>|\"]+", citation)
        url = safe_url(bare.group(0).rstrip(".,;:)]")) if bare else None
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
        n=n,
        citation=citation,
        authors=authors,
        year=year,
        title=title.strip(),
        journal=journal.strip(),
        pmid=pmid,
        doi=doi,
        url=url,
    )


_LITERAL_CITE_LINK_RE = re.compile(r"\[\[(\d+(?:\s*[,–-]\s*\d+)*)\]\]\(#[^()\s]*\)")


_LITERAL_IMAGE_RE = re.compile(r"!\[[^\[\]]*\]\([^()]*\)")
_LITERAL_LINK_RE = re.compile(r"\[([^\[\]]*)\]\((?:[^()]|\([^()]*\))*\)")


def literal_citations(text: str) -> str:
    """Markdown left as text by a converter that did not read it (or a page showing it by mistake):
    `[[2]](#ref2)` is the marker "[2]", a link is its text, an image is nothing."""
    if "](" not in text:
        return text
    text = _LITERAL_CITE_LINK_RE.sub(r"[\1]", text)
    text = _LITERAL_IMAGE_RE.sub("", text)
    return _LITERAL_LINK_RE.sub(r"\1", text)


_LINE_END_RE = re.compile(r"""[.!?:;]["'”’)\]]*(?:\[\d+(?:\s*[,–-]\s*\d+)*\])*$""")
PLAIN_LIST_LINE_CHARS = 60
_BULLET_RE = re.compile(r"^[•·▪◦‣⁃]\s+")  # a typed bullet glyph is a list marker, not text


def split_plain_lines(lines: Sequence[str]) -> list[str]:
    """Lines of one source paragraph grouped into paragraphs: a plain-line list stays one item per line.

    Exported pages and pasted lists put one item per line with no marker ("Source: URL" under a title,
    brand names, symptoms). A line starts a new paragraph when the previous one ends a sentence, or is
    short and unpunctuated and the next one opens with a capital or a digit. A hard-wrapped sentence
    ("they are" / "reformed") has a long or open-ended line before a lower-case word, and stays joined.
    """
    out: list[str] = []
    for raw in lines:
        line = _BULLET_RE.sub("", " ".join(raw.split()))
        if not line:
            continue
        if not out:
            out.append(line)
            continue
        prev = out[-1].rsplit("\n", 1)[-1]
        opens = line[0].isupper() or line[0].isdigit() or line[0] in "\"“‘'([•-–—*"
        ends = bool(_LINE_END_RE.search(prev))
        if opens and (ends or (len(prev) <= PLAIN_LIST_LINE_CHARS and not prev.endswith((",", "-", "–", "(")))):
            out.append(line)
        else:
            out[-1] = f"{out[-1]} {line}"
    return out


@dataclass
class DocumentBuilder:
    """Collects headings, blocks and sources in reading order; the parsers only recognise structure.

    `strict` is the site's text export: it infers headings from short lines, so a heading with no text
    under it means a line was misread and is an error, and anything in Sources that is not an entry is an
    error. Markdown and HTML mark headings and lists explicitly and come from many sites, so there a parent
    heading adds no section of its own (its children carry it in their path), a heading left with no text
    is noted, and text in a reference section that is no entry is kept as that section's text.
    """

    doc: str
    title: str
    url: str
    path: str
    dek: str = ""
    updated: str | None = None
    subject: str | None = None
    byline: str | None = None
    sources_heading: str | None = None
    strict: bool = False
    sections: list[Section] = field(default_factory=list)
    sources: dict[int, Source] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    in_sources: bool = False
    sources_line: int | None = None
    _levels: list[int] = field(default_factory=list)  # level of each section, parallel to `sections`
    _path: list[tuple[int, str]] = field(default_factory=list)  # open headings above the current one
    _duplicates: list[int] = field(default_factory=list)
    _stray_sources: Section | None = None
    _reference_sections: set[int] = field(default_factory=set)  # sections whose content was a reference list

    def __post_init__(self) -> None:
        # The text before the first heading is the lead section; it links to the page itself.
        self.sections.append(Section(heading=LEAD_HEADING, anchor=""))
        self._levels.append(0)

    def heading(self, text: str, line: int | None = None, level: int | None = None) -> None:
        """A heading; with a `level` (Markdown, HTML) its section is named by the path of headings above it."""
        text = " ".join(text.split()).strip("#").strip()
        if not text:
            return
        depth = level if level is not None else 1
        while self._path and self._path[-1][0] >= depth:
            self._path.pop()
        if text.lower().rstrip(":") in SOURCES_HEADINGS:
            self.in_sources = True
            self.sources_heading = text
            self.sources_line = line
            self._stray_sources = None
            self._path.append((depth, text))
            return
        self.in_sources = False
        path = [t for _, t in self._path] + [text] if level is not None else [text]
        self._path.append((depth, text))
        self._open(HEADING_SEP.join(path), anchor(text), line, depth)

    def _open(self, heading: str, slug: str, line: int | None, level: int) -> Section:
        taken = {s.anchor for s in self.sections}
        base, i = slug, 2
        while slug in taken:
            slug, i = f"{base}-{i}", i + 1
        section = Section(heading=heading, anchor=slug, line=line)
        self.sections.append(section)
        self._levels.append(level)
        return section

    def block(self, block: Block) -> None:
        if isinstance(block, Paragraph) and not block.text.strip():
            return
        if self.in_sources and not self.strict:
            self.stray_source_text(block)
            return
        self.sections[-1].blocks.append(block)

    def stray_source_text(self, block: Block) -> None:
        """Text in a reference section that is no numbered entry (a bibliography, a note): kept, as that section."""
        if self._stray_sources is None:
            heading = HEADING_SEP.join(t for _, t in self._path) or (self.sources_heading or "Sources")
            self._stray_sources = self._open(heading, anchor(heading.split(HEADING_SEP)[-1]), self.sources_line, 1)
        self._stray_sources.blocks.append(block)

    def references_here(self) -> None:
        """The current section holds a reference list under a heading of its own ("Notes"): it is not lost text."""
        self._reference_sections.add(len(self.sections) - 1)

    def source(self, n: int, body: str, links: Sequence[tuple[str, str]] = ()) -> None:
        if n in self.sources:
            if self.strict:
                raise ParseError(f"source [{n}] is listed twice")
            self._duplicates.append(n)
            self.stray_source_text(Paragraph(body))
            return
        self.sources[n] = parse_source(n, body, links)

    def build(self) -> Document:
        if not self.title.strip():
            raise ParseError("no title")
        if self.dek:
            self.sections[0].blocks.insert(0, Paragraph(self.dek))
        sections = []
        left_out = []
        for i, section in enumerate(self.sections):
            if section.blocks:
                sections.append(section)
            elif not section.anchor:
                continue  # an empty lead holds no text of the file: its label is ours
            elif self.strict:
                raise ParseError(self._empty_section_message(section))
            elif i in self._reference_sections:
                continue
            elif i + 1 < len(self.sections) and self._levels[i + 1] > self._levels[i]:
                continue  # a parent heading: its children carry it in their path
            else:
                left_out.append(section.heading)
        if not any(s.blocks for s in sections):
            raise ParseError("no text: the file has a title but no paragraphs or tables")
        notes = list(self.notes)
        if left_out:
            notes.append(f"{len(left_out)} heading(s) with no text under them left out: " + "; ".join(left_out[:8]))
        if self._duplicates:
            notes.append(f"reference(s) listed twice, later entries kept as text: {sorted(set(self._duplicates))}")
        document = Document(
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
            notes=notes,
        )
        missing = unresolved_citations(document)
        if missing:
            listed = ", ".join(f"[{n}]" for n in missing[:20]) + (" …" if len(missing) > 20 else "")
            document.notes.append(
                f"{len(missing)} inline citation(s) have no entry in the reference list, kept as plain text: {listed}"
            )
        return document

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
