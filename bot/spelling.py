"""Misspelt words put right before retrieval, so the question's embedding and its search mean what was asked.

Readers type "is camomille tea good for anxeity". BM25 already forgives such words (the lexical index
corrects unknown terms), but the sentence embedding does not: MiniLM reads "anxeity" as word pieces
unrelated to anxiety, and the nearest passage becomes one about chamomile in children's books. Only the
query sent to retrieval is respelt; the guard reads what the reader wrote, and the answer names it too.

A word is respelt only when the corpus does not use it and English barely does: it is not in wordfreq's
list, or it is rare there (Zipf under 3.5: "companys", "teh") and a far more common word (two Zipf points,
a hundred times more frequent) is within reach. The replacement is a subject name within the same typo
budget as subject matching, else the most common English word within that budget that starts with the
same letter. Words under five letters are only ever swapped for a very common word with the same letters
one transposition away ("teh", "hte" -> "the"), because short words have too many neighbours.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import vocab
from .fuzzy import Neighbours, typo_budget
from .subjects import SubjectMatcher
from .text import stem
from .vocab import Commonness

_TOKEN = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*")  # "shouldn't" is one word, never "shouldn" + "t"
MIN_ZIPF = 3.0  # a replacement must be a word people actually use (about one in a million words)
RARE_ZIPF = 3.5  # a word in the list but rarer than this may be a common misspelling ...
MORE_COMMON = 2.0  # ... of a word this many Zipf points more common
SHORT_ZIPF = 6.0  # a short word is only swapped for one of the commonest words ("the", "what", "and")


class Respeller:
    def __init__(self, lexicon: Commonness) -> None:
        self.lexicon = lexicon
        self._english_words: Neighbours | None = None
        self._anagrams: dict[str, list[str]] | None = None

    def _english(self, word: str) -> str | None:
        """The most common English word within the typo budget, sharing the first letter."""
        if self._english_words is None:
            self._english_words = Neighbours(self.lexicon.words(min_zipf=MIN_ZIPF))
        found = [
            (d, -self.lexicon(choice), choice)
            for choice, d in self._english_words.near(word, typo_budget(word))
            if choice != word
        ]
        return min(found)[2] if found else None

    def _swapped(self, word: str) -> str | None:
        """A very common word with the same letters, one transposition away ("teh" -> "the")."""
        if self._anagrams is None:
            anagrams: dict[str, list[str]] = {}
            for w in self.lexicon.words(min_zipf=SHORT_ZIPF):
                anagrams.setdefault("".join(sorted(w)), []).append(w)
            self._anagrams = anagrams
        for choice in self._anagrams.get("".join(sorted(word)), []):
            if choice != word and sum(a != b for a, b in zip(choice, word)) == 2:
                return choice
        return None

    def correction(self, word: str, known: Callable[[str], bool]) -> str | None:
        """The word meant, or None when this word should stay as written."""
        zipf = self.lexicon(word)
        if len(word) < 3 or zipf >= RARE_ZIPF or _meant(word, known):
            return None
        if len(word) < 5:
            return self._swapped(word)
        fixed = self._english(word)
        if fixed is not None and (zipf == 0 or self.lexicon(fixed) >= zipf + MORE_COMMON):
            return fixed
        return None

    def respell(self, question: str, matcher: SubjectMatcher, known: Callable[[str], bool]) -> str:
        def fix(m: re.Match[str]) -> str:
            raw = m.group(0)
            word = raw.lower()
            if not word.isalpha() or (raw.isupper() and len(raw) > 1):
                return raw  # contractions, possessives and capitalised acronyms ("NAC", not "can") stay
            if len(word) >= 5 and self.lexicon(word) == 0 and not _meant(word, known):
                named = matcher.spelled(word)
                if named:
                    return named
            return self.correction(word, known) or raw

        return _TOKEN.sub(fix, question)


def _meant(word: str, known: Callable[[str], bool]) -> bool:
    """A word of the corpus, or of the reader vocabulary ("benzo" is not a misspelling of "benz")."""
    term = stem(word)
    return known(term) or term in vocab.groups().words
