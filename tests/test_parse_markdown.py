"""Markdown as real sites write it (issue 13): titles, citations, lists, chrome, code, tables and heading paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.blocks import headings
from ingest.load import parse_bytes
from ingest.model import Limits, Paragraph, ParseError, Table

SITE = "https://example.org/monographs/"


def md(text: str, name: str = "page.md", limits: Limits | None = None):
    return parse_bytes(text.encode(), Path(name), "markdown", SITE, limits)


def texts(doc) -> list[str]:
    return [b.text for s in doc.sections for b in s.blocks if isinstance(b, Paragraph)]


def test_title_from_front_matter_then_h1_then_file_name():
    assert md("---\ntitle: Lion's Mane\n---\n# Something else\n\nText.\n").title == "Lion's Mane"
    assert md("Intro text.\n\n# Lion's Mane\n\nText.\n").title == "Lion's Mane"
    doc = md("Lion's Mane is a mushroom.\n\n## Uses\n\nText.\n", name="lions-mane.md")
    assert doc.title == "Lions mane" and doc.subject == "Lions mane"
    assert texts(doc)[0] == "Lion's Mane is a mushroom."


def test_subject_keeps_multi_word_names():
    doc = md("# Withania somnifera\n\nWithania somnifera is a shrub. Withania somnifera roots are used.\n")
    assert doc.subject == "Withania somnifera"
    doc = md("# Lion's Mane: benefits and side effects\n\nLion's Mane is a mushroom. Lion's Mane extracts vary.\n")
    assert doc.subject == "Lion's Mane"


def test_inline_citation_links_resolve_to_the_reference_list():
    doc = md(
        "# Widgetide\n\nIt lowered pressure.[[2]](#ref2) It was safe.[3](#cite-3)\n\n"
        "## References\n\n1. Doe J (2019). First. J One. PMID 11111111\n"
        "2. Roe A (2020). Second. J Two. doi:10.1000/xyz.123\n"
        "3. Poe E (2021). [Third](https://example.org/third). J Three.\n"
    )
    assert texts(doc) == ["It lowered pressure.[2] It was safe.[3]"]
    assert doc.sources[1].pmid == "11111111"
    assert doc.sources[2].doi == "10.1000/xyz.123"
    assert doc.sources[3].url == "https://example.org/third"
    assert doc.notes == []


def test_footnotes_and_sup_markers_are_citations():
    doc = md("# W\n\nShown in a trial[^1] and another<sup>2</sup>.\n\n[^1]: Doe J (2019). T. J. PMID 12345678\n")
    assert texts(doc) == ["Shown in a trial[1] and another[2]."]
    assert doc.sources[1].pmid == "12345678"
    assert doc.notes == ["1 inline citation(s) have no entry in the reference list, kept as plain text: [2]"]


def test_unresolved_citations_are_listed_once_not_per_occurrence():
    doc = md("# W\n\nA.[4] B.[4] C.[5]\n\nD.[4]\n")
    assert doc.notes == ["2 inline citation(s) have no entry in the reference list, kept as plain text: [4], [5]"]


def test_psychonautwiki_reference_list_with_back_links():
    doc = md(
        "# W\n\nText.[1]\n\n## References\n"
        '1. ↑ 1.0 1.1 Doe, J. (2010). "A study".*J*.**70**(3): 1–2.[doi](http://en.wikipedia.org/wiki/Digital_object_identifier):[10.2165/1131](//doi.org/10.2165/1131)\n'
    )
    source = doc.sources[1]
    assert source.citation.startswith("Doe, J. (2010).")
    assert source.doi == "10.2165/1131" and source.url == "https://doi.org/10.2165/1131"


def test_links_keep_text_images_quotes_and_chrome_go():
    doc = md(
        "# W\n\n![diagram](https://x.org/a.png)\n\n> Quoted [finding](https://x.org/f) here.\n\n"
        "Back to top\n\n[Skip to main content](#main)\n\nPlain text.\n"
    )
    assert texts(doc) == ["Quoted finding here.", "Plain text."]


def test_list_items_are_paragraphs_without_markers():
    doc = md("# W\n\nIntro.\n\n- Headache in some users\n- Nausea\n  continued here\n* Dizziness\n")
    assert texts(doc) == ["Intro.", "Headache in some users", "Nausea continued here", "Dizziness"]


def test_plain_line_lists_stay_items_and_hard_wraps_stay_joined():
    doc = md(
        "# Aniracetam\n*Source: https://example.org/wiki/Aniracetam*\n\nIt was studied in rats and they are\nreformed slowly.\n\nBrand names\nDraganon\nSarpul\n"
    )
    assert texts(doc) == ["It was studied in rats and they are reformed slowly.", "Brand names", "Draganon", "Sarpul"]
    assert doc.byline == "Source: https://example.org/wiki/Aniracetam"


def test_hash_in_a_fenced_code_block_is_not_a_heading():
    doc = md("# W\n\nIntro.\n\n```\n# not a heading\n```\n\n## Real\n\nText.\n")
    assert headings(doc) == ["Real"]
    assert "# not a heading" in texts(doc)


def test_heading_paths():
    doc = md(
        "# W\n\nLead.\n\n## Interactions\n\n### Alcohol\n\nAvoid it.\n\n### Caffeine\n\nFine.\n\n## Other\n\nMore.\n"
    )
    assert headings(doc) == ["Interactions › Alcohol", "Interactions › Caffeine", "Other"]
    assert [s.anchor for s in doc.sections[1:]] == ["alcohol", "caffeine", "other"]


def test_a_table_stays_a_table_and_a_ragged_one_is_kept_as_text_and_noted():
    doc = md("# W\n\n| Outcome | RR |\n|---|---|\n| Events | 2.39 |\n")
    assert doc.sections[0].blocks == [Table(header=["Outcome", "RR"], rows=[["Events", "2.39"]])]
    doc = md("# W\n\nLead.\n\n| Outcome | RR |\n|---|---|\n| Events | 2.39 | extra |\n")
    assert texts(doc) == ["Lead.", "Outcome; RR", "Events; 2.39; extra"]
    assert doc.notes == ["table at line 5 kept as text: row 1 has 3 cells, the header has 2"]


def test_text_in_a_reference_section_that_is_no_entry_is_kept():
    doc = md("# W\n\nA.[1]\n\n## References\n\n1. Doe J (2020). T. J.\n\nFurther reading is listed below.\n")
    assert doc.sources[1].authors == "Doe J"
    assert [(s.heading, [b.text for b in s.blocks]) for s in doc.sections[1:]] == [
        ("References", ["Further reading is listed below."])
    ]


def test_a_list_of_bare_links_is_navigation():
    doc = md("# W\n\nText.\n\n## See also\n\n- [Piracetam](/p)\n- [Oxiracetam](/o)\n- [Nootropic](/n)\n")
    assert texts(doc) == ["Text."]
    assert doc.notes == ["1 heading(s) with no text under them left out: See also"]


def test_text_run_on_after_a_navigation_list_is_kept():
    """Exported without a blank line, the page's lead paragraph is CommonMark's lazy continuation of the
    contents list's last item: the list is dropped as navigation, the paragraph is not."""
    doc = md(
        "# W\n\n## Contents\n1. [Overview](/o)\n2. [Uses](/u)\n3. [Risks](/r)\n4. [Studies](/s)\n5. [Others](/x)\n"
        "**W helps regulate calcium.**\nThere is not enough evidence for COVID-19.\n\n## Uses\n\nText.\n"
        "\n## Support links\n* [Home](/)\n* [About](/a)\n* [Contact](/c)\n© Crown copyright\n"
    )
    assert texts(doc) == ["W helps regulate calcium.", "There is not enough evidence for COVID-19.", "Text."]


