"""HTML pages as served: the title, the main content's headings, paragraphs, lists and tables, and its references.

Parsed with selectolax's Lexbor engine, an HTML5-conformant parser (implied end tags, unclosed `<p>`,
mis-nested markup all resolve as a browser would; the benchmark that chose it is in docs/ingest.md).
Chrome is removed first (chrome.yaml: navigation, edit links, cookie and newsletter boxes, hidden
elements, images), then the main content element is found (a known content container, else the
readability-style densest block), then its tree is walked once in document order.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from selectolax.lexbor import LexborHTMLParser, LexborNode

from .blocks import BYLINE_RE, ENTRY_PREFIX_RE, SOURCE_LINE_RE, DocumentBuilder, literal_citations, split_plain_lines
from .chrome import Chrome, chrome
from .model import Document, Limits, Paragraph, ParseError, Table

_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_BLOCKS = _HEADINGS | {
    "address", "article", "blockquote", "body", "caption", "center", "dd", "details", "dialog", "div", "dl", "dt",
    "fieldset", "figcaption", "figure", "form", "header", "hgroup", "hr", "html", "li", "main", "ol", "p", "pre",
    "section", "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
}  # fmt: skip
_CELL_BLOCKS = "table, div, p, ul, ol, h1, h2, h3, h4, h5, h6, blockquote, pre, dl"
_CITE_NUMBERS_RE = re.compile(r"\d+(?:\s*[,–-]\s*\d+)*")
_CITE_NOTE_RE = re.compile(r"(?:cite_note|ref|fn|footnote|note)[-_:]?(?:.*[-_])?(\d+)$", re.IGNORECASE)
_TITLE_SUFFIX_RE = re.compile(r"\s+[-|–—·:]\s+[^-|–—·:]{1,40}$")
_SPACE_RE = re.compile(r"\s+")
MIN_ROOT_SHARE = 0.25  # a content container must hold this share of the page's text to be trusted


@dataclass
class _Walk:
    builder: DocumentBuilder
    chrome: Chrome
    limits: Limits
    title_node: LexborNode | None
    link_lists: bool  # drop link-dense lists (only when no content container was found)
    buffer: list[str] = field(default_factory=list)
    tables: int = 0

    def flush(self, verbatim: list[str] | None = None) -> None:
        """The inline text gathered so far as paragraphs (plain-line lists split); `verbatim` lines (code) as
        they are, one paragraph each."""
        text = "".join(self.buffer)
        self.buffer.clear()
        lines = split_plain_lines(text.split("\n")) if verbatim is None else verbatim
        for line in lines:
            line = " ".join(literal_citations(self.chrome.clean_inline(line)).split())
            if not line or self.chrome.is_chrome_line(line):
                continue
            if len(line) > self.limits.max_line_chars:
                raise ParseError(
                    f"a paragraph of {len(line):,} characters; the limit is {self.limits.max_line_chars:,} "
                    "(MONOBOT_MAX_LINE_CHARS)"
                )
            entry = SOURCE_LINE_RE.match(line) if self.builder.in_sources else None
            if entry:
                self.builder.source(int(entry.group(1)), entry.group(2))
            elif BYLINE_RE.match(line) and len(line) < 120:
                self.builder.byline = line
            else:
                self.builder.block(Paragraph(line))


def _children(node: LexborNode) -> list[LexborNode]:
    return list(node.iter(include_text=True))


def _classes(node: LexborNode) -> str:
    attrs = node.attributes
    return f"{attrs.get('class') or ''} {attrs.get('id') or ''}"


def _text_len(node: LexborNode) -> int:
    return len("".join(node.text(deep=True).split()))


def _citation(node: LexborNode) -> str | None:
    """`<sup>3</sup>`, `<sup>[2, 5]</sup>` or a reference link: the marker "[3]"; anything else None."""
    text = " ".join(node.text(deep=True).split()).strip("[]() ")
    return f"[{text}]" if text and _CITE_NUMBERS_RE.fullmatch(text) else None


def inline_text(node: LexborNode, chrome_: Chrome) -> tuple[str, list[tuple[str, str]]]:
    """A node's text on one line (citations as [n]) and its links as (text, href)."""
    parts: list[str] = []
    links: list[tuple[str, str]] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_text_node:
            parts.append(current.text(deep=False) or "")
            continue
        if not current.is_element_node:
            continue
        tag = current.tag
        if tag in chrome_.drop_tags:
            continue
        if tag == "br":
            parts.append(" ")
            continue
        if tag == "sup" and (marker := _citation(current)):
            parts.append(marker)
            continue
        if tag == "a" and current.attributes.get("href"):
            links.append((current.text(deep=True).strip(), current.attributes.get("href") or ""))
        if tag in _BLOCKS:
            parts.append(" ")
        stack.extend(reversed(_children(current)))
    return " ".join(chrome_.clean_inline("".join(parts)).split()), links


