"""Typo tolerance shared by BM25 term correction and subject matching: one edit distance, one budget.

rapidfuzz does the work in C++: with ten thousand monograph subjects, a misspelt word is compared with
a bucket of about 1,500 words, which took a pure-Python distance about 5 ms.
"""

from __future__ import annotations

from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment); `limit + 1` when the two are further apart."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    return int(OSA.distance(a, b, score_cutoff=limit))


def closest(word: str, choices: list[str], limit: int) -> list[tuple[str, int]]:
    """(choice, distance) for every choice within `limit` edits of `word`, in one pass over the choices."""
    return [
        (choice, int(d))
        for choice, d, _ in process.extract(word, choices, scorer=OSA.distance, score_cutoff=limit, limit=None)
    ]


def typo_budget(word: str) -> int:
    """Edits a word of this length may carry and still be read as meant: none under five letters."""
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


class Neighbours:
    """Words grouped by first letter and length, built once: a misspelt word is compared only with the words
    it could be (the same first letter, a length within its typo budget), not with the whole vocabulary."""

    def __init__(self, words: Iterable[str]) -> None:
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for word in words:
            self._buckets.setdefault((word[0], len(word)), []).append(word)

    def near(self, word: str, budget: int) -> list[tuple[str, int]]:
        """(choice, distance) for every word within `budget` edits of `word` that shares its first letter."""
        out: list[tuple[str, int]] = []
        for length in range(len(word) - budget, len(word) + budget + 1):
            out += closest(word, self._buckets.get((word[0], length), []), budget)
        return out
