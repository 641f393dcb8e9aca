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
    assert [
        "Non-fatal serious adverse events",
        "Possible increase — the key signal",
        "Cochrane RR 2.39 (1.10–5.23)",
    ] in table.rows


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
    assert sentences == [
        "Heiss et al. reported it.[2]",
        "The CI was 0.92–1.14.",
        "Dr. Smith agreed.",
        "Fewer than 4% stopped.",
    ]


def test_small_monograph_parses_without_sources():
    doc = parse_text(
        "Semax brief\nA short summary.\nFirst paragraph of the lead.\nIs it approved?\nNot by the FDA.\n",
        "semax-brief",
        SITE + "semax-brief",
    )
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


# --- line 2 is the dek, whatever its punctuation -------------------------------------------------------


@pytest.mark.parametrize(
    "dek",
    [
        "Thin human evidence and an unclear regulatory picture",  # no closing punctuation: once read as a heading
        "Is it worth the hype?",
        "Mostly rodent data — so far",
    ],
)
def test_line_two_is_the_dek_whatever_its_punctuation(dek):
    text = f"Widgetide overview\n{dek}\nWidgetide is an invented peptide used in this test.\nWhat is it?\nA compound described only here.\n"
    doc = parse_text(text, "widgetide", SITE + "widgetide")
    assert doc.dek == dek
    assert headings(doc) == ["What is it?"]
    lead = doc.sections[0]
    assert lead.heading == LEAD_HEADING
    assert [b.text for b in lead.blocks] == [dek, "Widgetide is an invented peptide used in this test."]


def test_a_table_on_line_two_is_not_the_dek():
    text = "Widgetide numbers\n| Measure | Value |\n|---|---|\n| Trials | none |\nWhat is known?\nVery little.\n"
    doc = parse_text(text, "w", SITE + "w")
    assert doc.dek == ""
    assert isinstance(doc.sections[0].blocks[0], Table)
    assert headings(doc) == ["What is known?"]


def test_blank_line_two_means_no_dek():
    doc = parse_text(
        "Widgetide notes\n\nA first paragraph of the lead.\nWhat is known?\nVery little.\n", "w", SITE + "w"
    )
    assert doc.dek == ""
    assert [b.text for b in doc.sections[0].blocks] == ["A first paragraph of the lead."]


# --- tables without outer pipes; nothing silently dropped -----------------------------------------------

PIPELESS = (
    "Widgetide safety\n"
    "A summary sentence about an invented drug.\n"
    "The lead paragraph of this test monograph.\n"
    "What the pooled data show\n"
    "Outcome | Finding\n"
    "---|:---:\n"
    "Any adverse event | RR 1.01\n"
    "Serious adverse events | RR 2.39\n"
    "The table above is invented for this test.\n"
    "The bottom line\n"
    "Nothing here is real.\n"
)


def test_table_without_outer_pipes_is_a_table():
    doc = parse_text(PIPELESS, "w", SITE + "w")
    assert headings(doc) == ["What the pooled data show", "The bottom line"]
    section = doc.sections[1]
    table = section.blocks[0]
    assert isinstance(table, Table)
    assert table.header == ["Outcome", "Finding"]
    assert table.rows == [["Any adverse event", "RR 1.01"], ["Serious adverse events", "RR 2.39"]]
    assert section.blocks[1] == Paragraph("The table above is invented for this test.")


def test_markdown_table_without_outer_pipes_is_a_table():
    raw = b"# Widgetide\n\nLead paragraph.\n\n## Numbers\n\nOutcome | Finding\n--- | ---\nAny event | RR 1.01\nSerious events | RR 2.39\n"
    from ingest.load import parse_bytes

    doc = parse_bytes(raw, Path("w.md"), "markdown", SITE)
    (table,) = [b for s in doc.sections for b in s.blocks if isinstance(b, Table)]
    assert table.rows[-1] == ["Serious events", "RR 2.39"]


def test_pipe_lines_without_a_delimiter_row_are_a_broken_table_not_headings():
    text = "Widgetide\nA summary.\nResults\nOutcome | Finding\nSerious events | RR 2.39\n"
    with pytest.raises(ParseError, match="broken table at line 4"):
        parse_text(text, "w", SITE + "w")


def test_a_lone_pipe_line_is_kept_as_text_not_a_heading():
    doc = parse_text("Widgetide\nA summary.\nResults\nRatio | 2.39\n", "w", SITE + "w")
    assert headings(doc) == ["Results"]
    assert doc.sections[1].blocks == [Paragraph("Ratio | 2.39")]


def test_a_heading_with_no_text_under_it_is_an_error_naming_the_line():
    # "Serious events 2.39" reads as a heading (short, unpunctuated); the section above it would vanish.
    text = "Widgetide\nA summary.\nLead text.\nWhat the data show\nSerious events 2.39\nA paragraph.\n"
    with pytest.raises(
        ParseError, match=r"line 4: 'What the data show' .*no text under it \(the next heading is line 5\)"
    ):
        parse_text(text, "w", SITE + "w")


def test_a_heading_just_before_sources_is_an_error():
    text = "Widgetide\nA summary.\nLead text.[1]\nDangling heading\nSources\n- [1] Doe J (2020). A title. A journal.\n"
    with pytest.raises(ParseError, match="line 4: 'Dangling heading'"):
        parse_text(text, "w", SITE + "w")


def test_title_that_is_a_table_row_says_so():
    for text in ("| Outcome | Finding |\n|---|---|\n| Any | RR 1 |\n", "Outcome | Finding\n---|---\nAny | RR 1\n"):
        with pytest.raises(ParseError, match="no title: line 1 is a table row"):
            parse_text(text, "w", SITE + "w")