def _pre_text(node: LexborNode) -> str:
    """Preformatted text with its line breaks, whether newlines or `<br>` elements (highlighted code)."""
    parts: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.is_text_node:
            parts.append(current.text(deep=False) or "")
        elif current.is_element_node:
            if current.tag == "br":
                parts.append("\n")
            else:
                stack.extend(reversed(_children(current)))
    return "".join(parts)


def _remove_chrome(tree: LexborHTMLParser, body: LexborNode, title: LexborNode | None, ch: Chrome) -> None:
    """Drop chrome, except an element that holds the title or much of the page (a `has-sidebar` body class)."""
    total = max(_text_len(body), 1)

    def keep(node: LexborNode) -> bool:
        if title is not None and (node.mem_id == title.mem_id or _contains(node, title)):
            return True
        return _text_len(node) > 0.4 * total

    for node in body.css(", ".join(sorted(ch.drop_tags - {"head", "title"}))):
        node.decompose()
    for selector in ch.drop_selectors:
        for node in body.css(selector):
            if not keep(node):
                node.decompose()
    for node in body.css("[class], [id]"):
        if ch.is_chrome_token(_classes(node)) and not keep(node):
            node.decompose()
    for node in body.css("header"):
        if not _has_ancestor(node, {"article", "main"}) and not keep(node):
            node.decompose()


def _contains(node: LexborNode, other: LexborNode) -> bool:
    parent = other.parent
    while parent is not None:
        if parent.mem_id == node.mem_id:
            return True
        parent = parent.parent
    return False


def _within(node: LexborNode, ids: set[int]) -> bool:
    """The node or one of its ancestors is one of `ids` (mem_ids)."""
    current: LexborNode | None = node
    while current is not None:
        if current.mem_id in ids:
            return True
        current = current.parent
    return False


def _has_ancestor(node: LexborNode, tags: set[str]) -> bool:
    parent = node.parent
    while parent is not None:
        if parent.tag in tags:
            return True
        parent = parent.parent
    return False


def _content_root(body: LexborNode, ch: Chrome) -> tuple[LexborNode, bool]:
    """(root, found): the main content container, else the densest block, else the body itself."""
    total = max(_text_len(body), 1)
    for selector in ch.content_selectors:
        candidates = body.css(selector)
        if candidates:
            best = max(candidates, key=_text_len)
            if _text_len(best) >= MIN_ROOT_SHARE * total:
                return best, True
    scores: dict[int, tuple[float, LexborNode]] = {}
    references = {n.mem_id for selector in ch.reference_selectors for n in body.css(selector)}
    for p in body.css("p, pre, td, li"):
        length = _text_len(p)
        if length < 25 or _within(p, references):
            continue
        links = sum(_text_len(a) for a in p.css("a"))
        score = 1 + min(length / 100, 3) + length / 200 * (1 - links / max(length, 1))
        container = _container(p)
        for parent, share in ((container, 1.0), (_container(container) if container else None, 0.5)):
            if parent is not None and parent.tag not in ("html", "table", "tbody", "tr"):
                old = scores.get(parent.mem_id, (0.0, parent))[0]
                scores[parent.mem_id] = (old + score * share, parent)
    if scores:
        _, best = max(scores.values(), key=lambda item: item[0])
        if _text_len(best) >= 0.6 * total:
            return best, True
    return body, False


_INLINE_OR_LIST = {"ol", "ul", "li", "dl", "dd", "dt", "span", "a", "b", "i", "em", "strong", "font", "p", "small"}


def _container(node: LexborNode) -> LexborNode | None:
    """The nearest enclosing block that can hold a page's content (not a list, a paragraph or an inline)."""
    parent = node.parent
    while parent is not None and parent.tag in _INLINE_OR_LIST:
        parent = parent.parent
    return parent


def _is_link_list(node: LexborNode) -> bool:
    items = node.css("li")
    length = _text_len(node)
    return len(items) >= 3 and length > 0 and sum(_text_len(a) for a in node.css("a")) >= 0.8 * length


