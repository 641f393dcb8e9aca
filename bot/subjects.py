"""Which monograph subjects a message names, tolerant of lay spelling, and deterministic follow-up condensing.

Without an LLM, a follow-up like "what about allergic reactions?" is made standalone by carrying forward
the subject of the conversation, using the corpus's own list of subjects rather than guessing at nouns.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from . import vocab
from .fuzzy import edit_distance, typo_budget
from .text import STOPWORDS, iter_words, normalize, split_sentences, stem, terms


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", normalize(name))


_COMMON = STOPWORDS | {"what", "whats", "which", "when", "where", "does", "doesnt", "dont", "about"}


@dataclass
class SubjectMatcher:
    subjects: list[str]
    # Words the corpus itself uses ("patients", "trial") are spelt as meant, so they are never typo-matched
    # against subject names, nor are word pairs that contain one ("is cerebrolisin" is matched by its
    # second word alone): with ten thousand subjects that skips nearly all of the fuzzy work.
    known: Callable[[str], bool] = field(default=lambda word: False)
    # Other names of subjects ("ashwagandha" -> "Withania somnifera"), from each monograph's lead text.
    aliases: dict[str, str] = field(default_factory=dict)
    # Other names that are everyday words unless written as the monograph writes them ("SAMe", not "same").
    cased: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = sorted(self.cased, key=len, reverse=True)
        self._cased = re.compile(r"(?<![\w-])(?:" + "|".join(map(re.escape, names)) + r")(?![\w-])") if names else None
        self._keys: dict[str, str] = {}
        self._names: dict[str, str] = {}  # key -> the name as the corpus writes it ("camomile", "Selank")
        self._also: dict[str, list[str]] = {}  # a name that is one subject and another's alias names both
        for name, subject in [(s, s) for s in self.subjects] + list(self.aliases.items()):
            key = _key(name)
            if not key:
                continue
            self._names.setdefault(key, name)
            if key in self._keys and self._keys[key] != subject:
                self._also.setdefault(key, []).append(subject)
            else:
                self._keys.setdefault(key, subject)
        # Fuzzy candidates by (first letter, length): a typo is looked up among a few keys, not all of them,
        # so matching stays fast with ten thousand monograph subjects.
        self._buckets: dict[tuple[str, int], list[str]] = {}
        for key in self._keys:
            self._buckets.setdefault((key[0], len(key)), []).append(key)

    def _fuzzy_key(self, word: str) -> str | None:
        budget = typo_budget(word)
        for length in range(len(word) - budget, len(word) + budget + 1):
            for key in self._buckets.get((word[0], length), ()):
                if edit_distance(word, key, budget) <= min(budget, typo_budget(key)):
                    return key
        return None

    def _fuzzy(self, word: str) -> str | None:
        key = self._fuzzy_key(word)
        return self._keys[key] if key is not None else None

    def spelled(self, word: str) -> str | None:
        """The subject name a misspelt word stands for, written as the corpus writes it ("camomille" ->
        "camomile"), or None."""
        key = _key(word)
        if len(key) < 5 or key in self._keys:
            return None
        fixed = self._fuzzy_key(key)
        return self._names[fixed] if fixed is not None else None

    def find(self, text: str) -> list[str]:
        """Subjects named in the text, in order of first mention ("cerebrolisin" and "bpc 157" count)."""
        words = list(iter_words(text))
        found: list[str] = []
        candidates = (
            words
            + [a + b for a, b in zip(words, words[1:])]
            + [a + b + c for a, b, c in zip(words, words[1:], words[2:])]
        )
        parts = (
            [[w] for w in words]
            + [[a, b] for a, b in zip(words, words[1:])]
            + [[a, b, c] for a, b, c in zip(words, words[1:], words[2:])]
        )
        for word, pieces in zip(candidates, parts):
            subject = self._keys.get(word)
            if (
                subject is None
                and len(word) >= 5
                and not any(p in _COMMON or p in self._keys or self.known(stem(p)) for p in pieces)
            ):
                subject = self._fuzzy(word)
            for named in [subject, *self._also.get(word, [])] if subject else []:
                if named not in found:
                    found.append(named)
        return found + [s for s in self.find_cased(text) if s not in found]

    def find_cased(self, text: str) -> list[str]:
        """Subjects named by a cased alias exactly as written ("Is SAMe safe?"; "the same" names none)."""
        if self._cased is None:
            return []
        return list(dict.fromkeys(self.cased[m.group(0)] for m in self._cased.finditer(text)))


_NAME_RE = re.compile(r"\b(?:[A-Z]{3,}[A-Z0-9-]*|[A-Z][a-z]+[A-Z]\w*|[A-Za-z]+-\d+)\b")


def named_terms(text: str) -> list[str]:
    """Names a follow-up may point back to: acronyms (CASTA, CARS, FDA) and coded names (BPC-157)."""
    return list(dict.fromkeys(_NAME_RE.findall(text)))


def condense(question: str, history: list[dict], matcher: SubjectMatcher) -> tuple[str, list[str]]:
    """(standalone question, subjects): the question's own subjects, else the latest ones in the conversation.

    - "and what about Selank?" (nothing but a new subject) is the previous question asked about Selank:
      the aspect (safety, efficacy, regulation) carries over.
    - A question that names its own subject, or its own trial or agency ("What did the CASTA trial
      find?"), keeps it and carries nothing from earlier turns.
    - Otherwise the conversation's latest subject comes along, with the names of the latest user turn
      (a trial, an agency), so "how many patients did it include?" after a question about CASTA is
      asked about CASTA.
    """
    if history:
        question = vocab.strip_fillers(question)
    named = matcher.find(question)
    last_user = next((str(t.get("content", "")) for t in reversed(history) if t.get("role") == "user"), "")
    if named:
        if last_user and _only_subjects(question, named):
            return _swap_subject(last_user, named, matcher), named
        return question, named
    if named_terms(question):
        return question, []
    carried: list[str] = []
    for turn in reversed(history):
        carried = matcher.find(str(turn.get("content", "")))
        if carried:
            break
    names = [n for n in named_terms(last_user) if n.lower() not in question.lower() and n not in carried]
    extra = carried + names
    if not extra:
        return question, []
    return f"{question.rstrip()} ({', '.join(extra)})", carried


LONG_QUESTION_WORDS = 60


def focus(question: str, matcher: SubjectMatcher) -> str:
    """What a long message asks: its last sentences that are questions (the reader's context usually comes
    first), with the subjects named anywhere in it. Short questions are returned as they are.

    The whole message is still what the guardrail judges; this is what retrieval and the evidence check
    read, so pasted background never drowns the question.
    """
    if len(question.split()) <= LONG_QUESTION_WORDS:
        return question
    sentences = split_sentences(" ".join(question.split()))
    asked = [s for s in sentences if s.rstrip().endswith("?")][-2:] or sentences[-2:]
    text = " ".join(asked)
    missing = [s for s in matcher.find(question) if s not in matcher.find(text)]
    return f"{text} ({', '.join(missing)})" if missing else text


def _only_subjects(question: str, subjects: list[str]) -> bool:
    """The question says nothing but "(and) what about <subject>?"."""
    subject_words = {w for s in subjects for w in iter_words(s)} | {_key(s) for s in subjects}
    rest = [w for w in iter_words(question) if w not in subject_words and w not in vocab.followup_words()]
    return not rest


def _swap_subject(previous: str, subjects: list[str], matcher: SubjectMatcher) -> str:
    """The previous question with its subject replaced by the new one(s), or the new ones appended."""
    old = matcher.find(previous)
    new = " and ".join(subjects)
    if not old:
        return f"{previous.rstrip()} ({new})"
    text = previous
    for name in old:
        text = re.sub(re.escape(name), new, text, count=1, flags=re.IGNORECASE)
    return text if new.lower() in text.lower() else f"{previous.rstrip()} ({new})"


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
    [
        "what",
        "whats",
        "which",
        "when",
        "where",
        "whos",
        "hows",
        "whys",
        "does",
        "doesn",
        "doesnt",
        "dont",
        "isnt",
        "cant",
        "wont",
        "should",
        "would",
        "could",
        "about",
        "anything",
        "something",
    ]
)
