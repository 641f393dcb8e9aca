"""Markdown monographs, parsed with markdown-it-py (CommonMark, GFM tables, front matter, footnotes).

Headings give sections named by their path; paragraphs and list items give one paragraph each (a
plain-line list inside a paragraph is split into lines, blocks.split_plain_lines); tables give tables;
a reference list under a Sources/References heading, and `[^n]` footnotes, give the sources that inline
`[n]`, `[[n]](#refn)`, `<sup>n</sup>` and `[^n]` markers resolve to. Links keep their text; images,
HTML tags, list and quote markers are markup and go. A `#` inside a fenced code block is code, not a heading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.front_matter import front_matter_plugin
from selectolax.lexbor import LexborHTMLParser

from .blocks import BYLINE_RE, ENTRY_PREFIX_RE, SOURCE_LINE_RE, DocumentBuilder, literal_citations, split_plain_lines
from .chrome import Chrome, chrome
from .model import Document, Limits, Paragraph, ParseError, Table
from .tables import split_cells

_CITE_TEXT_RE = re.compile(r"\[?\s*(\d+(?:\s*[,–-]\s*\d+)*)\s*\]?")
_SOURCE_META_RE = re.compile(r"^\s*source\s*:\s*(https?://\S+)\s*$", re.IGNORECASE)
LINK_LIST_SHARE = 0.8  # a list whose items are nearly all bare links is navigation


def split_front_matter(text: str) -> tuple[dict, str, int]:
    """(front matter, body, line offset of the body); malformed YAML is an error, not silently ignored."""
    if not text.startswith("---"):
        return {}, text, 0
    lines = text.splitlines()
    for i in range(1, len(lines)):
        if lines[i].strip() in ("---", "..."):
            return _load_meta("\n".join(lines[1:i])), "\n".join(lines[i + 1 :]), i + 1
    raise ParseError("front matter starts with '---' but is never closed")


def _load_meta(source: str) -> dict:
    try:
        meta = yaml.safe_load(source) or {}
    except yaml.YAMLError as exc:
        raise ParseError(f"front matter is not valid YAML ({str(exc).splitlines()[0]})") from None
    if not isinstance(meta, dict):
        raise ParseError("front matter is not a YAML mapping")
    return meta


@dataclass
class _Inline:
    """One rendered inline run: its text, its links (text, href), and how much of the text is link text."""

    text: str
    links: list[tuple[str, str]] = field(default_factory=list)
    link_chars: int = 0

    @property
    def only_links(self) -> bool:
        plain = "".join(self.text.split())
        return bool(plain) and self.link_chars >= 0.9 * len(plain)


def _html_text(html: str) -> str:
    body = LexborHTMLParser(html).body
    return body.text(deep=True, separator="\n") if body is not None else ""


def render_inline(token: Token, footnotes: dict[int, int]) -> _Inline:
    """Plain text of an inline token: links keep their text, citations become [n], images and tags go."""
    out: list[str] = []
    links: list[tuple[str, str]] = []
    link_chars = 0
    link_start: list[tuple[int, str]] = []  # (position in out, href) of open links
    sup_start: int | None = None
    for child in token.children or []:
        kind = child.type
        if kind in ("text", "code_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append("\n")
        elif kind == "link_open":
            link_start.append((len(out), str(child.attrs.get("href") or "")))
        elif kind == "link_close" and link_start:
            start, href = link_start.pop()
            text = "".join(out[start:])
            cite = _CITE_TEXT_RE.fullmatch(text.strip())
            if cite and (href.startswith("#") or text.strip().startswith("[")):
                out[start:] = [f"[{cite.group(1)}]"]  # [[2]](#ref2), [2](#cite-2)
            else:
                links.append((text, href))
                link_chars += len("".join(text.split()))
        elif kind == "footnote_ref":
            out.append(f"[{footnotes.setdefault(child.meta['id'], _footnote_number(child.meta))}]")
        elif kind == "html_inline":
            tag = child.content.strip().lower()
            if tag.startswith("<sup"):
                sup_start = len(out)
            elif tag.startswith("</sup") and sup_start is not None:
                inner = "".join(out[sup_start:]).strip()
                if _CITE_TEXT_RE.fullmatch(inner):
                    out[sup_start:] = [f"[{inner.strip('[] ')}]"]
                sup_start = None
            elif tag.startswith("<br"):
                out.append("\n")
        # image, strong/em open/close and other tags are markup: nothing of theirs is text
    return _Inline("".join(out), links, link_chars)


def _footnote_number(meta: dict) -> int:
    label = str(meta.get("label", ""))
    return int(label) if label.isdigit() else int(meta["id"]) + 1


@dataclass
class _State:
    builder: DocumentBuilder
    chrome: Chrome
    lines: list[str]
    limits: Limits
    footnotes: dict[int, int] = field(default_factory=dict)
    tables: int = 0

    def paragraph(self, inline: _Inline) -> None:
        for line in split_plain_lines(inline.text.split("\n")):
            line = " ".join(literal_citations(self.chrome.clean_inline(line)).split())
            if not line or self.chrome.is_chrome_line(line):
                continue
            if _SOURCE_META_RE.match(line.strip("*_ ")) and not self.builder.byline:
                self.builder.byline = line.strip("*_ ")  # "*Source: https://…*" under a title is provenance
            elif BYLINE_RE.match(line) and len(line) < 120:
                self.builder.byline = line
            else:
                self.builder.block(Paragraph(line))


def _markdown() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": True}).enable("table").use(front_matter_plugin).use(footnote_plugin)


_MD = _markdown()


def _inline_at(tokens: list[Token], i: int, state: _State) -> _Inline:
    """The inline token after an opening token at `i` (heading, paragraph, cell)."""
    if i + 1 < len(tokens) and tokens[i + 1].type == "inline":
        return render_inline(tokens[i + 1], state.footnotes)
    return _Inline("")


def _close(tokens: list[Token], i: int, kind: str) -> int:
    """Index of the token that closes the one at `i` (same nesting level)."""
    level = tokens[i].level
    j = i + 1
    while j < len(tokens) and not (tokens[j].type == kind and tokens[j].level == level):
        j += 1
    return j


def _item_texts(tokens: list[Token], start: int, end: int, state: _State) -> list[_Inline]:
    return [render_inline(t, state.footnotes) for t in tokens[start:end] if t.type == "inline"]


def _table(tokens: list[Token], i: int, end: int, state: _State) -> None:
    """A GFM table; a row whose cell count differs from the header's keeps the table as text, since GFM would
    drop extra cells and pad missing ones, and a value read against the wrong column misleads."""
    state.tables += 1
    rows: list[list[str]] = []
    row: list[str] = []
    for token in tokens[i:end]:
        if token.type == "tr_open":
            row = []
        elif token.type == "inline":
            row.append(" ".join(render_inline(token, state.footnotes).text.split()))
        elif token.type == "tr_close":
            rows.append(row)
    first = (tokens[i].map or [0, 0])[0]
    where = f"at line {first + 1}"
    if rows and len(rows[0]) > state.limits.max_table_columns:
        raise ParseError(
            f"table {where} has {len(rows[0]):,} columns; the limit is {state.limits.max_table_columns} "
            "(MONOBOT_MAX_TABLE_COLUMNS)"
        )
    span = tokens[i].map or [0, 0]
    raw = [ln for ln in state.lines[span[0] : span[1]] if ln.strip()]
    widths = [len(split_cells(ln)) for ln in raw]
    width = len(rows[0]) if rows else 0
    bad = next((k for k, w in enumerate(widths) if w != width and k != 1), None)  # line 2 is the delimiter
    if bad is None and len(rows) >= 2:
        state.builder.block(Table(header=rows[0], rows=rows[1:]))
        return
    for line in raw if bad is not None else []:
        cells = [c for c in split_cells(line) if c and not re.fullmatch(r":?-+:?", c)]
        if cells:
            state.paragraph(_Inline("; ".join(cells)))
    if bad is None:
        for r in rows:
            state.paragraph(_Inline("; ".join(c for c in r if c)))
    else:
        state.builder.notes.append(
            f"table {where} kept as text: row {bad - 1} has {widths[bad]} cells, the header has {width}"
        )


def _list(tokens: list[Token], i: int, end: int, state: _State) -> None:
    """A list: in a reference section its items are sources; elsewhere each item is its own paragraph."""
    builder = state.builder
    items: list[tuple[str, list[_Inline], list[_Inline]]] = []  # (number, the item's own text, text run on)
    j = i + 1
    while j < end:
        if tokens[j].type == "list_item_open" and tokens[j].level == tokens[i].level + 1:
            close = _close(tokens, j, "list_item_close")
            items.append((tokens[j].info, *_item_parts(tokens, j, close, state)))
            j = close
        j += 1
    if not builder.in_sources and len(items) >= 3:
        bare = sum(1 for _, parts, _ in items if parts and all(p.only_links for p in parts))
        if bare >= LINK_LIST_SHARE * len(items):
            # navigation: a contents list, "See also" and "External links" lists of bare links. Text run on
            # after an item without a blank line is the page's own, not the list's: it is kept.
            for _, _, tail in items:
                for part in tail:
                    state.paragraph(part)
            return
    for number, parts, tail in items:
        if builder.in_sources:
            _source_item(number, parts + tail, state)  # a reference wrapped without indentation is one entry
        else:
            for part in parts + tail:
                state.paragraph(part)


def _item_parts(tokens: list[Token], start: int, end: int, state: _State) -> tuple[list[_Inline], list[_Inline]]:
    """A list item's text, and apart from it the lines CommonMark joins to its paragraph although they are not
    indented under it ("lazy continuation"): in pages exported without blank lines, the paragraph after a list
    ends up inside its last item ("11. [Others](…)" then "Vitamin D helps regulate…")."""
    own: list[_Inline] = []
    tail: list[_Inline] = []
    for k in range(start + 1, end):
        token = tokens[k]
        if token.type != "inline":
            continue
        children = token.children or []
        breaks = [n for n, c in enumerate(children) if c.type in ("softbreak", "hardbreak")]
        cut = _lazy_line(tokens[k - 1], state.lines)
        if cut is None or cut > len(breaks):
            own.append(render_inline(token, state.footnotes))
            continue
        at = breaks[cut - 1]
        own.append(render_inline(replace(token, children=children[:at]), state.footnotes))
        tail.append(render_inline(replace(token, children=children[at + 1 :]), state.footnotes))
    return own, tail


def _lazy_line(opening: Token, lines: list[str]) -> int | None:
    """Which line of a list item's paragraph (counted from 0) is the first one not indented under the item."""
    if opening.type != "paragraph_open" or not opening.map:
        return None
    first, stop = opening.map
    return next((k - first for k in range(first + 1, stop) if lines[k].strip() and not lines[k][:1].isspace()), None)


