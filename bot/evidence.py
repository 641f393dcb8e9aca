"""Do the monographs answer this question? Sentence candidates, and the one place the abstain decision is made.

The decision is a calibrated model over several signals, not a rule about one missing word:

- how close the monographs come (dense cosine of the best passage and of the best sentence);
- how much of the question's *topic* the top passages contain: its content words, each weighted by how
  telling it is (a rare or health word counts, an ordinary English word like "made" or "harm" barely
  does; wordfreq's frequencies), matched after stemming, British/American spelling, the reader-language
  groups of prompts/vocab/lay_clinical.yaml, and typo correction;
- the most telling topic word the passages lack, and whether the corpus uses it anywhere at all;
- whether the question names a covered subject, or a drug-like name no monograph uses;
- whether it is about health or drugs at all (an off-topic question gets a scope message).

A logistic model over these, fitted and calibrated on the dev question sets by eval/answerability.py,
turns them into the probability that the monographs answer the question. Its weights and the thresholds
for "weak" and "abstain" are data (prompts/answerability.json). Every answer records its signals, so
eval can attribute each abstention to what decided it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import vocab
from .contract import Evidence, Level
from .fuzzy import edit_distance
from .index import ChunkRecord, LexicalIndex
from .retrieve import Retrieval
from .text import cited_numbers, expand, figures, normalize, terms, words
from .vocab import Commonness

FEATURES = (
    "chunk",
    "sentence",
    "coverage",
    "gap",
    "key_missing",
    "unknown_gap",
    "subject",
    "unknown_name",
    "health",
    "figure",
)


@dataclass
class Candidate:
    passage: int
    chunk_ordinal: int
    position: int
    text: str
    score: float
    cosine: float
    section: str = ""
    section_bonus: float = 0.0  # how much its section heading restates the question or its intent
    table_row: str | None = None  # the row's chunk text, when the sentence is a table row (read as a sentence)


_QUANTITY_RE = re.compile(
    r"\b(how (many|much|often|long|common|likely)|what (percentage|proportion|share|number|rate)|risk ratio|odds|"
    r"rate|rates|percent|percentage|figure|figures|number|numbers|estimate|interval|rr|ci|statistic\w*|incidence|"
    r"frequency)\b",
    re.I,
)


def asks_quantity(question: str) -> bool:
    return bool(_QUANTITY_RE.search(question))


# -- the question's words


@dataclass(frozen=True)
class Word:
    raw: str  # as typed, lowercased
    stem: str
    salience: float  # how much this word says about the topic: 0.1 (ordinary English) .. 1.0 (rare or health)
    health: bool  # in the reader-language health vocabulary


@dataclass
class QuestionWords:
    topic: list[Word]  # content words, the subject's own words left out
    subject_named: bool
    health_share: float


def _salience(zipf: float, health: bool, nominal: bool) -> float:
    """How much a word says about the question's topic. Health words and rare words name it; a noun
    names it even when common ("insurance", "hair"); common verbs, adjectives and adverbs ("made",
    "reduce", "weird", "according") carry the question's form, not its topic."""
    rarity = min(1.0, max(0.1, (5.5 - zipf) / 2.5))
    if health:
        return max(rarity, 0.6)
    return max(rarity, 0.45) if nominal else min(rarity, 0.2)


def _domain(stem: str, raw: str, lexical: LexicalIndex, lexicon: Commonness) -> bool:
    """The corpus uses the word far more than English at large does (a trial name like "CARS", "placebo")."""
    share = lexical.doc_share(stem)
    if share <= 0.0:
        return False
    english = min(1.0, 100 * 10 ** (lexicon(raw) - 9))  # chance a ~100-word passage uses it, from its Zipf value
    return share > 3 * english


def subject_names(retrieval: Retrieval) -> list[str]:
    """The question's subjects and their other names ("NAC" for Acetylcysteine): a name says which drug, not
    what about it, so a sentence repeating "NAC" must not outscore one that answers the question."""
    info = retrieval.snapshot.info
    return [*retrieval.subjects, *(a for s in retrieval.subjects for a in info.aliases_of(s))]


