"""Hybrid retrieval: dense (Chroma) and BM25 over the same chunks, fused by reciprocal rank, merged by section.

Dense search finds paraphrases ("is it safe" ~ "well tolerated"); BM25 finds exact terms a small
embedding model blurs (trial names, "non-fatal", figures). Reciprocal rank fusion needs no score
calibration between the two. Every candidate also gets its exact cosine to the question, because the
abstention threshold must be an absolute measure of evidence, not a rank.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from .embedding import Embedder
from .features import instructed
from .index import ChunkRecord, IndexStore, IndexUnavailable, Snapshot
from .text import figures, normalize

RRF_K = 60


@dataclass
class Hit:
    record: ChunkRecord
    cosine: float
    fused: float = 0.0
    dense_rank: int | None = None
    lexical_rank: int | None = None


@dataclass
class Passage:
    """Adjacent chunks of one section, cited as one excerpt."""

    hits: list[Hit]

    @property
    def first(self) -> ChunkRecord:
        return self.hits[0].record

    @property
    def score(self) -> float:
        return max(h.fused for h in self.hits)

    @property
    def cosine(self) -> float:
        return max(h.cosine for h in self.hits)

    @property
    def text(self) -> str:
        """The excerpt; rows of one table share one header row rather than repeating it."""
        lines: list[str] = []
        for h in self.hits:
            for line in h.record.text.split("\n"):
                if h.record.kind == "table" and line in lines:
                    continue
                lines.append(line)
        return "\n".join(lines)

    @property
    def sources(self) -> list[dict]:
        seen: dict[int, dict] = {}
        for h in self.hits:
            for s in h.record.sources:
                seen.setdefault(s["n"], s)
        return [seen[n] for n in sorted(seen)]


@dataclass
class Retrieval:
    query: str
    vector: np.ndarray
    passages: list[Passage]
    snapshot: Snapshot
    subjects: list[str] = field(default_factory=list)


class Retriever:
    """`exact_rows`: generations of at most this many chunks are searched exactly in their record copy
    (one matrix-vector product, no Chroma round trip, and no chromadb import on a cold start); larger
    ones go through Chroma's HNSW index."""

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        k_dense: int = 16,
        k_lexical: int = 16,
        max_passages: int = 6,
        exact_rows: int = 20_000,
    ) -> None:
        self.store = store
        self.embedder = embedder
        self.k_dense = k_dense
        self.k_lexical = k_lexical
        self.max_passages = max_passages
        self.exact_rows = exact_rows

    def retrieve(
        self,
        query: str,
        subjects: list[str],
        timer: StageTimer,
        snapshot: Snapshot | None = None,
        vector: np.ndarray | None = None,
    ) -> Retrieval:
        """`vector`: the query's embedding when the caller already has it (the guard step embeds the question)."""
        snap = snapshot or self.store.snapshot()
        if snap.info.model_id != self.embedder.model_id:
            raise IndexUnavailable(
                f"the index was built with the embedding model {snap.info.model_id}, but this process loads {self.embedder.model_id}: "
                "re-ingest (`monobot ingest PATH`) or set MONOBOT_EMBED_MODEL / MONOBOT_EMBED_BACKEND to match"
            )
        qvec = vector
        if qvec is None:
            with timer("embed"):
                qvec = self.embedder.embed_query(query)
        with timer("dense"):
            dense = self._dense(snap, qvec, subjects)
        with timer("lexical"):
            lexical = snap.lexical.search(query, self.k_lexical)
        with timer("fuse"):
            hits = [h for h in self._fuse(snap, qvec, dense, lexical, subjects, query) if not quarantined(h.record)]
            passages = merge(hits)[: self.max_passages]
        return Retrieval(query=query, vector=qvec, passages=passages, snapshot=snap, subjects=subjects)

    def _dense(self, snap: Snapshot, qvec: np.ndarray, subjects: list[str]) -> list[Hit]:
        hits = self._query(snap, qvec, None)
        if subjects and sum(h.record.subject in subjects for h in hits) < 3:
            # The subject's chunks are outranked by other monographs: search again within the subject, over its
            # own rows in the record copy (exact, and microseconds), or through a filtered Chroma query (a
            # copy without the subject index; on 200k chunks such a query took 150 ms).
            extra = self._within(snap, qvec, subjects)
            seen = {h.record.id for h in hits}
            hits += [h for h in extra if h.record.id not in seen]
            hits.sort(key=lambda h: -h.cosine)
        return hits

    def _within(self, snap: Snapshot, qvec: np.ndarray, subjects: list[str]) -> list[Hit]:
        records = snap.records
        rows = records.subject_rows(subjects) if records is not None else None
        if records is None or rows is None:
            where = {"subject": subjects[0]} if len(subjects) == 1 else {"subject": {"$in": subjects}}
            return self._query(snap, qvec, where)
        return [Hit(records.record(row), cosine=cosine) for row, cosine in records.nearest_in(rows, qvec, self.k_dense)]

    def _query(self, snap: Snapshot, qvec: np.ndarray, where: dict | None) -> list[Hit]:
        if snap.records is None:
            got = snap.query(
                query_embeddings=[qvec],
                n_results=self.k_dense,
                where=where,
                include=["documents", "metadatas", "distances"],
            )
            return [
                Hit(ChunkRecord.from_chroma(i, d, m), cosine=1.0 - float(dist))
                for i, d, m, dist in zip(got["ids"][0], got["documents"][0], got["metadatas"][0], got["distances"][0])
            ]
        if where is None and snap.records.rows <= self.exact_rows:
            return [Hit(snap.records.record(row), cosine=cos) for row, cos in snap.records.nearest(qvec, self.k_dense)]
        # Ids and distances only: the rows come from the generation's local copy (bot/index/records.py).
        got = snap.query(query_embeddings=[qvec], n_results=self.k_dense, where=where, include=["distances"])
        rows = snap.rows(got["ids"][0])
        return [
            Hit(rows[i][0], cosine=1.0 - float(dist))
            for i, dist in zip(got["ids"][0], got["distances"][0])
            if i in rows
        ]

    def _fuse(
        self,
        snap: Snapshot,
        qvec: np.ndarray,
        dense: list[Hit],
        lexical: list[tuple[str, float]],
        subjects: list[str],
        query: str = "",
    ) -> list[Hit]:
        by_id: dict[str, Hit] = {}
        for rank, hit in enumerate(dense):
            hit.dense_rank = rank
            hit.fused = 1.0 / (RRF_K + rank)
            by_id[hit.record.id] = hit
        missing = [cid for cid, _ in lexical[:8] if cid not in by_id]  # lower BM25 ranks add little to the fusion
        if missing:
            for i, (record, vector) in snap.rows(missing).items():
                by_id[i] = Hit(record, cosine=float(np.dot(qvec, vector)))
        for rank, (cid, _) in enumerate(lexical):
            found = by_id.get(cid)
            if found is not None:
                found.lexical_rank = rank
                found.fused += 1.0 / (RRF_K + rank)
        hits = list(by_id.values())
        wanted = set(figures(normalize(query)))
        if wanted:
            # A quoted figure ("RR 2.39") is the surest sign of the passage meant: as good as a first place in a third list.
            for hit in hits:
                if wanted <= set(figures(normalize(hit.record.text))):
                    hit.fused += 1.0 / RRF_K
        if subjects and any(h.record.subject in subjects for h in hits):
            hits = [h for h in hits if h.record.subject in subjects]
        hits.sort(key=lambda h: (-h.fused, -h.cosine))
        return hits