def _source_item(number: str, parts: list[_Inline], state: _State) -> None:
    text = " ".join(" ".join(p.text.split()) for p in parts)
    links = [link for p in parts for link in p.links]
    text = ENTRY_PREFIX_RE.sub("", literal_citations(text)).strip()
    explicit = SOURCE_LINE_RE.match(text)
    if explicit:
        state.builder.source(int(explicit.group(1)), explicit.group(2), links)
    elif number.isdigit() and text:
        state.builder.source(int(number), text, links)
    elif text:
        state.builder.stray_source_text(Paragraph(text))


def _title(tokens: list[Token], meta: dict, fallback: str) -> tuple[str, int | None]:
    """(title, index of the H1 token that gave it): front matter, else the first H1, else the file name.

    An empty `# ` followed directly by a short paragraph (a crawler split the heading over lines) takes
    that paragraph as its text.
    """
    if str(meta.get("title") or "").strip():
        return " ".join(str(meta["title"]).split()), None
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h1":
            text = " ".join(render_inline(tokens[i + 1], {}).text.split())
            if not text and i + 4 < len(tokens) and tokens[i + 3].type == "paragraph_open":
                following = " ".join(render_inline(tokens[i + 4], {}).text.split())
                if (tokens[i + 3].map or [0])[0] == (token.map or [0, 0])[1] and len(following) <= 120:
                    return following, i
            if text:
                return text, i
    return fallback, None