def question_words(question: str, subjects: list[str], lexical: LexicalIndex, lexicon: Commonness) -> QuestionWords:
    subject_stems = {t for s in subjects for t in terms(s)}
    groups = vocab.groups()
    seen: set[str] = set()
    topic: list[Word] = []
    healthy = total = 0
    for raw in words(question):
        if raw in vocab.stopwords() or raw.isdigit() or len(raw) < 2:
            continue
        s = vocab.stem(raw)
        if s in seen:
            continue
        seen.add(s)
        total += 1
        is_subject = s in subject_stems or (len(s) >= 6 and any(edit_distance(s, x, 2) <= 2 for x in subject_stems))
        health = is_subject or s in groups.words or s in groups.phrases_of
        healthy += health or _domain(s, raw, lexical, lexicon)
        if not is_subject:
            topic.append(Word(raw, s, _salience(lexicon(raw), health, lexicon.nominal(raw)), health))
    return QuestionWords(topic, bool(subjects), healthy / total if total else 0.0)


def _covered(word: Word, present: set[str], lexical: LexicalIndex, is_word: Callable[[str], bool]) -> bool:
    if vocab.groups().covered(word.stem, present):
        return True
    fixed = None if is_word(word.raw) else lexical.correct(word.stem)  # "memmory" -> "memori"; never "shelf" -> "self"
    if fixed is not None and vocab.groups().covered(fixed, present):
        return True
    # "russia" meets "russian", "older" meets "old": a shared start of at least five letters.
    return len(word.stem) >= 5 and any(
        len(w) >= 5 and (w.startswith(word.stem) or word.stem.startswith(w)) for w in present
    )


# -- candidates: sentences that could lead the answer


# Of two sentences saying the same thing, the one resting on stronger evidence leads (issue 18).
# Coverage is read over every passage the answer may quote from (candidates() reads the same six), not only
# the top three: a fact ranked fourth by fusion still answers the question (cross-validated abstention P/R
# on the labelled dev sets 0.81/0.81 with three, 0.86/0.84 with six).
COVER_PASSAGES = 6
NAME_BELOW_ZIPF = 5.0  # see Assessor._nameable
STRENGTH_BONUS = {"systematic_review": 0.03, "rct": 0.02, "observational": 0.01}
HEADING_WEIGHT = 0.12  # a section whose heading restates the question ("What did the CASTA trial find?")
INTENT_WEIGHT = 0.06  # a section where the question's intent is answered ("who should avoid" -> cautions)


def candidates(retrieval: Retrieval, limit_passages: int = COVER_PASSAGES) -> list[Candidate]:
    """Every quotable sentence of the top passages, scored for leading the answer.

    Its own cosine to the question, its passage's, its share of the question's (expanded) terms, how much
    of the question its section heading restates, and a bonus when the heading is where the question's
    intent is answered ("who should avoid" -> contraindications), so the answer leads with the passage that
    answers what was asked, not the one that merely mentions the drug most.
    """
    qvec = retrieval.vector
    lexical = retrieval.snapshot.lexical
    subject_terms = {t for s in subject_names(retrieval) for t in terms(s)}
    qterms = [t for t in dict.fromkeys(terms(retrieval.query)) if t not in subject_terms]
    weights = {t: lexical.term_idf(t) for t in qterms}
    total = sum(weights.values()) or 1.0
    wanted = vocab.asked_intents(qterms)
    digit_bonus = 0.06 if asks_quantity(retrieval.query) else 0.015
    groups = vocab.groups()
    out: list[Candidate] = []
    for p_index, passage in enumerate(retrieval.passages[:limit_passages]):
        for hit in passage.hits:
            record = hit.record
            heading = set(terms(record.section))
            restated = sum(w for t, w in weights.items() if groups.covered(t, heading)) / total
            section_bonus = HEADING_WEIGHT * restated + (
                INTENT_WEIGHT if wanted and _finds(wanted, record.section) else 0.0
            )
            vectors = record.sentence_vectors
            infos = record.infos()
            cosines = vectors @ qvec if vectors is not None and len(vectors) == len(infos) else None
            strength = _strength_by_sentence(record)
            for k, info in enumerate(infos):
                if info.skip:
                    continue
                s_cos = float(cosines[k]) if cosines is not None else hit.cosine
                overlap = sum(w for t, w in weights.items() if groups.covered(t, info.terms)) / total
                score = (
                    0.5 * s_cos
                    + 0.3 * hit.cosine
                    + 0.2 * overlap
                    + info.bonus
                    + digit_bonus * info.digit
                    + section_bonus
                    + strength.get(k, 0.0)
                    - 0.01 * p_index
                )
                out.append(
                    Candidate(
                        p_index,
                        record.chunk_index,
                        k,
                        info.text,
                        score,
                        s_cos,
                        record.section,
                        section_bonus,
                        record.text if record.kind == "table" else None,
                    )
                )
    return out


