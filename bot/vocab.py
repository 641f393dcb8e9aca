"""Reader language, as data: lay <-> clinical words, question intents, and sentence-ending abbreviations.

Questions come in the reader's words ("expecting", "jab", "pee", "UK"); monographs use clinical ones
("pregnancy", "injection", "urine", "United Kingdom"). The groups in prompts/vocab/lay_clinical.yaml make
each side find the other in lexical search, in topic coverage and in subject matching. Everything here is
loaded once from the package's data files (never from a configurable folder): the index is built with
this analyser, so ingest and every question must use the same one, and ANALYZER_HASH names it.
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import yaml
from breame.spelling import get_american_spelling
from snowballstemmer import stemmer as _snowball

from .settings import Settings
from .util import atomic_path

_STEMMER = _snowball("english")
_WORD = re.compile(r"[a-z0-9]+")


def _data(name: str) -> str:
    return (files("prompts") / "vocab" / name).read_text(encoding="utf-8")


@cache
def stem(word: str) -> str:
    """One lowercase word as the analyser indexes it: American spelling, Snowball stem ("kidneys" -> "kidney",
    "addicted"/"addiction" -> "addict", "anaemia" -> "anemia")."""
    if not word.isalpha() or len(word) < 3:
        return word
    american = get_american_spelling(word) or word
    return str(_STEMMER.stemWord(american))


def phrase_stems(text: str) -> tuple[str, ...]:
    return tuple(stem(w) for w in _WORD.findall(text.lower()))


@dataclass(frozen=True)
class Groups:
    """Each stem's group: its single-word members, and its multi-word members (phrases, as stem tuples).

    Search expands a term with single words only ("UK" brings "britain", not "unit" and "kingdom", which
    would also match "units"); topic coverage also accepts a phrase member whose words all occur
    ("UK" is covered by a passage that says "United Kingdom").
    """

    words: dict[str, frozenset[str]]
    phrases_of: dict[str, tuple[tuple[str, ...], ...]]
    phrase_words: dict[tuple[str, ...], frozenset[str]]
    phrases_starting: dict[str, tuple[tuple[str, ...], ...]]  # first stem -> phrases, so expand reads only a few

    def expand(self, stems: list[str]) -> list[str]:
        """The stems plus the single-word members of their groups, and of groups a phrase of theirs names."""
        out = list(dict.fromkeys(stems))
        seen = set(out)
        added: list[str] = []
        for s in stems:
            added.extend(sorted(self.words.get(s, ())))
        for i, first in enumerate(stems):
            for phrase in self.phrases_starting.get(first, ()):
                if tuple(stems[i : i + len(phrase)]) == phrase:
                    added.extend(sorted(self.phrase_words[phrase]))
        for s in added:
            if s not in seen:
                seen.add(s)
                out.append(s)
        return out

    def covered(self, term: str, present: set[str] | frozenset[str]) -> bool:
        """The term, one of its group's words, or all words of one of its group's phrases, occur in `present`."""
        if term in present or any(w in present for w in self.words.get(term, ())):
            return True
        return any(all(w in present for w in phrase) for phrase in self.phrases_of.get(term, ()))


@cache
def groups() -> Groups:
    raw = yaml.safe_load(_data("lay_clinical.yaml"))
    grammar = {stem(w) for w in stopwords()}
    words: dict[str, set[str]] = {}
    phrases_of: dict[str, set[tuple[str, ...]]] = {}
    phrase_words: dict[tuple[str, ...], set[str]] = {}
    for group in raw["groups"]:
        entries = [phrase_stems(str(entry)) for entry in group]
        singles = {e[0] for e in entries if len(e) == 1 and e[0] not in grammar}
        multi = {tuple(w for w in e if w not in grammar) for e in entries if len(e) > 1}
        multi = {m for m in multi if len(m) > 1}
        for single in singles:
            words.setdefault(single, set()).update(singles - {single})
            phrases_of.setdefault(single, set()).update(multi)
        for phrase in multi:
            phrase_words.setdefault(phrase, set()).update(singles)
    starting: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrase_words:
        starting.setdefault(phrase[0], []).append(phrase)
    return Groups(
        {k: frozenset(v) for k, v in words.items()},
        {k: tuple(sorted(v)) for k, v in phrases_of.items()},
        {k: frozenset(v) for k, v in phrase_words.items()},
        {k: tuple(sorted(v)) for k, v in starting.items()},
    )


@dataclass(frozen=True)
class Intent:
    name: str
    asks: tuple[tuple[str, ...], ...]  # stem phrases
    finds: tuple[str, ...]  # stem prefixes matched in headings and sentences


@cache
def intents() -> tuple[Intent, ...]:
    raw = yaml.safe_load(_data("intents.yaml"))["intents"]
    return tuple(
        Intent(
            name,
            tuple(phrase_stems(a) for a in spec["asks"] if phrase_stems(a)),
            tuple(" ".join(phrase_stems(f)) for f in spec["finds"] if phrase_stems(f)),
        )
        for name, spec in raw.items()
    )


def asked_intents(stems: list[str]) -> list[Intent]:
    """The intents a question's stems express, in the order of the data file."""
    found = []
    for intent in intents():
        for phrase in intent.asks:
            n = len(phrase)
            if any(tuple(stems[i : i + n]) == phrase for i in range(len(stems) - n + 1)):
                found.append(intent)
                break
    return found