def _is_layout_table(node: LexborNode) -> bool:
    """A table that lays out the page (cells holding blocks, one column, presentation role), not data."""
    if (node.attributes.get("role") or "").lower() in ("presentation", "none"):
        return True
    if any(cell.css_first(_CELL_BLOCKS) is not None for cell in node.css("td, th")):
        return True
    rows = _rows(node)
    return len(rows) < 2 or max(len(_cells(r)) for r in rows) < 2


def _rows(table: LexborNode) -> list[LexborNode]:
    """The table's own rows, not those of a table nested in one of its cells."""
    rows = []
    for row in table.css("tr"):
        parent = row.parent
        while parent is not None and parent.tag != "table":
            parent = parent.parent
        if parent is not None and parent.mem_id == table.mem_id:
            rows.append(row)
    return rows


def _cells(row: LexborNode) -> list[LexborNode]:
    return [c for c in row.iter() if c.tag in ("td", "th")]


def _span(cell: LexborNode) -> int:
    value = (cell.attributes.get("colspan") or "1").strip()
    return min(int(value), 1000) if value.isdigit() and int(value) > 0 else 1


def _table(node: LexborNode, walk: _Walk) -> None:
    """A data table as a Table; a ragged one is kept as text, one paragraph per row, and noted."""
    walk.tables += 1
    rows: list[list[str]] = []
    for row in _rows(node):
        cells: list[str] = []
        for cell in _cells(row):
            text, _ = inline_text(cell, walk.chrome)
            cells.extend([text] + [""] * (_span(cell) - 1))
        if len(cells) > walk.limits.max_table_columns:
            raise ParseError(
                f"table {walk.tables} has {len(cells):,} columns; the limit is {walk.limits.max_table_columns} "
                "(MONOBOT_MAX_TABLE_COLUMNS)"
            )
        if any(cells):
            rows.append(cells)
    caption = node.css_first("caption")
    if caption is not None:
        walk.buffer.append(inline_text(caption, walk.chrome)[0])
        walk.flush()
    width = len(rows[0]) if rows else 0
    if len(rows) >= 2 and all(len(r) == width for r in rows):
        walk.builder.block(Table(header=rows[0], rows=rows[1:]))
        return
    bad = next((i for i, r in enumerate(rows) if len(r) != width), None)
    for cells_text in rows:
        walk.buffer.append("; ".join(c for c in cells_text if c) + "\n")
    walk.flush()
    if bad is not None:
        walk.builder.notes.append(
            f"table {walk.tables} kept as text: row {bad} has {len(rows[bad])} cells, the header has {width}"
        )


def _references(node: LexborNode, walk: _Walk) -> None:
    """A reference list: numbered entries become sources ([n] in the text resolves to them)."""
    builder = walk.builder
    if builder.sources_heading is None:
        builder.sources_heading = "References"
    if not builder.in_sources:
        builder.references_here()
    items = [li for li in node.css("li") if all(inner.mem_id == li.mem_id for inner in li.css("li"))]
    if not items:  # footnotes as paragraphs: <p><sup>22</sup>Text</p>
        items = [p for p in node.css("p, dd") if p.mem_id != node.mem_id]
    if not items:  # no entries at all: the text is kept, never dropped with the list
        text = literal_citations(inline_text(node, walk.chrome)[0]).strip()
        if text:
            builder.stray_source_text(Paragraph(text))
        return
    position = 0
    lists = node.css("ol") if node.tag != "ol" else [node]
    start = (lists[0].attributes.get("start") or "1") if lists else "1"
    position = int(start) - 1 if start.isdigit() else 0
    for li in items:
        position += 1
        text, links = inline_text(li, walk.chrome)
        text = ENTRY_PREFIX_RE.sub("", literal_citations(text)).strip()
        if not text:
            continue
        explicit = SOURCE_LINE_RE.match(text)
        note = _CITE_NOTE_RE.search(li.attributes.get("id") or "")
        if explicit:
            builder.source(int(explicit.group(1)), explicit.group(2), links)
        elif node.tag == "ol" or lists:  # the marker shows the position (old MediaWiki ids count from 0)
            builder.source(position, text, links)
        elif note:
            builder.source(int(note.group(1)), text, links)
        else:
            builder.stray_source_text(Paragraph(text))