def test_a_crawled_page_with_an_empty_h1_split_over_lines():
    doc = md(
        "Site name\n[Skip to main content](#main)\n# \nVitamin D\n \n - \n Vitamins and minerals\n\nVitamin D helps.\n"
    )
    assert doc.title == "Vitamin D" and doc.subject == "Vitamin D"
    assert texts(doc) == ["Vitamins and minerals", "Vitamin D helps."]  # what stood before the H1 is the site header


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://x.org/a|b", "https://x.org/<script>", "ftp://x.org/a", "https://x.org/a>b"],
)
def test_front_matter_url_only_http_without_pipes_or_angle_brackets(url):
    doc = md(f"---\ntitle: W\nurl: '{url}'\n---\nText.\n", name="w.md")
    assert doc.url == SITE + "w"
    assert doc.notes[0].startswith("front-matter url is not an http(s) URL")


def test_front_matter_https_url_is_kept():
    assert md("---\ntitle: W\nurl: https://x.org/w\n---\nText.\n").url == "https://x.org/w"


def test_caps_on_table_width_and_line_length():
    wide = (
        "| " + " | ".join(f"c{i}" for i in range(70)) + " |\n|" + "---|" * 70 + "\n| " + " | ".join("v" * 70) + " |\n"
    )
    with pytest.raises(
        ParseError, match=r"table at line 3 has 70 columns; the limit is 64 \(MONOBOT_MAX_TABLE_COLUMNS\)"
    ):
        md("# W\n\n" + wide)
    with pytest.raises(ParseError, match=r"line 3 has 30,001 characters; the limit is 20,000"):
        md("# W\n\n" + "x" * 30_001 + "\n")
    assert md("# W\n\n" + wide, limits=Limits(max_table_columns=100)).sections[0].blocks
