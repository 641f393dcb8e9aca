"""Issue 18: each monograph's review date, found on the page (or the folder's --reviewed default), kept per
document in the index, shown with each citation, and a staleness notice for old monographs."""

from __future__ import annotations

import argparse
import shutil
from datetime import date
from pathlib import Path

import pytest

from bot.badges import is_stale, reviewed_label, stale_notice, strongest, study_type_label
from bot.cli.ingest import reviewed_date
from bot.contract import Answer, Citation, Source
from bot.factory import build_bot
from bot.index import IndexStore
from bot.settings import REPO_ROOT, Settings
from bot.slack.blocks import citation_context, render
from ingest.enrich import enrich
from ingest.load import FORMATS, parse_bytes
from ingest.pipeline import ingest
from ingest.reviewed import parse_date, review_date

from .conftest import CORPUS

TODAY = date(2025, 6, 1)
TEMPLATE = (REPO_ROOT / "prompts" / "messages" / "stale_notice.txt").read_text(encoding="utf-8").strip()
NHS = REPO_ROOT / "eval" / "corpora" / "real" / "markdown" / "nhs-vitamin-d.md"

PAGE_MD = """---
title: Semax
{front}---
# Semax

{byline}
Semax is a synthetic peptide studied in stroke [1].

## Safety

Nasal irritation was the most common complaint in the trials [1].

## Sources

1. Roe B (2014). Semax after stroke: a randomised controlled trial. Stroke. PMID 12345678
"""


def page(tmp_path: Path, text: str, name: str = "semax.md") -> tuple[str | None, list[str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    raw = path.read_bytes()
    fmt = FORMATS[path.suffix]
    document = enrich(parse_bytes(raw, path, fmt, "https://example.org/m/"), raw, fmt, today=TODAY)
    return document.reviewed, document.notes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-03-14", (2025, 3, 14)),
        ("2025-03", (2025, 3, None)),
        ("2025/03/14", (2025, 3, 14)),
        ("2025-03-14T09:30:00Z", (2025, 3, 14)),
        ("14 March 2025", (2025, 3, 14)),
        ("3rd of Sept. 2024", (2024, 9, 3)),
        ("March 14, 2025", (2025, 3, 14)),
        ("March 2025", (2025, 3, None)),
        ("Mar, 2025", (2025, 3, None)),
        (date(2024, 1, 2), (2024, 1, 2)),
        ("2025", None),  # a year alone is too vague for staleness
        ("03/04/2025", None),  # March or April: never guessed
        ("2025-02-30", None),
        ("31 February 2025", None),
        ("soon", None),
        ("1850-01", None),
    ],
)
def test_page_dates_are_read_strictly(text, expected):
    assert parse_date(text) == expected


def test_front_matter_reviewed_wins_over_updated(tmp_path):
    assert page(tmp_path, PAGE_MD.format(front="updated: 2025-05-01\nreviewed: 2024-11\n", byline=""))[0] == "2024-11"
    assert page(tmp_path, PAGE_MD.format(front="updated: 2025-05-01\n", byline=""))[0] == "2025-05-01"


def test_a_byline_or_short_line_dates_the_page(tmp_path):
    line = "*Reviewed by Dr A. Smith on 12 March 2025*\n"
    assert page(tmp_path, PAGE_MD.format(front="", byline=line))[0] == "2025-03-12"
    assert page(tmp_path, PAGE_MD.format(front="", byline="Last updated: May 2024\n"))[0] == "2024-05"
    # A sentence that mentions a review is not a dating line.
    body = "The agency reviewed the 2019 data in March 2019 and found no signal.\n"
    assert page(tmp_path, PAGE_MD.format(front="", byline=body))[0] is None


def test_site_export_byline_is_read(tmp_path):
    text = (CORPUS / "semax.txt").read_text(encoding="utf-8")
    lines = text.splitlines()
    byline = next(i for i, line in enumerate(lines) if line.startswith("Reviewed against"))
    lines[byline] = "Reviewed by the monobot sample-content desk, 3 February 2025"
    assert page(tmp_path, "\n".join(lines) + "\n", "semax.txt")[0] == "2025-02-03"


def test_a_date_in_the_future_or_not_a_date_is_skipped_with_a_note(tmp_path):
    reviewed, notes = page(tmp_path, PAGE_MD.format(front="reviewed: 2031-01\nupdated: 2024-02\n", byline=""))
    assert reviewed == "2024-02" and any("2031-01 is in the future" in n for n in notes)
    reviewed, notes = page(tmp_path, PAGE_MD.format(front="reviewed: soon\n", byline=""))
    assert reviewed is None and any("'soon' is not a date" in n for n in notes)


