"""Markdown (with and without front matter) and HTML monographs parse into the same shape as the text export."""

from __future__ import annotations

import pytest

from ingest.blocks import LEAD_HEADING, headings
from ingest.load import parse_bytes, parse_file
from ingest.model import ParseError, Table

from .conftest import FIXTURES

SITE = "https://example.org/monographs/"


def test_markdown_with_front_matter():
    doc = parse_file(FIXTURES / "markdown" / "semax-brief.md", SITE)
    assert doc.doc == "semax-brief"
    assert doc.url == "https://example.org/monographs/semax-brief"
    assert doc.updated == "2026-01-15"
    assert doc.title and doc.title not in headings(doc)
    assert len(headings(doc)) >= 2
    assert doc.sources_heading and doc.sources
    assert any(isinstance(b, Table) for s in doc.sections for b in s.blocks)
    assert doc.sections[0].heading == LEAD_HEADING or doc.sections[0].anchor


def test_markdown_without_front_matter_uses_file_name():
    doc = parse_file(FIXTURES / "markdown" / "no-front-matter.md", SITE)
    assert doc.doc == "no-front-matter"
    assert doc.url == SITE + "no-front-matter"
    assert len(headings(doc)) == 2
    assert doc.sources


def test_html_page():
    doc = parse_file(FIXTURES / "html" / "selank-brief.html", SITE)
    assert doc.doc == "selank-brief"
    assert doc.title
    assert len(headings(doc)) >= 2
    tables = [b for s in doc.sections for b in s.blocks if isinstance(b, Table)]
    assert tables and all(len(row) == len(tables[0].header) for row in tables[0].rows)
    assert doc.sources
    text = " ".join(getattr(b, "text", "") for s in doc.sections for b in s.blocks)
    for boilerplate in ("cookie", "Cookie", "Subscribe", "©"):
        assert boilerplate not in text


def test_markdown_inline_formatting_is_plain_text():
    raw = b"---\ntitle: T\nslug: t\n---\n# T\n\nIt was **well tolerated** in [the trial](https://x.org) overall.[1]\n\n## Sources\n\n- [1] A B (2020). T. J.\n"
    doc = parse_bytes(raw, FIXTURES / "t.md", "markdown", SITE)
    assert doc.sections[0].blocks[0].text == "It was well tolerated in the trial overall.[1]"


@pytest.mark.parametrize(
    "raw,fmt,reason",
    [
        (b"---\ntitle: [unclosed\n---\n# x\n", "markdown", "front matter is not valid YAML"),
        (b"---\ntitle: x\n", "markdown", "never closed"),
        (b"<html><body><h1>T</h1></body></html>", "html", "no text"),
        (b"\xff\xfe\x00\x00", "text", "binary"),
    ],
)
def test_bad_input_reasons(raw, fmt, reason):
    with pytest.raises(ParseError, match=reason):
        parse_bytes(raw, FIXTURES / "x", fmt, SITE)


def test_html_without_heading_or_title_takes_its_title_from_the_file_name():
    doc = parse_bytes(
        b"<html><body><p>No heading at all.</p></body></html>", FIXTURES / "lions-mane.html", "html", SITE
    )
    assert doc.title == "Lions mane"
    assert doc.sections[0].blocks[0].text == "No heading at all."


def test_html_broken_table_is_kept_as_text_and_reported_not_rejected():
    raw = b"<h1>T</h1><table><tr><th>a</th><th>b</th></tr><tr><td>1</td></tr></table>"
    doc = parse_bytes(raw, FIXTURES / "x.html", "html", SITE)
    assert [b.text for b in doc.sections[0].blocks] == ["a; b", "1"]
    assert any("table 1 kept as text: row 1 has 1 cells, the header has 2" in n for n in doc.notes)


def test_markdown_parent_heading_without_text_adds_no_section_and_its_child_shows_the_path():
    raw = b"# Widgetide\n\nLead paragraph.\n\n## Safety\n\n### Common effects\n\nMild and brief.\n"
    doc = parse_bytes(raw, FIXTURES / "w.md", "markdown", SITE)
    assert headings(doc) == ["Safety › Common effects"]
    assert doc.sections[1].anchor == "common-effects" and doc.sections[1].line == 7
    assert not doc.notes


def test_html_heading_without_text_adds_no_section_and_a_leaf_without_text_is_noted():
    raw = b"<h1>Widgetide</h1><p>Lead.</p><h2>Safety</h2><h3>Common effects</h3><p>Mild and brief.</p><h2>Outlook</h2>"
    doc = parse_bytes(raw, FIXTURES / "w.html", "html", SITE)
    assert headings(doc) == ["Safety › Common effects"]
    assert doc.notes == ["1 heading(s) with no text under them left out: Outlook"]


def test_html_text_in_sources_that_is_no_entry_is_kept_as_text_not_dropped():
    raw = b"<h1>W</h1><p>Lead.[1]</p>\n<h2>Sources</h2>\n<ol><li>Doe J (2020). A title. A journal.</li></ol>\n<p>Some stray remark.</p>"
    doc = parse_bytes(raw, FIXTURES / "w.html", "html", SITE)
    assert doc.sources[1].authors == "Doe J"
    assert [(s.heading, [b.text for b in s.blocks]) for s in doc.sections[1:]] == [("Sources", ["Some stray remark."])]
