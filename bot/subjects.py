"""Which monograph subjects a message names, tolerant of lay spelling, and deterministic follow-up condensing.

Without an LLM, a follow-up like "what about allergic reactions?" is made standalone by carrying forward
the subject of the conversation, using the corpus's own list of subjects rather than guessing at nouns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .text import STOPWORDS, iter_words, normalize, stem, terms


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", normalize(name))


def edit_distance(a: str, b: str, limit: int = 3) -> int:
    """Damerau-Levenshtein (optimal string alignment), stopping early past `limit`."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    if _OSA is not None:
        return int(_OSA.distance(a, b, score_cutoff=limit))  # limit + 1 when further apart, as below
    return _edit_distance_py(a, b, limit)


def closest(word: str, choices: list[str], limit: int) -> list[tuple[str, int]]:
    """(choice, distance) for every choice within `limit` edits of `word`.

    With rapidfuzz this is one C++ pass over the choices; a 10,000-monograph vocabulary has buckets of
    1,500 words, which the pure-Python distance took about 5 ms to scan per misspelt word.
    """
    if _process is not None and _OSA is not None:
        return [(choice, int(d)) for choice, d, _ in _process.extract(word, choices, scorer=_OSA.distance, score_cutoff=limit, limit=None)]
    return [(c, d) for c in choices if (d := edit_distance(word, c, limit)) <= limit]


try:  # optional speed-up; results are the same
    from rapidfuzz import process as _process
    from rapidfuzz.distance import OSA as _OSA
except ImportError:  # pragma: no cover
    _process = _OSA = None


def _edit_distance_py(a: str, b: str, limit: int) -> int:
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return limit + 1
        prev2, prev = prev, cur
    return prev[-1]


_COMMON = STOPWORDS | {"what", "whats", "which", "when", "where", "does", "doesnt", "dont", "about"}


def typo_budget(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


@dataclass
class SubjectMatcher:
    subjects: list[str]
    # Words the corpus itself uses ("patients", "trial") are spelt as meant, so they are never typo-matched
    # against subject names, nor are word pairs that contain one ("is cerebrolisin" is matched by its
    # second word alone): with ten thousand subjects that skips nearly all of the fuzzy work.
    known: Callable[[str], bool] = field(default=lambda word: False)

    def __post_init__(self) -> None:
        self._keys = {_key(s): s for s in self.subjects if _key(s)}
        # Fuzzy candidates by (first letter, length): a typo is looked up among a few keys, not all of them,
        # so matching stays fast with ten thousand monograph subjects.
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for key in self._keys:
            self._buckets.setdefault((key[0], len(key)), []).append(key)

    def _fuzzy(self, word: str) -> str | None:
        budget = typo_budget(word)
        for length in range(len(word) - budget, len(word) + budget + 1):
            for key in self._buckets.get((word[0], length), ()):
                if edit_distance(word, key, budget) <= min(budget, typo_budget(key)):
                    return self._keys[key]
        return None

    def find(self, text: str) -> list[str]:
        """Subjects named in the text, in order of first mention ("cerebrolisin" and "bpc 157" count)."""
        words = list(iter_words(text))
        found: list[str] = []
        candidates = words + [a + b for a, b in zip(words, words[1:])] + [a + b + c for a, b, c in zip(words, words[1:], words[2:])]
        parts = [[w] for w in words] + [[a, b] for a, b in zip(words, words[1:])] + [[a, b, c] for a, b, c in zip(words, words[1:], words[2:])]
        for word, pieces in zip(candidates, parts):
            subject = self._keys.get(word)
            if subject is None and len(word) >= 5 and not any(p in _COMMON or p in self._keys or self.known(stem(p)) for p in pieces):
                subject = self._fuzzy(word)
            if subject and subject not in found:
                found.append(subject)
        return found


_NAME_RE = re.compile(r"\b(?:[A-Z]{3,}[A-Z0-9-]*|[A-Z][a-z]+[A-Z]\w*|[A-Za-z]+-\d+)\b")


def named_terms(text: str) -> list[str]:
    """Names a follow-up may point back to: acronyms (CASTA, CARS, FDA) and coded names (BPC-157)."""
    return list(dict.fromkeys(_NAME_RE.findall(text)))


def condense(question: str, history: list[dict], matcher: SubjectMatcher) -> tuple[str, list[str]]:
    """(standalone question, subjects): the question's own subjects, else the latest ones in the conversation.

    The names of the latest user turn (a trial, an agency) come along too, so "how many patients did it
    include?" after a question about CASTA is asked about CASTA.
    """
    named = matcher.find(question)
    if named:
        return question, named
    carried: list[str] = []
    for turn in reversed(history):
        carried = matcher.find(str(turn.get("content", "")))
        if carried:
            break
    last_user = next((str(t.get("content", "")) for t in reversed(history) if t.get("role") == "user"), "")
    names = [n for n in named_terms(last_user) if n.lower() not in question.lower() and n not in carried]
    extra = carried + names
    if not extra:
        return question, []
    return f"{question.rstrip()} ({', '.join(extra)})", carried


def unknown_names(question: str, known: Callable[[str], bool], is_word: Callable[[str], bool]) -> list[str]:
    """Words that look like names of things the corpus never mentions ("Noopept", "Dihexa").

    A word counts when the corpus vocabulary lacks it and the embedding model's vocabulary does not hold
    it whole (so it is not an everyday word). Used only when a question names no corpus subject, to
    abstain on other drugs instead of answering from a look-alike monograph.
    """
    names = []
    for raw in re.findall(r"[A-Za-z][A-Za-z0-9-]{3,}", question):
        word = raw.lower()
        if word in _QUESTION_WORDS or is_word(word) or any(known(t) for t in terms(raw)):
            continue
        names.append(raw)
    return names


_QUESTION_WORDS = frozenset(
    "what whats which when where whos hows whys does doesn doesnt dont isnt cant wont should would could about anything something".split()
)
