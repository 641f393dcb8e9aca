"""The extractive answer: the sentences that best answer the question, quoted from the monographs, each cited.

No text is generated, so no figure can be wrong: every sentence of the lead is a sentence of a cited
excerpt (with the monograph's own [k] source markers moved into the citation's sources). Sentences are
ranked with vectors pooled at ingest, so answering costs no extra embedding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .answer import Citation, SourceRef
from .retrieve import Passage, Retrieval
from .text import CITE_RE, expand, terms

MAX_LEAD = 4
LEAD_MARGIN = 0.1


@dataclass
class Candidate:
    passage: int
    chunk_ordinal: int
    position: int
    text: str
    score: float
    cosine: float


@dataclass
class Evidence:
    score: float
    chunk: float
    sentence: float
    coverage: float
    level: str
    reason: str = ""

    def to_dict(self) -> dict:
        return {
            "score": round(self.score, 4),
            "chunk": round(self.chunk, 4),
            "sentence": round(self.sentence, 4),
            "coverage": round(self.coverage, 4),
            "level": self.level,
            "reason": self.reason,
        }


# Sentences that point elsewhere rather than state evidence ("see our review", "this page is about").
_META_RE = re.compile(r"\b(this page|this monograph|see the|see our|return to|as our|lays out|read on|below we|we look at)\b", re.I)


_QUANTITY_RE = re.compile(
    r"\b(how (many|much|often|long|common|likely)|what (percentage|proportion|share|number|rate|dose|doses)|risk ratio|odds|rate|rates|"
    r"percent|percentage|figure|figures|number|numbers|estimate|interval|rr|ci|statistic\w*|incidence|frequency)\b",
    re.I,
)


def asks_quantity(question: str) -> bool:
    return bool(_QUANTITY_RE.search(question))


def prior(raw: str, text: str, kind: str, quantity: bool = False) -> float:
    """Small preferences among equally relevant sentences: sourced facts over framing and signposts."""
    bonus = 0.0
    if kind == "table" or CITE_RE.search(raw):
        bonus += 0.03
    if re.search(r"\d", text):
        bonus += 0.06 if quantity else 0.015
    if _META_RE.search(text):
        bonus -= 0.1
    if len(text.split()) < 8:
        bonus -= 0.04
    return bonus


def candidates(retrieval: Retrieval, limit_passages: int = 6) -> list[Candidate]:
    qvec = retrieval.vector
    lexical = retrieval.snapshot.lexical
    subject_terms = {t for s in retrieval.subjects for t in terms(s)}
    qterms = [t for t in dict.fromkeys(terms(retrieval.query)) if t not in subject_terms]
    weights = {t: lexical.term_idf(t) for t in qterms}
    total = sum(weights.values()) or 1.0
    quantity = asks_quantity(retrieval.query)
    out: list[Candidate] = []
    for p_index, passage in enumerate(retrieval.passages[:limit_passages]):
        for hit in passage.hits:
            record = hit.record
            vectors = record.sentence_vectors
            raws = [record.text] if record.kind == "table" else [record.text[a:b] for a, b in record.sentences]
            for k, text in enumerate(record.sentence_texts()):
                if len(text) < 20:
                    continue
                s_cos = float(np.dot(vectors[k], qvec)) if vectors is not None and k < len(vectors) else hit.cosine
                present = set(expand(terms(text)))
                overlap = sum(w for t, w in weights.items() if t in present) / total
                score = 0.5 * s_cos + 0.3 * hit.cosine + 0.2 * overlap + prior(raws[k], text, record.kind, quantity) - 0.01 * p_index
                out.append(Candidate(p_index, record.chunk_index, k, text, score, s_cos))
    return out


# Words that carry the question's form, not its topic: they must not count as lexical support.
_GENERIC = frozenset(
    """find found show showed say said tell know mean use used using take taking took help helps helped work works worked good bad thing
    things get make give gave given does did way ways much many lot anything something someone people person really actually ever""".split()
)
STRONG_DENSE = 0.68  # with no topic word of the question in the passages, only a very close paraphrase counts
LEXICAL_COVERAGE = 0.5  # without a named subject, a rare exact term (a trial name) can carry the question
LEXICAL_FLOOR = 0.12


def coverage(retrieval: Retrieval, passages: int = 3) -> tuple[float, bool]:
    """Share (IDF-weighted) of the question's topic words found in the top passages, and whether it has any."""
    lexical = retrieval.snapshot.lexical
    subject_terms = {t for s in retrieval.subjects for t in terms(s)}
    topic = [t for t in dict.fromkeys(terms(retrieval.query)) if t not in subject_terms and t not in _GENERIC]
    if not topic:
        return 1.0, False
    present: set[str] = set()
    for p in retrieval.passages[:passages]:
        present |= set(expand(terms(f"{p.text} {p.first.section} {p.first.title}")))
    weights = {t: lexical.term_idf(t) for t in topic}
    total = sum(weights.values()) or 1.0
    found = 0.0
    for t, w in weights.items():
        fixed = lexical.correct(t)
        if t in present or (fixed is not None and fixed in present) or any(s in present for s in expand([fixed] if fixed else [])):
            found += w
    return found / total, True


