"""Follow-up suggestions (bot/suggest.py): drawn from the cited monographs' other headings, never about dosing or buying."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st

from bot.contract import Citation
from bot.suggest import allowed, sections_from_records, suggestions


def cite(n: int, doc: str, section: str, title: str = "") -> Citation:
    return Citation(n=n, doc=doc, title=title or f"{doc.title()}: a monograph", section=section, url="u", excerpt="e")


SECTIONS = {
    "semax": [
        "Summary",
        "What is Semax?",
        "Where is it approved?",
        "Regulatory status",
        "How is it given in studies?",
        "Dosing in trials",
        "Where to buy Semax",
        "References",
    ],
    "semax-side-effects": ["Summary", "What side effects have been reported?", "Is long-term use safe?"],
}


def test_other_headings_become_questions_and_cited_ones_are_left_out():
    got = suggestions([cite(1, "semax", "What is Semax?", "Semax: a Russian nasal peptide")], SECTIONS)
    assert got == ["Where is it approved?", "What does the Semax monograph say about regulatory status?"]


def test_monographs_take_turns_and_there_are_at_most_three():
    cites = [cite(1, "semax", "What is Semax?"), cite(2, "semax-side-effects", "Is long-term use safe?")]
    got = suggestions(cites, SECTIONS)
    assert got == [
        "Where is it approved?",
        "What side effects have been reported?",
        "What does the Semax monograph say about regulatory status?",
    ]
    assert suggestions(cites, SECTIONS, limit=1) == ["Where is it approved?"]


def test_subject_names_the_monograph_and_template_is_data():
    cites = [cite(1, "semax", "Where is it approved?", "Semax: a Russian nasal peptide")]
    got = suggestions(
        cites, {"semax": ["Regulatory status"]}, subjects={"semax": "SEMAX"}, template="Ask {name} about {topic}"
    )
    assert got == ["Ask SEMAX about regulatory status"]


def test_acronyms_keep_their_case():
    got = suggestions([cite(1, "c", "Safety", "Cerebrolysin: x")], {"c": ["CASTA trial", "Safety"]})
    assert got == ["What does the Cerebrolysin monograph say about CASTA trial?"]


def test_nothing_to_suggest():
    assert suggestions([], SECTIONS) == []
    assert suggestions([cite(1, "unknown-doc", "x")], SECTIONS) == []
    assert suggestions([cite(1, "d", "Dosing")], {"d": ["Dosing", "How to take it", "Summary"]}) == []


def test_duplicates_across_monographs_are_offered_once():
    cites = [cite(1, "a", "x", "Selank: y"), cite(2, "b", "x", "Selank: z")]
    assert suggestions(cites, {"a": ["Is it safe?"], "b": ["Is it safe?", "Where is it approved?"]}) == [
        "Is it safe?",
        "Where is it approved?",
    ]


def test_dosing_administration_and_buying_headings_are_never_suggested():
    for heading in [
        "Dosing",
        "Typical doses used in trials",
        "Dosage and administration",
        "How was it given in the stroke trials?",
        "What protocol did CASTA use?",
        "How to inject it",
        "Reconstitution",
        "Where to buy",
        "Buying online",
        "What about products bought online?",
        "Price and availability",
        "Why these doses are not advice",
    ]:
        assert not allowed(heading), heading
    for heading in ["Regulatory status", "Is it safe?", "What did the CASTA trial find?", "Mechanism of action"]:
        assert allowed(heading), heading


@given(st.lists(st.text(min_size=1, max_size=30), max_size=8), st.sampled_from(["dose", "dosing", "Buy", "injection"]))
def test_no_suggestion_ever_mentions_dosing_or_buying(headings, bad):
    sections = {"d": [*headings, f"{bad} {headings[0] if headings else ''}", f"How much to {bad}?"]}
    for question in suggestions([cite(1, "d", "zzz")], sections):
        assert bad.lower() not in question.lower()


@dataclass
class Row:
    doc: str
    section: str
    section_index: int


def test_sections_from_records_keeps_document_order_once_each():
    rows = [Row("a", "Safety", 2), Row("a", "Summary", 0), Row("a", "Safety", 2), Row("b", "X", 1), Row("a", "Use", 1)]
    assert sections_from_records(rows) == {"a": ["Summary", "Use", "Safety"], "b": ["X"]}


def test_over_the_sample_index(sample_store):
    records = sample_store.snapshot().records
    sections = sections_from_records(records.record(i) for i in range(records.rows))
    assert sections["semax"][0] == "Summary" and "Where is it approved?" in sections["semax"]
    cites = [cite(1, "cerebrolysin-dosing", "Summary"), cite(2, "cerebrolysin-efficacy", "Summary")]
    got = suggestions(cites, sections)
    assert len(got) == 3 and all(
        q in sections["cerebrolysin-efficacy"] for q in got
    )  # the dosing monograph offers none


def test_ingest_keeps_each_documents_headings_in_the_live_pointer(sample_store):
    """The chain reads them from there: scanning every record on a generation's first answer cost 0.5 s at
    20,000 chunks (and every cold `monobot ask` is a first answer)."""
    snapshot = sample_store.snapshot()
    records = snapshot.records
    scanned = sections_from_records(records.record(i) for i in range(records.rows))
    assert {doc: info["sections"] for doc, info in snapshot.info.docs.items()} == scanned
