"""The plain-text export: headings, dek, byline, tables and sources, on the real exemplar and on small cases."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.text import cited_numbers, sentence_spans, strip_citations
from ingest.blocks import LEAD_HEADING, headings, unresolved_citations
from ingest.load import parse_file
from ingest.model import Paragraph, ParseError, Table
from ingest.parse_text import looks_like_heading, parse_text

from .conftest import EXEMPLAR

SITE = "https://example.org/monographs/"


@pytest.fixture(scope="module")
def exemplar():
    if not EXEMPLAR.exists():
        pytest.skip("the format exemplar ../shared/seeds/cerebrolysin-side-effects.txt is not present")
    return parse_file(EXEMPLAR, SITE)


def test_exemplar_has_exactly_five_headings_plus_sources(exemplar):
    assert headings(exemplar) == [
        "The common, mild effects: infusion-related and transient",
        "The signal that matters: non-fatal serious adverse events",
        "The porcine source: a real hypersensitivity risk",
        "What about the dementia and off-label use?",
        "The honest bottom line",
    ]
    assert exemplar.sources_heading == "Sources"


def test_exemplar_title_dek_byline_and_lead(exemplar):
    assert exemplar.title.startswith("Cerebrolysin side effects")
    assert exemplar.dek.startswith("The trials rated it")
    assert exemplar.byline.startswith("Reviewed against primary sources by")
    assert exemplar.doc == "cerebrolysin-side-effects"
    assert exemplar.subject == "Cerebrolysin"
    lead = exemplar.sections[0]
    assert lead.heading == LEAD_HEADING and lead.anchor == ""
    assert [type(b) for b in lead.blocks] == [Paragraph, Paragraph]  # the dek, then the lead paragraph
    every_heading = {s.heading for s in exemplar.sections}
    assert exemplar.byline not in every_heading and exemplar.dek not in every_heading


def test_exemplar_table_is_a_table_not_headings(exemplar):
    tables = [b for s in exemplar.sections for b in s.blocks if isinstance(b, Table)]
    assert len(tables) == 1
    table = tables[0]
    assert table.header == ["Category", "What the data show", "Source / estimate"]
    assert ["Non-fatal serious adverse events", "Possible increase — the key signal", "Cochrane RR 2.39 (1.10–5.23)"] in table.rows


def test_exemplar_sources_resolve_every_inline_citation(exemplar):
    assert sorted(exemplar.sources) == [1, 2, 3, 4, 5]
    assert exemplar.sources[1].pmid == "37818733"
    assert exemplar.sources[5].pmid == "39055722"  # last line of the file, no trailing newline
    assert exemplar.sources[2].year == "2012" and exemplar.sources[2].journal == "Stroke"
    assert unresolved_citations(exemplar) == []


def test_section_urls_use_site_url_slug_and_anchor(exemplar):
    assert exemplar.url == SITE + "cerebrolysin-side-effects"
    assert exemplar.sections[1].anchor == "the-common-mild-effects-infusion-related-and-transient"


@pytest.mark.parametrize(
    "line,expected",
    [
        ("What about long-term use?", True),
        ("The honest bottom line", True),
        ("Reviewed against primary sources by the desk.", False),
        ("It was well tolerated in trials.[1]", False),
        ("| a | b |", False),
        ("- [1] Someone (2020). Title. Journal.", False),
        ("A" * 120, False),
    ],
)
def test_heading_rule(line, expected):
    assert looks_like_heading(line) is expected


def test_citation_markers():
    assert cited_numbers("One.[1] Two.[1][5] Three [2, 3] and [6–8].") == [1, 5, 2, 3, 6, 7, 8]
    assert strip_citations("It was safe.[1][3]") == "It was safe."


def test_sentences_keep_citations_and_skip_abbreviations():
    text = "Heiss et al. reported it.[2] The CI was 0.92–1.14. Dr. Smith agreed. Fewer than 4% stopped."
    sentences = [text[a:b] for a, b in sentence_spans(text)]
    assert sentences == ["Heiss et al. reported it.[2]", "The CI was 0.92–1.14.", "Dr. Smith agreed.", "Fewer than 4% stopped."]


def test_small_monograph_parses_without_sources():
    doc = parse_text("Semax brief\nA short summary.\nFirst paragraph of the lead.\nIs it approved?\nNot by the FDA.\n", "semax-brief", SITE + "semax-brief")
    assert headings(doc) == ["Is it approved?"]
    assert doc.sources == {}


@pytest.mark.parametrize(
    "text,reason",
    [
        ("", "empty"),
        ("Title\nDek.\n| a | b |\n| c | d |\n", "separator"),
        ("Title\nDek.\n| a | b |\n|---|---|\n| c |\n", "row 1 has 1 cells, header has 2"),
        ("Title\nDek.\nPara.\nSources\nnot a source line\n", "in Sources"),
    ],
)
def test_parse_errors_name_the_problem(text, reason):
    with pytest.raises(ParseError, match=reason):
        parse_text(text, "x", SITE + "x")
