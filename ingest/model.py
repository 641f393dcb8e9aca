"""The parsed shape of a monograph, the same whatever format it came in."""

from __future__ import annotations

from dataclasses import dataclass, field


class ParseError(ValueError):
    """Input that cannot become a monograph; the message names what is wrong (the caller adds the file)."""


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

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "citation": self.citation,
            "authors": self.authors,
            "year": self.year,
            "title": self.title,
            "journal": self.journal,
            "pmid": self.pmid,
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
    heading: str
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
    byline: str | None = None
    sources_heading: str | None = None