def evidence(retrieval: Retrieval, cands: list[Candidate], abstain: float, weak: float) -> Evidence:
    """Do the monographs answer this? Dense similarity, checked against lexical support for the topic.

    A question naming a subject ("Does Cerebrolysin cure baldness?") is close to every chunk about that
    subject, so dense similarity alone would answer it from the nearest safety paragraph; it must also
    find the question's own topic words, unless the paraphrase is very close. Without a subject, an exact
    rare term (a trial name the small embedding model does not know) can carry the question.
    """
    chunk = max((p.cosine for p in retrieval.passages[:3]), default=0.0)
    sentence = max((c.cosine for c in cands), default=0.0)
    score = 0.5 * chunk + 0.5 * sentence
    cov, has_topic = coverage(retrieval)
    if retrieval.subjects and has_topic and cov == 0 and score < STRONG_DENSE:
        return Evidence(score, chunk, sentence, cov, "none", "the passages about this subject never mention the question's topic")
    if not retrieval.subjects and has_topic and cov >= LEXICAL_COVERAGE and score >= LEXICAL_FLOOR and score < abstain:
        level = "strong" if cov >= 0.8 else "weak"
        return Evidence(score, chunk, sentence, cov, level, "matched on exact terms (names the embedding model does not know)")
    if score < abstain:
        return Evidence(score, chunk, sentence, cov, "none", "no passage is close enough to the question")
    return Evidence(score, chunk, sentence, cov, "weak" if score < weak else "strong")


def select_lead(cands: list[Candidate]) -> list[Candidate]:
    ranked = sorted(cands, key=lambda c: -c.score)
    if not ranked:
        return []
    best = ranked[0].score
    lead: list[Candidate] = []
    for cand in ranked:
        if len(lead) >= MAX_LEAD or cand.score < best - LEAD_MARGIN:
            break
        if any(cand.text == other.text for other in lead):
            continue
        lead.append(cand)
    if len(lead) == MAX_LEAD and lead[-1].score < best - LEAD_MARGIN / 2:
        lead.pop()
    # Read in a natural order: best passage first, each passage's sentences in page order.
    first_use = {}
    for cand in lead:
        first_use.setdefault(cand.passage, len(first_use))
    return sorted(lead, key=lambda c: (first_use[c.passage], c.chunk_ordinal, c.position))


def citation_for(n: int, passage: Passage) -> Citation:
    record = passage.first
    return Citation(
        n=n,
        doc=record.doc,
        title=record.title,
        section=record.section,
        url=record.url,
        excerpt=passage.text,
        sources=[SourceRef(n=s["n"], citation=s["citation"], pmid=s.get("pmid")) for s in passage.sources],
    )


def compose(retrieval: Retrieval, lead: list[Candidate]) -> tuple[str, list[Citation]]:
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    sentences: list[str] = []
    for cand in lead:
        if cand.passage not in numbers:
            numbers[cand.passage] = len(numbers) + 1
            citations.append(citation_for(numbers[cand.passage], retrieval.passages[cand.passage]))
        sentences.append(f"{cand.text} [{numbers[cand.passage]}]")
    return " ".join(sentences), citations
