"""HTML as served (issue 13): an HTML5 parse, chrome removed, MediaWiki layouts, reference lists and titles."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.blocks import headings
from ingest.load import parse_bytes
from ingest.model import Paragraph, ParseError, Table

SITE = "https://example.org/monographs/"


def html(text: str, name: str = "page.html"):
    return parse_bytes(text.encode(), Path(name), "html", SITE)


def texts(doc) -> list[str]:
    return [b.text for s in doc.sections for b in s.blocks if isinstance(b, Paragraph)]


def test_implied_end_tags_resolve_as_a_browser_does():
    doc = html("<h1>W</h1><p>a<p>b<h2>Side effects</h2><ul><li>x<li>y</ul>")
    assert [(s.heading, [b.text for b in s.blocks]) for s in doc.sections] == [
        ("Summary", ["a", "b"]),
        ("Side effects", ["x", "y"]),
    ]


def test_unclosed_p_does_not_swallow_what_follows_and_div_span_text_is_kept():
    doc = html("<h1>W</h1><p>First paragraph<div>Text in a div with <span>a span</span>.</div><h2>Next</h2>After.")
    assert texts(doc) == ["First paragraph", "Text in a div with a span.", "After."]
    assert headings(doc) == ["Next"]


def test_mediawiki_layout_table_around_the_h1_is_unwrapped():
    page = (
        "<table><tr><td><h1>Withania somnifera</h1></td></tr></table>"
        "<table class='wrapper'><tr><td><p>Withania somnifera is a shrub.</p><h2>Uses</h2><p>Withania somnifera is used.</p></td></tr></table>"
    )
    doc = html(page)
    assert doc.title == "Withania somnifera" and doc.subject == "Withania somnifera"
    assert texts(doc) == ["Withania somnifera is a shrub.", "Withania somnifera is used."]


def test_wikipedia_references_resolve_with_pmid_doi_and_url():
    page = """<h1 id="firstHeading">Widgetide</h1>
    <div id="mw-content-text"><p>It works.<sup class="reference"><a href="#cite_note-Doe-1">[1]</a></sup>
    It is safe.<sup class="reference"><a href="#cite_note-2">[2]</a></sup> Unknown.<sup>[9]</sup></p>
    <div class="reflist"><ol class="references">
    <li id="cite_note-Doe-1"><span class="mw-cite-backlink">^ <a href="#r">a</a> <a href="#r">b</a></span>
      Doe J (2019). "A trial". <i>J</i>. <a href="https://en.wikipedia.org/wiki/PMID">PMID</a> <a href="https://pubmed.ncbi.nlm.nih.gov/12345678">12345678</a></li>
    <li id="cite_note-2"><span class="mw-cite-backlink"><a href="#r">^</a></span>
      Roe A (2020). <a href="https://example.org/paper">Second</a>. <a href="https://en.wikipedia.org/wiki/Doi">doi</a>:<a href="https://doi.org/10.1000/abc">10.1000/abc</a></li>
    </ol></div></div>"""
    doc = html(page)
    assert texts(doc) == ["It works.[1] It is safe.[2] Unknown.[9]"]
    assert doc.sources[1].pmid == "12345678" and doc.sources[1].citation.startswith("Doe J (2019)")
    assert doc.sources[2].doi == "10.1000/abc" and doc.sources[2].url == "https://example.org/paper"
    assert doc.notes == ["1 inline citation(s) have no entry in the reference list, kept as plain text: [9]"]


def test_sup_numbers_are_citations():
    doc = html(
        "<h1>W</h1><p>Shown twice<sup>1,2</sup>.</p><h2>Sources</h2><ol><li>A (2000). T. J.</li><li>B (2001). T. J.</li></ol>"
    )
    assert texts(doc) == ["Shown twice[1,2]."]
    assert sorted(doc.sources) == [1, 2]


def test_chrome_is_dropped_and_links_keep_their_text():
    page = """<html><head><title>Semax | Shop</title><meta name="description" content="Invisible summary text.">
    </head><body><header class="site-header"><a href="/">PeptideShop</a></header>
    <nav><ul><li><a href="/a">All products</a></li></ul></nav>
    <div id="cookie-banner">We use cookies to improve your experience.</div>
    <main><h1>Semax</h1><img src="x.png" alt="A vial"><p>Semax is a <a href="/p">peptide</a>.</p>
    <div class="newsletter-box"><p>Subscribe to our newsletter for offers!</p></div>
    <div class="cta"><p>Get your quote today</p></div>
    <h2>Evidence<span class="mw-editsection">[edit]</span></h2><p>Small studies only.</p><p>Back to top</p>
    <aside>Related products</aside></main><footer>© 2026 Shop</footer></body></html>"""
    doc = html(page)
    assert texts(doc) == ["Semax is a peptide.", "Small studies only."]
    assert headings(doc) == ["Evidence"]


def test_shop_title_gives_the_product_as_subject():
    doc = html(
        "<html><head><title>Buy Semax Online | PeptideShop</title></head><body><p>Semax nasal spray. Semax is sold here.</p></body></html>"
    )
    assert doc.title == "Buy Semax Online" and doc.subject == "Semax"


def test_og_title_when_there_is_no_h1():
    doc = html(
        '<html><head><meta property="og:title" content="Lion\'s Mane"></head><body><p>Lion\'s Mane is a fungus.</p></body></html>'
    )
    assert doc.title == "Lion's Mane" and doc.subject == "Lion's Mane"


def test_a_reference_list_without_a_heading_is_not_body_text():
    doc = html(
        '<h1>W</h1><p>Text.[1]</p><div class="references"><ol><li>Doe J (2019). T. J. PMID: 12345678</li></ol></div>'
    )
    assert texts(doc) == ["Text.[1]"]
    assert doc.sources[1].pmid == "12345678"


def test_data_table_with_colspan_and_a_layout_table():
    doc = html(
        "<h1>W</h1><table><tr><th>Outcome</th><th>RR</th><th>CI</th></tr>"
        "<tr><td>Events</td><td colspan=2>2.39 (1.10-5.23)</td></tr></table>"
        "<table role='presentation'><tr><td>Layout cell text.</td><td>More.</td></tr></table>"
    )
    assert doc.sections[0].blocks[0] == Table(header=["Outcome", "RR", "CI"], rows=[["Events", "2.39 (1.10-5.23)", ""]])
    assert texts(doc) == ["Layout cell text.", "More."]


def test_br_separated_lines_are_separate_items():
    doc = html("<h1>W</h1><p>Brand names<br>Draganon<br>Sarpul</p>")
    assert texts(doc) == ["Brand names", "Draganon", "Sarpul"]


def test_wide_table_is_refused_with_a_clear_error():
    cells = "".join(f"<td>{i}</td>" for i in range(100))
    with pytest.raises(ParseError, match=r"table 1 has 100 columns; the limit is 64 \(MONOBOT_MAX_TABLE_COLUMNS\)"):
        html(f"<h1>W</h1><p>Lead.</p><table><tr>{cells}</tr><tr>{cells}</tr></table>")


def test_deep_nesting_does_not_overflow():
    doc = html("<h1>W</h1>" + "<div>" * 5000 + "<p>Deep text.</p>" + "</div>" * 5000)
    assert texts(doc) == ["Deep text."]


def test_footnotes_written_as_paragraphs_are_sources():
    doc = html(
        '<h1>W</h1><p>Alert fatigue.<sup><a href="#fn22">22</a></sup></p><div class="footnotes">'
        '<p id="fn22"><sup><a href="#m22">22</a></sup>Sometimes known as alert spam.</p></div>'
    )
    assert texts(doc) == ["Alert fatigue.[22]"]
    assert doc.sources[22].citation == "Sometimes known as alert spam." and not doc.notes