def quarantined(record: ChunkRecord) -> bool:
    """Corpus text that instructs the reader or the assistant ("should be injected at 5 mL daily", "ignore
    prior rules") is never quoted or cited, whatever the question: anyone who can edit one page could
    otherwise make the bot give self-injection advice. Ingest lists such sentences in its summary."""
    if record.instructed is not None:  # worked out at ingest (bot/features.py)
        return record.instructed
    flagged = _QUARANTINE.get(record.hash)
    if flagged is None:
        flagged = _QUARANTINE[record.hash] = instructed(record.text)
    return flagged


_QUARANTINE: dict[str, bool] = {}  # chunk text hash -> instruction found; bounded by the corpus's chunks


def merge(hits: list[Hit]) -> list[Passage]:
    """Adjacent chunks of one section become one passage; chunks with identical text are kept once."""
    seen_text: set[str] = set()
    unique = []
    for h in hits:
        if h.record.hash in seen_text:
            continue
        seen_text.add(h.record.hash)
        unique.append(h)
    groups: dict[tuple[str, str], list[Hit]] = {}
    order: list[tuple[str, str]] = []
    for h in unique:
        key = (h.record.doc, h.record.anchor)
        if key not in groups:
            groups[key] = []
            order.append(key)
        groups[key].append(h)
    passages: list[Passage] = []
    for key in order:
        members = sorted(groups[key], key=lambda h: h.record.chunk_index)
        run = [members[0]]
        for h in members[1:]:
            adjacent_text = (
                h.record.chunk_index == run[-1].record.chunk_index + 1
                and h.record.kind == run[-1].record.kind == "text"
            )
            same_table = (
                h.record.kind == run[-1].record.kind == "table"
            )  # rows of a section's table: one excerpt, one header
            if adjacent_text or same_table:
                run.append(h)
            else:
                passages.append(Passage(run))
                run = [h]
        passages.append(Passage(run))
    passages.sort(key=lambda p: -p.score)
    return passages


class StageTimer:
    """Collects per-stage milliseconds into a dict: the timings_ms of the answer."""

    def __init__(self, timings: dict[str, float], clock: Callable[[], float] = time.perf_counter) -> None:
        self.timings = timings
        self.clock = clock

    def __call__(self, stage: str) -> _Stage:
        return _Stage(self, stage)


class _Stage:
    def __init__(self, timer: StageTimer, stage: str) -> None:
        self.timer, self.stage = timer, stage

    def __enter__(self) -> None:
        self.start = self.timer.clock()

    def __exit__(self, *exc: object) -> None:
        elapsed = (self.timer.clock() - self.start) * 1000
        self.timer.timings[self.stage] = self.timer.timings.get(self.stage, 0.0) + elapsed
