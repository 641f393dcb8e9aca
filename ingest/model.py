"""The parsed shape of a monograph, the same whatever format it came in."""

from __future__ import annotations

from dataclasses import dataclass, field

# Bumped when parsing or chunking changes what a file becomes, so an index built the old way parses every
# file again (part of ingest.pipeline.fingerprint). 2: markdown-it-py/selectolax parsers, heading paths. 3: text run
# on after a navigation list (lazy continuation) is kept.
PARSER_VERSION = 3


class ParseError(ValueError):
    """Input that cannot become a monograph; the message names what is wrong (the caller adds the file)."""


@dataclass(frozen=True)
class Limits:
    """Caps on what one file may hold, so a hostile or broken file fails fast with a clear reason.

    The defaults match bot.settings.Settings (max_file_bytes, max_table_columns, max_line_chars).
    """

    max_bytes: int = 5_000_000
    max_table_columns: int = 64
    max_line_chars: int = 20_000


@dataclass(frozen=True)
class Source:
    """One entry of a monograph's Sources list: the primary evidence behind an inline [n]."""

    n: int
    citation: str
    authors: str = ""
    year: str = ""
    title: str = ""
    journal: str = ""
    pmid: str | None = None
    doi: str | None = None
    url: str | None = None  # the entry's own link (http/https only), when it has one
    # Issue 18 (ingest/enrich.py): publication types when the page gives them ("Randomized Controlled Trial"),
    # and the study type worked out at ingest (ingest/studytype.py); it travels in every chunk's source dicts.
    publication_types: tuple[str, ...] = ()
    study_type: str | None = None

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "citation": self.citation,
            "authors": self.authors,
            "year": self.year,
            "title": self.title,
            "journal": self.journal,
            "pmid": self.pmid,
            "doi": self.doi,
            "url": self.url,
            "study_type": self.study_type,
        }


@dataclass(frozen=True)
class Paragraph:
    text: str


@dataclass(frozen=True)
class Table:
    header: list[str]
    rows: list[list[str]]


Block = Paragraph | Table


@dataclass
class Section:
    heading: str  # the full path below the title, "Interactions › Alcohol", as citations show it
    anchor: str
    blocks: list[Block] = field(default_factory=list)
    line: int | None = field(default=None, compare=False)  # where the heading is, for error messages


@dataclass
class Document:
    doc: str
    title: str
    dek: str
    url: str
    sections: list[Section]
    sources: dict[int, Source]
    path: str = ""
    updated: str | None = None
    subject: str | None = None
    aliases: list[str] = field(default_factory=list)  # other names readers use for the subject (ingest/aliases.py)
    cased_aliases: list[str] = field(default_factory=list)  # ... that name it only as written ("SAMe")
    byline: str | None = None
    sources_heading: str | None = None
    # What the parse changed or could not place, one line each, for the ingest summary: unresolved
    # citations (listed once per page), tables kept as text, headings left with no text, a neutralised url.
    notes: list[str] = field(default_factory=list)
    # Issue 18 (ingest/enrich.py): when the monograph was last reviewed, "YYYY-MM" or "YYYY-MM-DD".
    reviewed: str | None = None
