"""Retrieval reads the question respelt: the embedding of "anxeity" is not the embedding of "anxiety".

Found on the blind slice real2 ("is camomille tea good for anxeity" was answered from a children's book).
The real wordfreq-based commonness table is built once for the module (about a second).
"""

from __future__ import annotations

import pytest

from bot.spelling import Respeller
from bot.subjects import SubjectMatcher
from bot.text import stem
from bot.vocab import Commonness

CORPUS = {stem(w) for w in ["chamomile", "tea", "sleep", "valerian", "kava", "dosing", "company", "companies"]}


@pytest.fixture(scope="module")
def respeller(tmp_path_factory):
    return Respeller(Commonness.load(tmp_path_factory.mktemp("lexicon") / "lexicon.npz"))


@pytest.fixture(scope="module")
def matcher():
    return SubjectMatcher(["Chamomile", "Valerian"], aliases={"camomile": "Chamomile"})


def respell(respeller, matcher, text):
    return respeller.respell(text, matcher, lambda term: term in CORPUS)


def test_misspelt_words_become_the_words_meant(respeller, matcher):
    assert respell(respeller, matcher, "is camomille tea good for anxeity") == "is camomile tea good for anxiety"
    assert respell(respeller, matcher, "does valarian help") == "does Valerian help"
    assert respell(respeller, matcher, "what are teh side efects") == "what are the side effects"
    assert respell(respeller, matcher, "hte risks") == "the risks"


def test_words_that_are_meant_stay(respeller, matcher):
    for text in [
        "is selank like a benzo",  # reader vocabulary (prompts/vocab), not "benz"
        "does kava affect dosing",  # corpus words
        "how does it work in the brain",
        "can Brian take it",  # an English word, however likely a typo
        "is it ok with SSRIs",  # too short to guess at
        "supplement companys",  # the corpus knows its stem: search already forgives it
        "Why shouldn't people copy trial doses?",  # a contraction is one word ("shouldn" is no word)
        "isn’t it the patient's choice",
        "is NAC safe",  # an acronym in capitals, not "can"
    ]:
        assert respell(respeller, matcher, text) == text