@cache
def textspeak() -> dict[str, str]:
    return {str(k): str(v) for k, v in yaml.safe_load(_data("textspeak.yaml")).items()}


def respell(word: str) -> str:
    """A chat spelling as the word it stands for ("wat" -> "what", "ur" -> "your"); other words unchanged."""
    return textspeak().get(word, word)


@cache
def stopwords() -> frozenset[str]:
    return frozenset(
        line.strip().lower()
        for line in _data("stopwords.txt").splitlines()
        if line.strip() and not line.startswith("#")
    )


@cache
def fillers() -> tuple[str, ...]:
    """Reply words that may open a follow-up without being part of its question, longest first."""
    found = {
        line.strip().lower() for line in _data("fillers.txt").splitlines() if line.strip() and not line.startswith("#")
    }
    return tuple(sorted(found, key=len, reverse=True))


@cache
def _filler_re() -> re.Pattern[str]:
    alternatives = "|".join(re.escape(f) for f in fillers())
    return re.compile(rf"^\s*(?:(?:{alternatives})[\s,.;:!]+)+", re.IGNORECASE)


def strip_fillers(text: str) -> str:
    """ "fine. how was it developed?" -> "how was it developed?"; a message that is only fillers is kept."""
    stripped = _filler_re().sub("", text)
    return stripped if stripped.strip() else text


@cache
def followup_words() -> frozenset[str]:
    return frozenset(
        line.strip().lower() for line in _data("followup.txt").splitlines() if line.strip() and not line.startswith("#")
    )


@cache
def abbreviations() -> frozenset[str]:
    return frozenset(
        line.strip().lower()
        for line in _data("abbreviations.txt").splitlines()
        if line.strip() and not line.startswith("#")
    )


@cache
def analyzer_hash() -> str:
    """Names the analyser's data: a change to the vocabulary re-indexes rather than mixes old and new terms."""
    digest = hashlib.sha256()
    for name in ("lay_clinical.yaml", "abbreviations.txt", "stopwords.txt", "textspeak.yaml", "fillers.txt"):
        digest.update(_data(name).encode())
    return digest.hexdigest()[:12]


class Commonness:
    """How ordinary an English word is, and whether it can name a thing.

    `zipf(word)`: wordfreq's Zipf scale (0 = unseen .. ~7.7 for "the"); words outside wordfreq's list
    (rarer than Zipf 3) count as rare. `nominal(word)`: the word can be a noun (lemminflect's lexicon),
    or is unknown to it: a question's nouns name its topic ("insurance", "hair"); its verbs, adjectives
    and adverbs mostly carry its form ("reduce", "made", "weird"). Both come from those packages' own
    data, built once into a small sorted table in the store's model cache, so a question never pays
    their imports (about a second).
    """

    def __init__(self, words: np.ndarray, zipf: np.ndarray, nominal: np.ndarray) -> None:
        self._words = words
        self._zipf = zipf
        self._nominal = nominal

    @classmethod
    def load(cls, cache: Path) -> Commonness:
        if not cache.exists():
            cls.build(cache)
        data = np.load(cache)
        return cls(data["words"], data["zipf"], data["nominal"])

    @staticmethod
    def build(cache: Path) -> None:
        import lemminflect
        import wordfreq

        table = {w: f for w, f in wordfreq.get_frequency_dict("en", "small").items() if w.isascii() and w.isalpha()}
        words = sorted(table)
        zipf = np.array([round(math.log10(table[w] * 1e9), 2) for w in words], dtype=np.float32)
        nominal = np.array([_nominal(lemminflect.getAllLemmas(w)) for w in words], dtype=bool)
        with atomic_path(cache) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, words=np.array(words, dtype="S"), zipf=zipf, nominal=nominal)

    def _find(self, word: str) -> int | None:
        key = word.lower().encode("ascii", "ignore")
        if not key or len(key) > self._words.dtype.itemsize:
            return None
        i = int(np.searchsorted(self._words, key))
        return i if i < len(self._words) and self._words[i] == key else None

    def __call__(self, word: str) -> float:
        i = self._find(word)
        return float(self._zipf[i]) if i is not None else 0.0

    def words(self, min_zipf: float = 0.0) -> list[str]:
        """Every word of the table at least this common (for spelling correction)."""
        keep = self._zipf >= min_zipf
        return [w.decode() for w in self._words[keep]]

    def nominal(self, word: str) -> bool:
        i = self._find(word)
        return bool(self._nominal[i]) if i is not None else True


def _nominal(lemmas: dict) -> bool:
    """Only ever a noun (or a name, or unknown to the lexicon): "insurance", "hair", "pizza"; not "give",
    "long" or "mess", which are also verbs or adjectives."""
    return not lemmas or set(lemmas) <= {"NOUN", "PROPN"}


def lexicon_cache(settings: Settings) -> Path:
    """Where the commonness table lives: the store's model cache (ingest builds it; a question reads it)."""
    return Path(settings.store) / "models" / "lexicon-en-v2.npz"
