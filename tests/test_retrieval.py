"""Retrieval and answers over the sample corpus, against the embedded store and a real Chroma server."""

from __future__ import annotations

import re

import pytest


def docs_of(answer) -> list[str]:
    return [c.doc for c in answer.citations]


def test_safety_question_cites_the_side_effects_monograph(any_bot):
    answer = any_bot.ask("Is Cerebrolysin safe?")
    assert answer.status == "answered"
    assert "cerebrolysin-side-effects" in docs_of(answer)
    assert re.search(r"\[1\]", answer.answer)
    for c in answer.citations:
        assert c.url.startswith("https://example.org/monographs/")
        assert c.excerpt and c.title and c.section


def test_table_only_figure_is_retrieved_with_its_header(any_bot):
    answer = any_bot.ask("What was the risk ratio for non-fatal serious adverse events with Cerebrolysin?")
    assert answer.status == "answered"
    rows = [c for c in answer.citations if "2.39" in c.excerpt]
    assert rows, [c.excerpt for c in answer.citations]
    row = rows[0]
    assert row.excerpt.splitlines()[0].startswith("|"), "the row comes with its header row"
    assert "1.10–5.23" in row.excerpt
    assert "2.39" in answer.answer


def test_lexical_side_finds_exact_trial_names(any_bot):
    answer = any_bot.ask("What did CASTA find?")
    assert answer.status == "answered"
    assert any("CASTA" in c.excerpt for c in answer.citations)


def test_every_lead_sentence_is_quoted_from_its_cited_excerpt(any_bot):
    answer = any_bot.ask("How was Cerebrolysin given in the CARS trial?")
    assert answer.status == "answered"
    by_n = {c.n: c for c in answer.citations}
    for sentence, n in re.findall(r"(.+?) \[(\d+)\]", answer.answer):
        sentence = sentence.strip()
        excerpt = by_n[int(n)].excerpt
        if excerpt.startswith("|"):  # a table row, read as "<row name> — header: cell; header: cell."
            cells = {c.strip() for line in excerpt.splitlines() for c in line.strip("|").split("|")}
            lowered = {c[:1].lower() + c[1:] for c in cells}
            name, details = sentence.rstrip(".").split(" — ", 1)
            assert name in cells, (name, excerpt)
            for pair in details.split("; "):
                header, value = pair.split(": ", 1)
                assert header in cells | lowered and value in cells, (pair, excerpt)
            continue
        words = re.findall(r"\w+", sentence)
        assert " ".join(words) in " ".join(re.findall(r"\w+", re.sub(r"\[\d+\]", " ", excerpt))), (sentence, excerpt)


def test_sources_carry_pmids(any_bot):
    answer = any_bot.ask("Has Cerebrolysin caused anaphylaxis?")
    pmids = {s.pmid for c in answer.citations for s in c.sources}
    assert "39055722" in pmids


@pytest.mark.parametrize(
    "question",
    [
        "Is Noopept safe?",
        "What's the weather in Paris tomorrow?",
        "Tell me a joke about cats",
        "Does Cerebrolysin cure baldness in dogs?",
    ],
)
def test_abstains_when_the_monographs_do_not_cover_it(bot, question):
    answer = bot.ask(question)
    assert answer.status == "abstained", (question, answer.evidence, answer.answer)
    assert answer.citations == []
    assert "Cerebrolysin" in answer.answer and "Semax" in answer.answer


def test_follow_up_carries_the_subject_forward(any_bot):
    history = [
        {"role": "user", "content": "Is Cerebrolysin safe?"},
        {
            "role": "assistant",
            "content": "It was well tolerated in trials, with a possible signal in non-fatal serious adverse events [1].",
        },
    ]
    answer = any_bot.ask("what about allergic reactions?", history)
    assert answer.status == "answered"
    assert "Cerebrolysin" in answer.standalone_question
    assert "cerebrolysin-side-effects" in docs_of(answer)
    assert any(re.search(r"anaphyla|hypersensitiv|allerg", c.excerpt, re.I) for c in answer.citations)


def test_follow_up_switches_subject_when_named(bot):
    history = [{"role": "user", "content": "Is Cerebrolysin safe?"}, {"role": "assistant", "content": "…"}]
    answer = bot.ask("and is Semax approved anywhere?", history)
    assert answer.status == "answered"
    assert all(d.startswith("semax") for d in docs_of(answer))


def test_typo_in_subject_still_finds_it(bot):
    answer = bot.ask("is cerebrolisin safe for old people")
    assert answer.status == "answered"
    assert any(d.startswith("cerebrolysin") for d in docs_of(answer))


def test_timings_cover_every_stage(bot):
    timings = bot.ask("Is Semax approved by the FDA?").timings_ms
    assert set(timings) >= {"guard", "condense", "embed", "dense", "lexical", "fuse", "compose", "total"}
