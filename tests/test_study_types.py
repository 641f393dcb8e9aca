"""Issue 18: every source gets a study type at ingest, from rules kept as data, and never an overstated one.

The labelled citations (eval/citations/, real references from the corpora and public reference lists)
measure the rules; the frozen test split is scored here as numbers only, never listed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from eval.citations import MIN_ACCURACY, STRONG, evaluate, load, run
from ingest.blocks import parse_source
from ingest.chunk import chunk_document
from ingest.enrich import enrich
from ingest.load import parse_bytes
from ingest.model import Source
from ingest.studytype import RULES_FILE, STUDY_TYPES, RulesError, classify, classify_text, load_rules

from .conftest import CORPUS

DATA = Path(__file__).resolve().parent.parent / "eval" / "citations"
# Held-out accuracy of the rules on the frozen test split (docs/evidence-badges.md): a floor that catches
# a regression, below the issue's 0.95 target, which the strict xfail below tracks.
TEST_FLOOR = 0.92


@pytest.fixture(scope="module")
def reports():
    return {r.split: r for r in run()}


def test_labelled_set_is_large_real_and_split(reports):
    dev, test = load(DATA / "dev.jsonl"), load(DATA / "test.jsonl")
    assert len(dev) + len(test) >= 150 and len(test) >= 100
    assert all(item.origin for item in dev + test)
    assert not {i.id for i in dev} & {i.id for i in test}
    assert {i.label for i in dev} == set(STUDY_TYPES)  # every type is represented


def test_no_citation_is_wrongly_called_a_systematic_review_or_a_randomised_trial(reports):
    for report in reports.values():
        assert report.strong_false_positives == 0, f"{report.split}: {report.strong_false_positives}"
        for kind in STRONG:
            wrong = sum(
                n for label, row in report.confusion.items() if label != kind for k, n in row.items() if k == kind
            )
            assert wrong == 0, f"{report.split}: {wrong} citations wrongly labelled {kind}"


def test_dev_accuracy_meets_the_target(reports):
    assert reports["dev"].accuracy >= MIN_ACCURACY, f"dev accuracy {reports['dev'].accuracy:.3f}"


def test_test_accuracy_stays_above_its_measured_floor(reports):
    assert reports["test"].accuracy >= TEST_FLOOR, f"test accuracy {reports['test'].accuracy:.3f}"


@pytest.mark.xfail(strict=True, reason="held-out accuracy is 0.83-0.94 (docs/evidence-badges.md); target 0.95")
def test_test_accuracy_meets_the_issue_target(reports):
    assert reports["test"].accuracy >= MIN_ACCURACY


def test_frozen_test_split_never_lists_its_items(reports):
    data = reports["test"].to_dict()
    assert "errors" not in data and reports["test"].errors == []


@pytest.mark.parametrize(
    ("citation", "expected"),
    [
        (
            "Ziganshina LE, et al. (2023). Cerebrolysin for acute ischaemic stroke. Cochrane Database Syst Rev.",
            "systematic_review",
        ),
        ("Smith J (2020). Semax for stroke: a systematic review and meta-analysis. Stroke.", "systematic_review"),
        ("Heiss WD (2012). Cerebrolysin in Asia: a double-blind, placebo-controlled randomized trial. Stroke.", "rct"),
        ("Trimmel H (2024). Life-Threatening Anaphylaxis due to Cerebrolysin. Case Rep Neurol Med.", "case_report"),
        ("Lee K (2019). Selank reduces anxiety-like behaviour in rats. Bull Exp Biol Med.", "animal_in_vitro"),
        (
            "Novo Nordisk (2024). Wegovy injection: prescribing information. US Food and Drug Administration.",
            "regulatory",
        ),
        ("Doe A (2018). Semax use in a nationwide cohort. Pharmacoepidemiol Drug Saf.", "observational"),
        ("Doe A (2018). Semax in stroke patients: an open-label study. Neurol Res.", "observational"),
        # Overstatement is the error that matters: none of these may become a review or a trial.
        ("Roe B (2011). A randomised trial of cerebrolysin in rats. Brain Res.", "animal_in_vitro"),
        ("Roe B (2011). Meta-analysis of mouse studies of piracetam. Neurosci Lett.", "animal_in_vitro"),
        ("Roe B (2015). A non-randomized comparison of semax and placebo. J Neurol.", "observational"),
        ("Roe B (2016). Rationale and design of a randomized trial of cerebrolysin. Trials.", "unknown"),
        ("Roe B (2016). Protocol for a systematic review of nootropics. Syst Rev.", "unknown"),
        ("Roe B (2009). Randomized algorithms for low-rank matrix approximation. SIAM J Sci Comput.", "unknown"),
        ("Roe B (2010). A double-blind, placebo-controlled study of semax in stroke. Stroke.", "unknown"),
        ("Roe B (2012). Semaglutide and cardiovascular outcomes in type 2 diabetes. N Engl J Med.", "unknown"),
        ("Tripsas (2000), Adobe Systems, Inc., Case 9-801-199.", "unknown"),
        ("Roe B (2013). Piracetam for dementia: a narrative review. Drugs Aging.", "unknown"),
        ("https://pubmed.ncbi.nlm.nih.gov/21322821/", "unknown"),
        ("", "unknown"),
    ],
)
def test_citations_are_classified_from_their_own_words(citation, expected):
    assert classify(parse_source(1, citation)) == expected


def test_publication_types_from_the_page_are_used_and_subjects_still_outrank_them():
    bare = Source(n=1, citation="Roe B (2014). Semax after stroke. Stroke.")
    assert classify(bare) == "unknown"
    assert classify(replace(bare, publication_types=("Randomized Controlled Trial",))) == "rct"
    assert classify(replace(bare, publication_types=("Review", "Meta-Analysis"))) == "systematic_review"
    in_rats = Source(
        n=1,
        citation="Roe B (2014). Semax after stroke in rats. Stroke.",
        publication_types=("Randomized Controlled Trial",),
    )
    assert classify(in_rats) == "animal_in_vitro"
    assert classify_text("Roe B (2014). Semax. Stroke. Publication types: Case Reports.") == "case_report"


@pytest.mark.timeout(20)
def test_hostile_citations_are_classified_in_bounded_time():
    """Corpus text is untrusted: huge or pathological citations are cut to max_chars and read linearly."""
    for text in (
        "a " * 500_000,
        "(" * 200_000,
        "in a " + "very " * 100_000 + "patient",
        "§" * 100_000,
        "\x00" * 10_000,
    ):
        assert classify_text(text) in STUDY_TYPES


def test_a_broken_rule_fails_with_its_name(tmp_path):
    bad = tmp_path / "rules.yaml"
    bad.write_text(RULES_FILE.read_text(encoding="utf-8").replace("'\\bcochrane\\b'", "'(cochrane'", 1))
    with pytest.raises(RulesError, match="systematic_review: a systematic review or meta-analysis"):
        load_rules(bad)
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(RULES_FILE.read_text(encoding="utf-8").replace("order: [regulatory,", "order: [label,", 1))
    with pytest.raises(RulesError, match="unknown study type"):
        load_rules(unknown)


def test_chunk_records_carry_the_study_type_of_each_source():
    """The key the answer reads: every source dict in every chunk record has `study_type`."""
    path = CORPUS / "cerebrolysin-side-effects.txt"
    raw = path.read_bytes()
    document = enrich(parse_bytes(raw, path, "text", "https://example.org/m/"), raw, "text", today=date(2025, 6, 1))
    records = chunk_document(document, lambda text: len(text.split()), 200, "test-model")
    sources = [s for r in records for s in r.sources]
    assert sources and all("study_type" in s for s in sources)
    by_number = {s["n"]: s["study_type"] for s in sources}
    assert by_number[1] == "systematic_review" and by_number[5] == "case_report"


def test_evaluate_reports_a_confusion_matrix():
    items = load(DATA / "dev.jsonl")[:20]
    report = evaluate(items, "dev")
    assert report.n == 20 and sum(sum(row.values()) for row in report.confusion.values()) == 20
    assert set(report.per_type()) == set(STUDY_TYPES)