def _events(root: LexborNode) -> Iterator[tuple[str, LexborNode]]:
    """("start" | "end" | "text", node) in document order, without recursion (pages nest deeply)."""
    stack: list[tuple[bool, LexborNode]] = [(False, root)]
    while stack:
        closing, node = stack.pop()
        if closing:
            yield "end", node
            continue
        if node.is_text_node:
            yield "text", node
            continue
        if not node.is_element_node:
            continue
        yield "start", node
        stack.append((True, node))
        stack.extend((False, child) for child in reversed(_children(node)))


def _walk(root: LexborNode, walk: _Walk) -> None:
    builder, ch = walk.builder, walk.chrome
    references = {n.mem_id for selector in ch.reference_selectors for n in root.css(selector)}
    skip: int | None = None  # mem_id of a subtree handled whole
    for kind, node in _events(root):
        if skip is not None:
            if kind == "end" and node.mem_id == skip:
                skip = None
            continue
        if kind == "text":
            walk.buffer.append(_SPACE_RE.sub(" ", node.text(deep=False) or ""))
            continue
        tag = node.tag
        if kind == "end":
            if tag in _BLOCKS:
                walk.flush()
            continue
        if tag in _BLOCKS or tag == "br":
            if tag == "br":
                walk.buffer.append("\n")
                continue
            walk.flush()
        whole = True
        if tag in _HEADINGS:
            if walk.title_node is None or node.mem_id != walk.title_node.mem_id:
                builder.heading(inline_text(node, ch)[0], level=int(tag[1]))
        elif tag == "sup" and (marker := _citation(node)):
            walk.buffer.append(marker)
        elif node.mem_id in references or (builder.in_sources and tag in ("ol", "ul")):
            _references(node, walk)
        elif tag in ("ul", "ol") and walk.link_lists and _is_link_list(node):
            pass
        elif tag == "table" and not _is_layout_table(node):
            _table(node, walk)
        elif tag == "pre":
            walk.flush(_pre_text(node).splitlines())
        else:
            whole = False
        if whole:
            skip = node.mem_id
    walk.flush()


def _meta(tree: LexborHTMLParser, *names: str) -> str:
    for name in names:
        node = tree.css_first(f'meta[property="{name}"], meta[name="{name}"]')
        if node is not None and (node.attributes.get("content") or "").strip():
            return " ".join((node.attributes.get("content") or "").split())
    return ""


def _is_logo(h1: LexborNode) -> bool:
    """`<h1><a href="/">Site</a></h1>`: a site's name in its header, not the page's title."""
    text = "".join(h1.text(deep=True).split())
    return not text or sum(len("".join(a.text(deep=True).split())) for a in h1.css("a")) >= len(text)


def _title(tree: LexborHTMLParser, root: LexborNode) -> tuple[str, LexborNode | None]:
    """The H1 nearest the content (in it, else in its closest enclosing block), else og:title or <title>
    without the site name, else ''. A logo H1 counts only when there is nothing else."""
    scope: LexborNode | None = root
    logo = None
    while scope is not None:
        for h1 in scope.css("h1"):
            if not _is_logo(h1):
                return " ".join(h1.text(deep=True).split()), h1
            logo = logo or h1
        scope = scope.parent
    page_title = _meta(tree, "og:title")
    if not page_title:
        node = tree.css_first("title")
        page_title = " ".join(node.text(deep=True).split()) if node is not None else ""
    page_title = _TITLE_SUFFIX_RE.sub("", page_title).strip() or page_title
    if not page_title and logo is not None:
        return " ".join(logo.text(deep=True).split()), logo
    return page_title, None


def parse_html(
    text: str, doc: str, url: str, path: str = "", limits: Limits | None = None, fallback_title: str = ""
) -> Document:
    """One page; `fallback_title` (from the file name) is used when it has no H1, og:title or <title>."""
    limits = limits or Limits()
    tree = LexborHTMLParser(text)
    body = tree.body
    if body is None:
        raise ParseError("no text: the page has no body")
    ch = chrome()
    first_h1 = next((h for h in body.css("h1") if not _is_logo(h)), None)
    _remove_chrome(tree, body, first_h1, ch)
    root, found = _content_root(body, ch)
    title, title_node = _title(tree, root)
    updated = _meta(tree, "article:modified_time", "article:published_time", "dcterms.modified", "date")[:10] or None
    builder = DocumentBuilder(doc=doc, title=title or fallback_title, url=url, path=path, updated=updated)
    walk = _Walk(builder, ch, limits, title_node, link_lists=not found)
    _walk(root, walk)
    return builder.build()
