"""The extractive answer: the sentences that best answer the question, quoted from the monographs, each cited.

No text is generated, so no figure can be wrong: every sentence of the lead is a sentence of a cited
excerpt (with the monograph's own [k] source markers moved into the citation's sources). Sentences are
ranked with vectors pooled at ingest, so answering costs no extra embedding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .answer import Citation, SourceRef
from .retrieve import Passage, Retrieval
from .text import strip_citations, terms

MAX_LEAD = 4
LEAD_MARGIN = 0.08


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
    level: str

    def to_dict(self) -> dict:
        return {"score": round(self.score, 4), "chunk": round(self.chunk, 4), "sentence": round(self.sentence, 4), "level": self.level}


def render_row(text: str) -> str:
    """A table row as a sentence: each cell verbatim, labelled with its column header."""
    lines = text.splitlines()
    header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    cells = [c.strip() for c in lines[-1].strip().strip("|").split("|")]
    if len(header) != len(cells):
        return strip_citations(" ".join(cells))
    parts = [f"{h}: {c}" if h else c for h, c in zip(header, cells)]
    return strip_citations("; ".join(parts)).rstrip(".") + "."


def candidates(retrieval: Retrieval, limit_passages: int = 4) -> list[Candidate]:
    qvec = retrieval.vector
    qterms = set(terms(retrieval.query))
    out: list[Candidate] = []
    for p_index, passage in enumerate(retrieval.passages[:limit_passages]):
        for hit in passage.hits:
            record = hit.record
            vectors = record.sentence_vectors
            for k, (a, b) in enumerate(record.sentences):
                raw = record.text[a:b]
                text = render_row(raw) if record.kind == "table" else strip_citations(raw)
                if len(text) < 20:
                    continue
                s_cos = float(np.dot(vectors[k], qvec)) if vectors is not None and k < len(vectors) else hit.cosine
                overlap = len(qterms & set(terms(text))) / max(len(qterms), 1)
                score = 0.55 * s_cos + 0.45 * hit.cosine + 0.12 * overlap - 0.015 * p_index
                out.append(Candidate(p_index, record.chunk_index, k, text, score, s_cos))
    return out


def evidence(retrieval: Retrieval, cands: list[Candidate], abstain: float, weak: float) -> Evidence:
    """One absolute score for 'do the monographs answer this?', compared with calibrated thresholds."""
    chunk = max((p.cosine for p in retrieval.passages[:3]), default=0.0)
    sentence = max((c.cosine for c in cands), default=0.0)
    score = 0.5 * chunk + 0.5 * sentence
    level = "none" if score < abstain else "weak" if score < weak else "strong"
    return Evidence(score=score, chunk=chunk, sentence=sentence, level=level)


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
