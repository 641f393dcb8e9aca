"""The extractive answer: the sentences that best answer the question, quoted from the monographs, each cited.

No text is generated, so no figure can be wrong: every sentence of the lead is a sentence of a cited
excerpt (with the monograph's own [k] source markers moved into the citation's sources). Sentences are
ranked with vectors computed at ingest, so answering costs no extra embedding.
"""

from __future__ import annotations

from .contract import Citation, Source
from .evidence import Candidate
from .retrieve import Passage, Retrieval

MAX_LEAD = 4
LEAD_MARGIN = 0.1


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
    first_use: dict[int, int] = {}
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
        sources=[
            Source(
                n=s["n"],
                citation=s["citation"],
                pmid=s.get("pmid"),
                doi=s.get("doi"),
                link=s.get("url"),
                study_type=s.get("study_type"),
            )
            for s in passage.sources
        ],
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