def parse_markdown(
    text: str, doc: str, url: str, path: str = "", limits: Limits | None = None, fallback_title: str = ""
) -> Document:
    limits = limits or Limits()
    lines = text.split("\n")
    for number, line in enumerate(lines, start=1):
        if len(line) > limits.max_line_chars:
            raise ParseError(
                f"line {number} has {len(line):,} characters; the limit is {limits.max_line_chars:,} "
                "(MONOBOT_MAX_LINE_CHARS)"
            )
    tokens = _MD.parse(text)
    meta = _load_meta(tokens[0].content) if tokens and tokens[0].type == "front_matter" else {}
    title, title_at = _title(tokens, meta, fallback_title)
    builder = DocumentBuilder(
        doc=doc,
        title=title,
        url=url,
        path=path,
        dek=" ".join(str(meta.get("dek") or meta.get("summary") or "").split()),
        updated=str(meta["updated"]) if meta.get("updated") else None,
        subject=" ".join(str(meta["subject"]).split()) if meta.get("subject") else None,
    )
    state = _State(builder, chrome(), lines, limits)
    _walk(tokens, title_at, state)
    return builder.build()


def _walk(tokens: list[Token], title_at: int | None, state: _State) -> None:
    builder = state.builder
    i = 0 if title_at is None else title_at  # what comes before the title's H1 is the page header
    while i < len(tokens):
        token = tokens[i]
        kind = token.type
        if kind == "heading_open":
            text = render_inline(tokens[i + 1], state.footnotes).text
            if i == title_at:
                skip_to = _close(tokens, i, "heading_close")
                if i + 3 < len(tokens) and not text.strip() and tokens[i + 3].type == "paragraph_open":
                    skip_to = _close(tokens, i + 3, "paragraph_close")  # the split heading's own text
                i = skip_to + 1
                continue
            if not (token.tag == "h1" and " ".join(text.split()) == builder.title and title_at is None):
                builder.heading(state.chrome.clean_inline(text), (token.map or [0])[0] + 1, int(token.tag[1]))
            i = _close(tokens, i, "heading_close") + 1
        elif kind in ("bullet_list_open", "ordered_list_open"):
            end = _close(tokens, i, kind.replace("_open", "_close"))
            _list(tokens, i, end, state)
            i = end + 1
        elif kind == "table_open":
            end = _close(tokens, i, "table_close")
            _table(tokens, i, end, state)
            i = end + 1
        elif kind == "footnote_open":
            end = _close(tokens, i, "footnote_close")
            parts = _item_texts(tokens, i, end, state)
            number = state.footnotes.setdefault(token.meta["id"], _footnote_number(token.meta))
            text = literal_citations(" ".join(" ".join(p.text.split()) for p in parts)).strip()
            if text and number not in builder.sources:
                builder.source(number, text, [link for p in parts for link in p.links])
            i = end + 1
        elif kind == "paragraph_open":
            inline = _inline_at(tokens, i, state)
            if builder.in_sources and SOURCE_LINE_RE.match(inline.text.strip()):
                for line in inline.text.split("\n"):
                    _source_item("", [_Inline(line, inline.links)], state)
            else:
                state.paragraph(inline)
            i = _close(tokens, i, "paragraph_close") + 1
        elif kind in ("fence", "code_block"):
            for line in token.content.splitlines():
                state.paragraph(_Inline(line))
            i += 1
        elif kind == "html_block":
            state.paragraph(_Inline(_html_text(token.content)))
            i += 1
        else:
            i += 1  # quotes, rules and the like: their markers are markup, their paragraphs come next