def _strength_by_sentence(record: ChunkRecord) -> dict[int, float]:
    """Sentence position -> bonus for the strongest study type among the sources it cites."""
    types = {s["n"]: s.get("study_type") for s in record.sources}
    if record.kind != "text" or not any(t in STRENGTH_BONUS for t in types.values()):
        return {}
    out = {}
    for k, (a, b) in enumerate(record.sentences):
        cited = [types.get(n) for n in cited_numbers(record.text[a:b])]
        out[k] = max((STRENGTH_BONUS.get(t or "", 0.0) for t in cited), default=0.0)
    return out


def _answered_intents(question: str, present: set[str]) -> set[str]:
    """The question's intent words ("avoid", "legal", "interact") whose intent the passages answer: a
    passage on cautions answers "who should avoid it?" without using the word "avoid"."""
    stems = terms(question)
    out: set[str] = set()
    for intent in vocab.asked_intents(stems):
        if any(all(any(w.startswith(part) for w in present) for part in cue.split()) for cue in intent.finds):
            out.update(stem for phrase in intent.asks for stem in phrase)
    return out


def _finds(intents: list[vocab.Intent], heading: str) -> bool:
    stems = " ".join(vocab.phrase_stems(heading))
    return any(cue in stems for intent in intents for cue in intent.finds)


# -- signals and the model


def exact_figures(retrieval: Retrieval, passages: int = 3) -> bool:
    """The question quotes a figure ("RR 2.39", "1,335 participants") that a top passage states verbatim."""
    wanted = set(figures(normalize(retrieval.query)))
    if not wanted:
        return False
    found: set[str] = set()
    for p in retrieval.passages[:passages]:
        found |= set(figures(normalize(p.text)))
    return wanted <= found


@dataclass
class Signals:
    values: dict[str, float]
    missing: list[Word] = field(default_factory=list)  # topic words the top passages lack, most telling first
    unknown: list[Word] = field(default_factory=list)  # ... of which the corpus never uses these

    def vector(self) -> np.ndarray:
        return np.array([self.values[f] for f in FEATURES], dtype=np.float64)


def signals(
    retrieval: Retrieval,
    cands: list[Candidate],
    unknown_names: list[str],
    lexicon: Commonness,
    is_word: Callable[[str], bool],
    passages: int = 3,
) -> Signals:
    lexical = retrieval.snapshot.lexical
    words = question_words(retrieval.query, subject_names(retrieval), lexical, lexicon)
    present: set[str] = set()
    for p in retrieval.passages[:COVER_PASSAGES]:
        for h in p.hits:
            present |= h.record.terms()
    answered_intents = _answered_intents(retrieval.query, present)
    missing = [w for w in words.topic if w.stem not in answered_intents and not _covered(w, present, lexical, is_word)]
    missing.sort(key=lambda w: -w.salience)
    unknown = [
        w for w in missing if not any(lexical.known(x) for x in expand([w.stem])) and lexical.correct(w.stem) is None
    ]
    weight = sum(w.salience for w in words.topic)
    coverage = 1.0 - (sum(w.salience for w in missing) / weight if weight else 0.0)
    values = {
        "chunk": max((p.cosine for p in retrieval.passages[:passages]), default=0.0),
        "sentence": max((c.cosine for c in cands), default=0.0),
        "coverage": coverage,
        "gap": missing[0].salience if missing else 0.0,
        # the question's most telling word is among the missing ones (1.0), or how close to it they come
        "key_missing": (missing[0].salience / max(w.salience for w in words.topic)) if missing else 0.0,
        "unknown_gap": unknown[0].salience if unknown else 0.0,
        "subject": 1.0 if words.subject_named else 0.0,
        "unknown_name": 1.0 if unknown_names and not words.subject_named else 0.0,
        "health": words.health_share,
        "figure": 1.0 if exact_figures(retrieval, passages) else 0.0,
    }
    return Signals(values, missing, unknown)