def test_html_meta_json_ld_time_and_page_text(tmp_path):
    head = "<html><head><title>Semax</title>{}</head><body><main><h1>Semax</h1><p>Semax is a peptide [1].</p>{}</main></body></html>"
    cases = [
        (head.format('<meta name="last-reviewed" content="2024-10-02">', ""), "2024-10-02"),
        (
            head.format(
                '<script type="application/ld+json">{"@type": "WebPage", "lastReviewed": "2024-09"}</script>', ""
            ),
            "2024-09",
        ),
        (head.format("", '<p class="meta">Updated <time datetime="2024-08-07">7 Aug</time></p>'), "2024-08-07"),
        (head.format('<meta property="article:modified_time" content="2024-07-01T10:00:00+00:00">', ""), "2024-07-01"),
        (head.format("", "<footer><p>Page last reviewed: <span>03 August 2020</span></p></footer>"), "2020-08-03"),
        (
            head.format(
                '<meta name="last-reviewed" content="2024-10-02"><meta property="article:modified_time" content="2025-01-01">',
                "",
            ),
            "2024-10-02",
        ),
    ]
    for n, (html, expected) in enumerate(cases):
        assert page(tmp_path, html, f"semax{n}.html")[0] == expected, html


def test_real_page_review_date():
    raw = NHS.read_bytes()
    document = enrich(parse_bytes(raw, NHS, "markdown", "https://example.org/m/"), raw, "markdown", today=TODAY)
    assert document.reviewed == "2020-08-03"  # "Page last reviewed: 03 August 2020" at the foot of the NHS page


def test_the_folder_default_is_used_only_when_the_page_says_nothing(tmp_path):
    path = tmp_path / "semax.md"
    for front, expected in (("", "2023-05"), ("reviewed: 2024-11\n", "2024-11")):
        path.write_text(PAGE_MD.format(front=front, byline=""), encoding="utf-8")
        raw = path.read_bytes()
        document = parse_bytes(raw, path, "markdown", "https://example.org/m/")
        assert review_date(document, raw, "markdown", TODAY, default="2023-05").date == expected


def test_cli_reviewed_option_is_checked():
    assert reviewed_date("2025-03") == "2025-03" and reviewed_date("2024-02-29") == "2024-02-29"
    for bad in ("2025-13", "March 2025", "2025", "2099-01"):
        with pytest.raises(argparse.ArgumentTypeError):
            reviewed_date(bad)


# -- what readers see


def test_labels_and_strongest_type():
    assert reviewed_label("2025-03") == "Monograph reviewed March 2025"
    assert reviewed_label("2024-11-02") == "Monograph reviewed November 2024"
    assert reviewed_label("2025") is None and reviewed_label(None) is None
    assert study_type_label("rct") == "Randomised trial" and study_type_label("unknown") is None
    assert strongest(["unknown", "case_report", "rct"]) == "rct" and strongest([None]) is None


def test_staleness_counts_whole_months_from_the_latest_possible_review_day():
    assert not is_stale("2023-06", date(2025, 6, 30), 24)  # June 2023 may mean 30 June 2023
    assert is_stale("2023-06", date(2025, 7, 1), 24)
    assert not is_stale("2023-06-15", date(2025, 6, 15), 24) and is_stale("2023-06-15", date(2025, 6, 16), 24)
    assert not is_stale(None, TODAY, 24) and not is_stale("someday", TODAY, 24)


def test_stale_notice_names_the_oldest_cited_monograph():
    assert stale_notice(["2025-01", None], TODAY, 24, TEMPLATE) is None
    notice = stale_notice(["2024-12", "2022-02-10", "2021-03", None], TODAY, 24, TEMPLATE)
    assert notice is not None and "March 2021" in notice and "24 months" in notice
    assert stale_notice(["2024-12"], TODAY, 3, TEMPLATE) is not None


