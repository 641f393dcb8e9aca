"""The extractive answer: the sentences that best answer the question, quoted from the monographs, each cited.

No text is generated, so no figure can be wrong: every sentence of the lead is a sentence of a cited
excerpt (with the monograph's own [k] source markers moved into the citation's sources). Sentences are
ranked with vectors computed at ingest, so answering costs no extra embedding.
"""

from __future__ import annotations

from .badges import strongest
from .contract import Citation, Source
from .evidence import Candidate
from .retrieve import Passage, Retrieval
from .text import readable_row

MAX_LEAD = 6  # sentences in an extractive answer
RUN = 4  # consecutive sentences quoted from the passage that answers the question
LEAD_MARGIN = 0.2  # how far below the best sentence another passage's sentence may score and still be quoted
_ANAPHOR = ("it ", "its ", "this ", "these ", "they ", "their ", "that ", "the trial", "the review", "the study")


def select_lead(cands: list[Candidate]) -> list[Candidate]:
    """The answer's sentences: a run from the passage that answers the question, then the best of the rest.

    The passage is chosen by its best sentence together with how much its heading restates the question
    (a section called "What did the CASTA trial find?" answers "What did CASTA find?" even when its
    sentences say "Its primary outcome..." and never name the trial). From it, the best sentence and the
    ones after it in the same chunk are quoted together, so a review's setup is never quoted without its
    conclusion; a best sentence that starts by pointing back ("Its...", "The trial...") brings the one
    before it. Other sentences, of any passage (the lead's own included: "Taking too much ... can cause
    hypercalcaemia" two sentences after the best one), follow while they score within LEAD_MARGIN of the best.
    """
    if not cands:
        return []
    best = max(cands, key=lambda c: c.score)
    by_passage: dict[int, list[Candidate]] = {}
    for c in cands:
        by_passage.setdefault(c.passage, []).append(c)
    lead_passage = max(
        by_passage, key=lambda p: max(c.score for c in by_passage[p]) + 0.5 * by_passage[p][0].section_bonus
    )
    lead = _run(sorted(by_passage[lead_passage], key=lambda c: (c.chunk_ordinal, c.position)))
    for cand in sorted(cands, key=lambda c: -c.score):
        if len(lead) >= MAX_LEAD or cand.score < best.score - LEAD_MARGIN:
            break
        # the lead passage's own further sentences must come closer to the best (half the margin), so they
        # do not crowd out the other passages' citations
        own = cand.passage == lead_passage
        if (not own or cand.score >= best.score - LEAD_MARGIN / 2) and all(cand.text != o.text for o in lead):
            lead.append(cand)
    first_use: dict[int, int] = {}
    for cand in lead:
        first_use.setdefault(cand.passage, len(first_use))
    return sorted(lead, key=lambda c: (first_use[c.passage], c.chunk_ordinal, c.position))


def _run(ordered: list[Candidate]) -> list[Candidate]:
    """From one passage's sentences in reading order: the best one and those after it in its chunk."""
    top = max(range(len(ordered)), key=lambda k: ordered[k].score)
    start = top
    if (
        top > 0
        and ordered[top].text.lower().startswith(_ANAPHOR)
        and ordered[top - 1].chunk_ordinal == ordered[top].chunk_ordinal
    ):
        start = top - 1
    run = [ordered[start]]
    for cand in ordered[start + 1 :]:
        if len(run) >= RUN or cand.chunk_ordinal != run[-1].chunk_ordinal or cand.position != run[-1].position + 1:
            break
        run.append(cand)
    return run


def citation_for(n: int, passage: Passage, reviewed: str | None = None) -> Citation:
    """The cited excerpt with its sources, the strongest study type among them, and the monograph's
    review date (from the index's document info)."""
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
        study_type=strongest(s.get("study_type") for s in passage.sources),  # type: ignore[arg-type]
        reviewed=reviewed,
    )


def reviewed_of(retrieval: Retrieval, passage: Passage) -> str | None:
    return retrieval.snapshot.info.docs.get(passage.first.doc, {}).get("reviewed") or None


def compose(retrieval: Retrieval, lead: list[Candidate]) -> tuple[str, list[Citation]]:
    numbers: dict[int, int] = {}
    citations: list[Citation] = []
    sentences: list[str] = []
    for cand in lead:
        if cand.passage not in numbers:
            numbers[cand.passage] = len(numbers) + 1
            passage = retrieval.passages[cand.passage]
            citations.append(citation_for(numbers[cand.passage], passage, reviewed_of(retrieval, passage)))
        text = readable_row(cand.table_row) if cand.table_row else cand.text
        sentences.append(f"{text} [{numbers[cand.passage]}]")
    return " ".join(sentences), citations
