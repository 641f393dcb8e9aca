"""HTML monograph pages: h1 title, h2/h3 sections, paragraphs, tables, and an ordered or unordered Sources list.

Uses the standard library's tokenizer: pages come from our own site, so a full HTML5 tree builder buys nothing.
Navigation, headers, footers, scripts and styles are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from .blocks import BYLINE_RE, SOURCE_LINE_RE, DocumentBuilder
from .model import Document, Paragraph, ParseError, Table

_SKIP = {"nav", "footer", "header", "script", "style", "aside", "form", "noscript", "template", "svg", "button"}
_BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "th", "td", "title", "caption"}
_VOID = {"br", "img", "hr", "meta", "link", "input", "source", "wbr", "area", "base", "col", "embed", "param", "track"}


@dataclass
class _Event:
    kind: str
    text: str = ""
    classes: tuple[str, ...] = ()
    number: int | None = None
    table: list[list[tuple[str, str]]] = field(default_factory=list)
    line: int | None = None


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[_Event] = []
        self.skip_depth = 0
        self.stack: list[str] = []
        self.buffer: list[str] | None = None
        self.block: tuple[str, tuple[str, ...]] | None = None
        self.block_line: int | None = None
        self.lists: list[list[int]] = []  # per open list: [ordered?, next number]
        self.table: list[list[tuple[str, str]]] | None = None
        self.meta_description = ""
        self.canonical = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = {k: v or "" for k, v in attrs}
        if tag == "meta" and attr.get("name", "").lower() == "description":
            self.meta_description = attr.get("content", "")
        if tag == "link" and attr.get("rel", "").lower() == "canonical":
            self.canonical = attr.get("href", "")
        if tag in _VOID:
            if tag == "br" and self.buffer is not None:
                self.buffer.append(" ")
            return
        self.stack.append(tag)
        if tag in _SKIP:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag in ("ol", "ul"):
            start = attr.get("start", "1")
            self.lists.append([tag == "ol", int(start) if start.isdigit() else 1])
        elif tag == "table":
            self.table = []
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        if tag in _BLOCKS and self.buffer is None:
            self.buffer = []
            self.block = (tag, tuple(attr.get("class", "").split()))
            self.block_line = self.getpos()[0]

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in self.stack:
            return
        while self.stack:
            open_tag = self.stack.pop()
            self._close(open_tag)
            if open_tag == tag:
                break

    def _close(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip_depth -= 1
            return
        if self.skip_depth:
            return
        if self.block and self.block[0] == tag and self.buffer is not None:
            text = re.sub(r"\s+", " ", "".join(self.buffer)).strip()
            kind, classes = self.block
            self.buffer, self.block = None, None
            if kind in ("th", "td"):
                if self.table is not None and self.table:
                    self.table[-1].append((kind, text))
            elif kind == "li":
                number = None
                if self.lists:
                    number = self.lists[-1][1]
                    self.lists[-1][1] += 1
                self.events.append(_Event("li", text, classes, number, line=self.block_line))
            elif text:
                self.events.append(_Event(kind, text, classes, line=self.block_line))
        if tag in ("ol", "ul") and self.lists:
            self.lists.pop()
        elif tag == "table" and self.table is not None:
            self.events.append(_Event("table", table=[row for row in self.table if row]))
            self.table = None

    def handle_data(self, data: str) -> None:
        if not self.skip_depth and self.buffer is not None:
            self.buffer.append(data)


def _table(rows: list[list[tuple[str, str]]], where: str) -> Table:
    if len(rows) < 2:
        raise ParseError(f"broken table {where}: needs a header row and at least one data row")
    header = [text for _, text in rows[0]]
    body = []
    for i, row in enumerate(rows[1:], start=1):
        cells = [text for _, text in row]
        if len(cells) != len(header):
            raise ParseError(f"broken table {where}: row {i} has {len(cells)} cells, header has {len(header)}")
        body.append(cells)
    return Table(header=header, rows=body)


def parse_html(text: str, doc: str, url: str, path: str = "") -> Document:
    collector = _Collector()
    collector.feed(text)
    collector.close()
    events = collector.events
    h1 = next((e.text for e in events if e.kind == "h1"), "")
    title = h1 or next((e.text for e in events if e.kind == "title"), "")
    if not title:
        raise ParseError("no title: the page has neither an <h1> nor a <title>")
    dek = next(
        (e.text for e in events if e.kind == "p" and {"dek", "lede", "summary", "standfirst"} & set(e.classes)), ""
    )
    builder = DocumentBuilder(doc=doc, title=title, url=url, path=path, dek=dek or collector.meta_description.strip())
    tables = 0
    for event in events:
        if event.kind in ("title", "caption") or (event.kind == "h1" and event.text == h1):
            continue
        if event.kind in ("h1", "h2", "h3", "h4", "h5", "h6"):
            builder.heading(event.text, event.line)
        elif event.kind == "table":
            tables += 1
            builder.block(_table(event.table, f"number {tables}"))
        elif builder.in_sources and event.kind in ("li", "p"):
            match = SOURCE_LINE_RE.match(event.text)
            if match:
                builder.source(int(match.group(1)), match.group(2))
            elif event.kind == "li" and event.number is not None:
                builder.source(event.number, event.text)
            elif BYLINE_RE.match(event.text):
                builder.byline = event.text
            else:  # not an entry: dropping it would lose text silently, as the other formats refuse to
                raise ParseError(
                    f"line {event.line}: paragraph in {builder.sources_heading} is not a source entry: {event.text[:60]!r}"
                )
        elif event.kind in ("p", "li"):
            if event.text == dek:
                continue
            if BYLINE_RE.match(event.text) and len(event.text) < 120:
                builder.byline = event.text
            else:
                builder.block(Paragraph(event.text))
    return builder.build()