@dataclass(frozen=True)
class AnswerabilityModel:
    """Calibrated logistic regression over FEATURES: P(the monographs answer the question)."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    abstain_below: float  # probability under which the bot abstains
    weak_below: float  # ... under which an answer opens by saying the evidence is weak
    offtopic_health: float  # health share under which an unanswerable question gets the scope message

    @classmethod
    def load(cls, path: Path) -> AnswerabilityModel:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if tuple(data["features"]) != FEATURES:
            raise ValueError(f"{path}: fitted for features {data['features']}, this monobot computes {list(FEATURES)}")
        return cls(
            np.array(data["mean"]),
            np.array(data["scale"]),
            np.array(data["coef"]),
            float(data["intercept"]),
            float(data["abstain_below"]),
            float(data["weak_below"]),
            float(data["offtopic_health"]),
        )

    def contributions(self, x: np.ndarray) -> np.ndarray:
        return self.coef * (x - self.mean) / self.scale

    def probability(self, x: np.ndarray) -> float:
        z = float(self.contributions(x).sum() + self.intercept)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


# What a signal that pulled the probability down says, by the direction it pulled in.
_LOW = {
    "chunk": "no passage is close to the question",
    "sentence": "no sentence is close to the question",
    "coverage": "the passages cover little of the question's topic",
    "health": "it is not about health or drugs",
    "subject": "no covered subject is named",
}
_HIGH = {
    "gap": "the passages lack a telling word of the question",
    "unknown_gap": "the question's topic is not in any monograph",
    "unknown_name": "it names something no monograph covers",
}


@dataclass
class Assessor:
    """Turns signals into the evidence block: level (strong / weak / none), the reason, and what is missing."""

    model: AnswerabilityModel
    lexicon: Commonness
    is_word: Callable[[str], bool]
    abstain_below: float | None = None  # settings override of the model's threshold
    weak_below: float | None = None

    def assess(self, retrieval: Retrieval, cands: list[Candidate], unknown_names: list[str]) -> Evidence:
        sig = signals(retrieval, cands, unknown_names, self.lexicon, self.is_word)
        x = sig.vector()
        p = self.model.probability(x)
        values = {k: round(v, 4) for k, v in sig.values.items()} | {"p_answerable": round(p, 4)}
        abstain = self.model.abstain_below if self.abstain_below is None else self.abstain_below
        weak = self.model.weak_below if self.weak_below is None else self.weak_below
        level: Level
        if sig.values["figure"] or p >= weak:
            level, reason = "strong", ""
        elif p >= abstain and cands:
            level, reason = "weak", self._why(x, p)
        else:
            level = "none"
            offtopic = sig.values["health"] < self.model.offtopic_health and not sig.values["subject"]
            reason = ("out of scope: " if offtopic else "") + (
                self._why(x, p) if cands else "no sentence can be quoted"
            )
        missing = [w.raw for w in sig.missing if self._nameable(w)][:2] if level == "weak" else []
        return Evidence(
            score=round(p, 4),
            chunk=values["chunk"],
            sentence=values["sentence"],
            coverage=values["coverage"],
            level=level,
            reason=reason,
            missing=missing,
            signals=values,
        )

    def _nameable(self, word: Word) -> bool:
        """Whether the weak-evidence wording may name this missing word ("don't mention 'insurance'").
        A reader is misled when it names an everyday word ("day", "thing", "made", "UK"), because the
        passage usually says the same thing in other words; only health words and words rarer than
        NAME_BELOW_ZIPF (about one in 100,000 words of English) are named."""
        return word.salience >= 0.45 and (word.health or self.lexicon(word.raw) < NAME_BELOW_ZIPF)

    def _why(self, x: np.ndarray, p: float) -> str:
        """The signals that pulled the probability down most, for eval's attribution of each abstention."""
        parts = self.model.contributions(x)
        said_parts: list[str] = []
        for i in np.argsort(parts):
            if parts[i] >= -0.25 or len(said_parts) == 2:
                break
            name, high = FEATURES[i], x[i] > self.model.mean[i]
            text = (_HIGH if high else _LOW).get(name)
            if text:
                said_parts.append(text)
        said = "; ".join(said_parts)
        return f"p(answerable) {p:.2f}" + (f": {said}" if said else "")
