"""Writing one new generation while files are still being parsed: embed as you go, hold little in memory.

Ingest used to parse every file, keep every chunk, then embed: ten thousand monographs held about 0.7 GB
of chunk objects before the first vector was written. Here each parsed file's new chunks join a small
queue; a full queue is embedded and written (Chroma, the record copy, the BM25 postings) and dropped.
Unchanged chunks are copied from the live generation at the end. The generation is only published by
the caller, so a failure or kill anywhere leaves the live one serving.
"""

from __future__ import annotations

import sys
from typing import Any

from bot.embedding import Embedder
from bot.index import BATCH, ChunkRecord, IndexStore, LiveInfo
from bot.lexical import LexicalBuilder
from bot.records import RecordWriter

from .vectors import vectors_for


class GenerationWriter:
    def __init__(self, store: IndexStore, live: LiveInfo | None, generation: int, embedder: Embedder, *, pooled: bool, embed_batch: int, progress: bool | None) -> None:
        self.store, self.live, self.embedder = store, live, embedder
        self.pooled, self.embed_batch = pooled, embed_batch
        self.name, self.target = store.new_generation(generation)
        self.records = RecordWriter(store.records_dir(self.name), embedder.dim)
        self.lexical = LexicalBuilder()
        self.source = store.client.get_collection(live.collection, embedding_function=None) if live else None
        self.pending: list[ChunkRecord] = []
        self.written = 0
        self.embedded = 0
        from tqdm import tqdm

        # The total grows as files are parsed; a forced bar (--progress) shows even when stderr is a pipe.
        self.bar = tqdm(total=0, unit="chunk", desc="embedding", disable=not (progress if progress is not None else sys.stderr.isatty()), file=sys.stderr)

    # -- new chunks
    def queue(self, fresh: list[ChunkRecord]) -> None:
        self.pending.extend(fresh)
        self.bar.total += len(fresh)
        self.bar.refresh()
        while len(self.pending) >= self.embed_batch:
            batch, self.pending = self.pending[: self.embed_batch], self.pending[self.embed_batch :]
            self._write_fresh(batch)

    def _write_fresh(self, batch: list[ChunkRecord]) -> None:
        reusable = self._reusable(batch)
        embeddings, metadatas = vectors_for(batch, reusable, self.embedder, self.pooled)
        self.target.add(ids=[r.id for r in batch], documents=[r.text for r in batch], metadatas=metadatas, embeddings=embeddings)
        for r, meta, vector in zip(batch, metadatas, embeddings):
            self.records.add(r.id, r.text, meta, vector)
            self.lexical.add(r.id, r.embed_text)
        self.written += len(batch)
        embedded = sum(1 for r in batch if r.vkey not in reusable)
        self.embedded += embedded
        self.bar.total -= len(batch) - embedded  # reused vectors are not embedding work
        self.bar.update(embedded)

    def _reusable(self, batch: list[ChunkRecord]) -> dict[str, tuple[list[float], str]]:
        """Metadata-only changes (a fixed PMID, a new slug) reuse vectors through the vector key."""
        found: dict[str, tuple[list[float], str]] = {}
        if self.source is None:
            return found
        vkeys = sorted({r.vkey for r in batch})
        for start in range(0, len(vkeys), 500):
            got = self.source.get(where={"vkey": {"$in": vkeys[start : start + 500]}}, include=["metadatas", "embeddings"])
            for m, e in zip(got["metadatas"], got["embeddings"]):
                found[m["vkey"]] = (e, m.get("svec", ""))
        return found

    # -- unchanged chunks
    def copy(self, ids: list[str]) -> None:
        for start in range(0, len(ids), BATCH):
            got = self.source.get(ids=ids[start : start + BATCH], include=["documents", "metadatas", "embeddings"])
            self.target.add(ids=got["ids"], documents=got["documents"], metadatas=got["metadatas"], embeddings=got["embeddings"])
            for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"]):
                self.records.add(i, d, m, e)
                self.lexical.add(i, ChunkRecord.from_chroma(i, d, m).embed_text)
            self.written += len(got["ids"])

    # -- end
    def finish(self) -> Any:
        """Embeds what is queued, checks the count, closes the record copy; returns the BM25 index."""
        if self.pending:
            batch, self.pending = self.pending, []
            self._write_fresh(batch)
        self.bar.close()
        if self.target.count() != self.written:
            raise RuntimeError(f"index check failed: wrote {self.target.count()} chunks, expected {self.written}")
        self.records.finish()
        return self.lexical.build()

    def discard(self) -> None:
        self.bar.close()
        self.records.discard()
        self.store.discard(self.name)


__all__ = ["GenerationWriter"]
