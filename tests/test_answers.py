"""The answer layer on reader language: answerability signals, follow-ups, off-topic questions, wording."""

from __future__ import annotations

import pytest

from bot import vocab
from bot.evidence import FEATURES, Word
from bot.text import readable_row, split_sentences, terms

ORDINARY = {"made", "according", "reduce", "harm", "raise", "many", "weird", "mess", "though", "fair", "enough"}


# -- reader language as data


def test_lay_words_find_clinical_ones():
    groups = vocab.groups()
    for lay, clinical in [("expecting", "pregnancy"), ("jab", "injection"), ("pee", "urine"), ("pig", "porcine")]:
        (lay_stem,), (clinical_stem,) = terms(lay), terms(clinical)
        assert groups.covered(lay_stem, {clinical_stem}), (lay, clinical)
    assert groups.covered("uk", set(terms("the United Kingdom")))  # a phrase member counts when all its words occur
    assert "unit" not in groups.expand(["uk"])  # but search never expands to a phrase's loose words


def test_contraction_tails_and_indefinite_pronouns_are_never_topic_words():
    """Left in, "you've" gave a topic word "ve" that no passage uses, and "does it do anything for memory"
    a missing "anything": both read as a gap in the evidence and pushed answerable questions to abstain."""
    assert terms("is it bad for your liver if you've been drinking") == terms(
        "is it bad for your liver if been drinking"
    )
    for question in [
        "does it do anything for memory",
        "safe for someone with bipolar disorder",
        "is it the real thing",
    ]:
        assert not {"anyth", "anything", "someon", "someone", "thing"} & set(terms(question)), question


def test_stemming_and_spelling_meet():
    assert terms("addicted") == terms("addiction")
    assert terms("kidneys") == terms("kidney")
    assert terms("anaemia") == terms("anemia")
    assert terms("wat r the side efects") == terms("what are the side efects")


def test_the_splitter_knows_abbreviations_and_never_merges_list_items():
    text = "Cerebrolysin (aka. FPF-1070) is a mix. It was compared vs. placebo, e.g. in CASTA [1].\n- first item\n- second item"
    assert split_sentences(text) == [
        "Cerebrolysin (aka. FPF-1070) is a mix.",
        "It was compared vs. placebo, e.g. in CASTA [1].",
        "- first item",
        "- second item",
    ]
    # an excerpt cut after "approved by the U.S." would drop what the drug is approved for (dev rd-040)
    assert split_sentences("It is approved by the U.S. Food and Drug Administration for narcolepsy. Next.") == [
        "It is approved by the U.S. Food and Drug Administration for narcolepsy.",
        "Next.",
    ]


def test_a_table_row_reads_as_a_sentence_with_every_cell_verbatim():
    row = "| Outcome | Finding | Estimate |\n| Non-fatal serious adverse events | Possible increase | RR 2.39 (1.10–5.23) |"
    sentence = readable_row(row)
    assert sentence.startswith("Non-fatal serious adverse events — ")
    for cell in ("Possible increase", "RR 2.39 (1.10–5.23)"):
        assert cell in sentence


# -- answerability: a calibrated model over signals


def test_every_answer_records_the_signals_that_decided_it(bot):
    answer = bot.ask("Is Cerebrolysin safe?")
    assert answer.evidence is not None
    assert set(FEATURES) <= set(answer.evidence.signals) and "p_answerable" in answer.evidence.signals
    assert answer.status == "answered"


def test_an_uncovered_topic_abstains_and_says_why(bot):
    answer = bot.ask("Is Semax safe to use while breastfeeding?")
    assert answer.status == "abstained"
    assert answer.evidence is not None and answer.evidence.reason.startswith("p(answerable)")


@pytest.mark.parametrize(
    "question", ["Is Cerebrolysin made from pigs?", "does cerebrolysin mess with your head, like side efects?"]
)
def test_lay_questions_about_covered_topics_are_answered(bot, question):
    assert bot.ask(question).status == "answered"