def _answer() -> Answer:
    sources = [
        Source(
            n=1,
            citation="Roe B (2014). Semax: a randomised trial. Stroke. PMID 12345678",
            pmid="12345678",
            study_type="rct",
        ),
        Source(n=2, citation="<!channel> Doe (2020). Semax in rats. Lab Anim.", study_type="animal_in_vitro"),
        Source(n=3, citation="Somebody (2019). Semax. Journal.", study_type="unknown"),
    ]
    citation = Citation(
        n=1,
        doc="semax",
        title="Semax",
        section="Safety",
        url="https://example.org/m/semax#safety",
        excerpt="Nasal irritation was the most common complaint [1][2].",
        sources=sources,
        reviewed="2025-03",
    )
    return Answer(
        question="Is Semax safe?",
        status="answered",
        answer="Nasal irritation [1].",
        citations=[citation],
        stale_notice="A monograph cited here was last reviewed in March 2021.",
    )


def test_slack_citation_context_line_shows_type_and_review_date():
    answer = _answer()
    assert citation_context(answer.citations[0]) == "*Randomised trial* · Monograph reviewed March 2025"
    contexts = [e["text"] for b in render(answer)[0] if b["type"] == "context" for e in b["elements"]]
    sources = next(t for t in contexts if t.startswith("*Randomised trial*"))
    assert "· _Randomised trial_" in sources and "· _Animal/lab study_" in sources
    assert "&lt;!channel&gt;" in sources and "<!channel>" not in sources  # corpus text stays escaped
    assert sources.count("· _") == 2  # unknown gets no badge
    assert any("last reviewed in March 2021" in t for t in contexts)


def test_render_text_shows_types_after_sources_and_the_notices():
    text = _answer().render_text()
    assert "[1] Semax — Safety (Randomised trial; Monograph reviewed March 2025)" in text
    assert "PMID 12345678 (https://pubmed.ncbi.nlm.nih.gov/12345678/) — Randomised trial" in text
    assert "Semax in rats. Lab Anim. — Animal/lab study" in text
    assert "last reviewed in March 2021" in text


# -- through the index to the answer


def _ingest_pair(tmp_path: Path, settings_for, embedder, front: str):
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    shutil.copy(CORPUS / "bpc-157.txt", corpus)
    (corpus / "semax.md").write_text(PAGE_MD.format(front=front, byline=""), encoding="utf-8")
    settings: Settings = settings_for(tmp_path / "store")
    store = IndexStore(settings)
    report = ingest([corpus], settings, store, embedder, progress=False, reviewed="2024-05")
    assert report.ok, report.failures
    return settings, store


def test_review_dates_are_stored_per_document_and_types_reach_the_answer(tmp_path, settings_for, embedder):
    settings, store = _ingest_pair(tmp_path, settings_for, embedder, "reviewed: 2025-02\n")
    docs = store.read_live().docs
    assert docs["semax"]["reviewed"] == "2025-02"  # the page's own date
    assert docs["bpc-157"]["reviewed"] == "2024-05"  # the folder default
    answer = build_bot(settings, store=store, embedder=embedder).ask("Is Semax safe?")
    assert answer.status == "answered"
    sources = [s for c in answer.citations for s in c.sources]
    assert sources and {s.study_type for s in sources} == {"rct"}


def test_a_new_review_date_alone_is_published(tmp_path, settings_for, embedder):
    _, store = _ingest_pair(tmp_path, settings_for, embedder, "reviewed: 2024-02\n")
    (tmp_path / "corpus" / "semax.md").write_text(
        PAGE_MD.format(front="reviewed: 2025-04\n", byline=""), encoding="utf-8"
    )
    settings = settings_for(tmp_path / "store")
    assert ingest([tmp_path / "corpus"], settings, store, embedder, progress=False, reviewed="2024-05").ok
    assert store.read_live().docs["semax"]["reviewed"] == "2025-04"
    assert store.snapshot().info.docs["semax"]["reviewed"] == "2025-04"  # a reader sees it without a new generation


def test_citations_carry_the_strongest_type_and_review_date_and_old_monographs_a_notice(
    tmp_path, settings_for, embedder
):
    settings, store = _ingest_pair(tmp_path, settings_for, embedder, "reviewed: 2021-02\n")
    bot = build_bot(settings, store=store, embedder=embedder)
    bot.today = lambda: date(2025, 6, 1)
    answer = bot.ask("Is Semax safe?")
    semax = [c for c in answer.citations if c.doc == "semax"]
    assert semax and semax[0].study_type == "rct" and semax[0].reviewed == "2021-02"
    assert answer.evidence is not None and answer.evidence.strongest_source == "rct"
    assert answer.stale_notice is not None and "February 2021" in answer.stale_notice