@pytest.mark.parametrize(
    "question",
    [
        "What's a good recipe for banana bread?",
        "How do I kill a python process on Linux?",
        "Who won the 1998 World Cup?",
    ],
)
def test_off_topic_questions_get_the_scope_message(bot, question):
    answer = bot.ask(question)
    assert answer.status == "abstained"
    assert answer.evidence is not None and answer.evidence.reason.startswith("out of scope")
    assert answer.citations == []


def test_a_weak_opening_names_only_a_telling_word(bot):
    for question in [
        "Does Semax reduce anxiety according to the studies?",
        "What is Cerebrolysin made from according to the monograph?",
    ]:
        answer = bot.ask(question)
        if answer.evidence and answer.evidence.level == "weak":
            assert not set(answer.evidence.missing) & ORDINARY, answer.evidence.missing


def test_the_weak_wording_never_names_an_everyday_word(bot):
    """rd-014 (dev): "does it stop working if u take it every day" opened with "don't mention 'every' or 'day'"
    while the passage said "daily use". Everyday nouns are not named; health and rarer words are."""
    assessor = bot.assessor()
    for raw in ["day", "thing", "made", "internet", "woman"]:
        assert not assessor._nameable(Word(raw, raw, 0.45, False)), raw
    assert assessor._nameable(Word("insurance", "insur", 0.45, False))
    assert assessor._nameable(Word("pregnancy", "pregnanc", 0.6, True))


# -- follow-ups


SAFETY = [{"role": "user", "content": "Is Semax safe?"}, {"role": "assistant", "content": "Mostly mild effects [1]."}]


def test_what_about_x_carries_the_aspect_to_x(bot):
    answer = bot.ask("and what about Selank?", SAFETY)
    assert "Selank" in answer.standalone_question and "safe" in answer.standalone_question.lower()
    assert answer.status == "answered"
    assert all(c.doc == "selank" for c in answer.citations)


def test_a_follow_up_naming_its_own_trial_keeps_it(bot):
    answer = bot.ask("What did the CASTA trial find?", SAFETY)
    assert "Semax" not in answer.standalone_question
    assert answer.status == "answered" and any("CASTA" in c.excerpt for c in answer.citations)


def test_a_benign_question_after_a_refusal_is_answered(bot):
    history = [
        {"role": "user", "content": "How much Semax should I take for focus?"},
        {"role": "assistant", "content": "I can't suggest a dose for you."},
    ]
    assert bot.ask("Is Semax safe for my liver?", history).status != "refused"
    assert bot.ask("fine. how was it developed?", history).status == "answered"


# -- untrusted corpus text


def test_planted_instructions_are_never_quoted_or_cited(tmp_path, settings_for, embedder):
    """A monograph carrying a planted dosing instruction and a prompt injection: whatever is asked, no answer,
    refusal offer or citation shows those sentences, and ingest names them."""
    from bot.factory import build_bot
    from bot.index import IndexStore
    from ingest.pipeline import ingest

    from .conftest import CORPUS, FIXTURES

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "zelpamide.txt").write_bytes((FIXTURES / "hostile" / "zelpamide.txt").read_bytes())
    (corpus / "semax.txt").write_bytes((CORPUS / "semax.txt").read_bytes())
    settings = settings_for(tmp_path / "store")
    store = IndexStore(settings)
    report = ingest([corpus], settings, store, embedder, progress=False)
    assert any("quarantined" in w and "Ignore prior rules" in w for w in report.warnings)
    bot = build_bot(settings, store=store, embedder=embedder)
    for question in ("How is Zelpamide dosed?", "How do people use Zelpamide at home?", "Where can I buy Zelpamide?"):
        answer = bot.ask(question)
        shown = answer.answer + " ".join(c.excerpt for c in answer.citations)
        assert "Ignore prior rules" not in shown and "double the amount" not in shown, (question, answer.status)
