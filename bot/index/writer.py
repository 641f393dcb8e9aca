"""Writing one new generation while files are still being parsed: embed as you go, hold little in memory.

Ingest used to parse every file, keep every chunk, then embed: ten thousand monographs held about 0.7 GB
of chunk objects before the first vector was written. Here each parsed file's new chunks join a small
queue; a full queue is embedded and written (Chroma, the record copy, the BM25 postings) and dropped.
Unchanged chunks are copied from the live generation at the end. The generation is only published by
the caller, so a failure or kill anywhere leaves the live one serving.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..embedding import Embedder
from ..features import FEATURES_VERSION
from ..text import ANALYZER_VERSION
from .lexical import LexicalBuilder, LexicalIndex
from .records import RecordWriter
from .schema import ChunkRecord
from .store import BATCH, IndexStore, LiveInfo
from .vectors import vectors_for

log = logging.getLogger(__name__)

# A write that failed because the storage is full or refuses writes, as the OS says it (errno) or as
# Chroma's SQLite layer words it inside its own exception types.
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS}
_FULL_WORDS = ("no space left on device", "database or disk is full", "disk is full", "read-only file system")


class StorageFull(RuntimeError):
    """Ingest could not write the index because its disk is full (or read-only). Raised after the half-written
    generation has been discarded, with one line that says what happened, what is still served and what to do."""


def storage_problem(exc: BaseException) -> str | None:
    """The storage failure behind `exc` (or anything in its cause chain), in a few words; None for other errors."""
    seen: BaseException | None = exc
    visited: set[int] = set()
    while seen is not None and id(seen) not in visited:  # a chain can loop back on itself
        visited.add(id(seen))
        if isinstance(seen, OSError) and seen.errno in _FULL_ERRNOS:
            return seen.strerror or str(seen)
        text = str(seen).lower()
        for words in _FULL_WORDS:
            if words in text:
                return words
        seen = seen.__cause__ or seen.__context__
    return None


class GenerationWriter:
    def __init__(
        self,
        store: IndexStore,
        live: LiveInfo | None,
        generation: int,
        embedder: Embedder,
        *,
        pooled: bool,
        embed_batch: int,
        progress: bool | None,
    ) -> None:
        self.store, self.live, self.embedder = store, live, embedder
        self.pooled, self.embed_batch = pooled, embed_batch
        self.name, self.target = store.new_generation(generation)
        self.records = RecordWriter(store.records_dir(self.name), embedder.dim)
        self.lexical = LexicalBuilder()
        self.source = store.client.get_collection(live.collection, embedding_function=None) if live else None
        self.pending: list[ChunkRecord] = []
        self.written = 0
        self.embedded = 0
        # The total grows as files are parsed; a forced bar (--progress) shows even when stderr is a pipe.
        self.bar = tqdm(
            total=0,
            unit="chunk",
            desc="embedding",
            disable=not (progress if progress is not None else sys.stderr.isatty()),
            file=sys.stderr,
        )

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
        self.target.add(
            ids=[r.id for r in batch], documents=[r.text for r in batch], metadatas=metadatas, embeddings=embeddings
        )
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
            got = self.source.get(
                where={"vkey": {"$in": vkeys[start : start + 500]}}, include=["metadatas", "embeddings"]
            )
            for m, e in zip(got["metadatas"], got["embeddings"]):
                found[m["vkey"]] = (e, m.get("svec", ""))
        return found

    # -- unchanged chunks
    def copy(self, ids: list[str]) -> None:
        if not ids:
            return
        assert self.source is not None, "unchanged chunks come from a live generation"
        for start in range(0, len(ids), BATCH):
            got = self.source.get(ids=ids[start : start + BATCH], include=["documents", "metadatas", "embeddings"])
            self.target.add(
                ids=got["ids"], documents=got["documents"], metadatas=got["metadatas"], embeddings=got["embeddings"]
            )
            for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"]):
                self.records.add(i, d, m, e)
                self.lexical.add(i, ChunkRecord.from_chroma(i, d, m).embed_text)
            self.written += len(got["ids"])

    # -- end
    def finish(self) -> LexicalIndex:
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


@dataclass
class DocumentEntry:
    """What the manifest keeps of one document: where it came from, its bytes' hash and its chunks by key."""

    path: str
    sha256: str
    keys: dict[str, str]
    info: dict[str, Any] = field(default_factory=dict)  # title, subject, url, aliases for the live pointer


@dataclass
class UpdateResult:
    documents: int = 0
    sections: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    generation: int | None = None
    changed: bool = False


class IndexUpdate:
    """One ingest run against a store, from the index's side: the manifest, the new generation, the switch.

    Ingest hands it documents as it parses them (`put`), says which files it could not read (`failed`)
    and which it saw unchanged (`unchanged`); `commit` then writes and publishes a new generation if
    anything changed. Scope: documents whose files lived under a given folder (or were a given file)
    and are gone are removed; documents from elsewhere are kept, unless `replace_all`. A file that failed
    keeps its previous version serving. Used as a context manager: it holds the store's ingest lock, and
    any exception discards the half-written generation.
    """

    def __init__(
        self,
        store: IndexStore,
        embedder: Embedder,
        fingerprint: str,
        *,
        scope: list[Path],
        replace_all: bool = False,
        pooled: bool = False,
        embed_batch: int = 256,
        progress: bool | None = None,
    ) -> None:
        self.store, self.embedder, self.fingerprint = store, embedder, fingerprint
        self.scope, self.replace_all = scope, replace_all
        self.pooled, self.embed_batch, self.progress = pooled, embed_batch, progress
        self._lock = store.lock()
        self.writer: GenerationWriter | None = None

    def __enter__(self) -> IndexUpdate:
        self._lock.__enter__()
        try:
            self.live = self.store.read_live()
            self.manifest = self.store.load_manifest(self.live) if self.live else {"docs": {}}
        except BaseException:
            self._lock.__exit__(None, None, None)
            raise
        self.old: dict[str, dict] = self.manifest.get("docs", {})
        self.same_fingerprint = self.manifest.get("fingerprint") == self.fingerprint
        self.by_path = {entry["path"]: doc for doc, entry in self.old.items()}
        self.old_ids = {i for e in self.old.values() for i in e["keys"].values()}
        self.generation = (self.live.generation if self.live else 0) + 1
        self.desired: dict[str, dict] = {}
        self.info: dict[str, dict[str, Any]] = {}
        self.failed_paths: set[str] = set()
        self.seen_paths: set[str] = set()
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, *rest: object) -> None:
        try:
            if exc is not None and self.writer is not None:
                self._discard_after_failure()
        finally:
            self._lock.__exit__(None, None, None)
        problem = storage_problem(exc) if exc is not None else None
        if problem is not None:
            serving = f"generation {self.live.generation}" if self.live else "nothing (the store was empty)"
            raise StorageFull(
                f"ingest failed: the disk holding the index ({self.store.root}) is full or read-only ({problem}). "
                f"Nothing was published: the live index is unchanged and still serves {serving}. "
                "Free some space and run ingest again."
            ) from exc

    def _discard_after_failure(self) -> None:
        """Remove the half-written generation. On a full disk even that can fail; the next ingest then removes
        the leftovers before it writes, so the failure is logged and the original error kept."""
        assert self.writer is not None
        try:
            self.writer.discard()
        except Exception as cleanup:  # the ingest error is the one to report
            log.warning("could not remove the half-written generation yet (%s): %s", type(cleanup).__name__, cleanup)

    # -- what ingest reports
    def unchanged(self, path: str, sha256: str) -> bool:
        """True (and the document kept as it is) when this file is indexed with these exact bytes."""
        self.seen_paths.add(path)
        doc = self.by_path.get(path)
        if self.same_fingerprint and doc and self.old[doc]["sha256"] == sha256:
            self.desired[doc] = self.old[doc]
            return True
        return False

    def failed(self, path: str) -> None:
        self.seen_paths.add(path)
        self.failed_paths.add(path)

    def owner(self, doc: str, path: str) -> str | None:
        """The other file already indexed under this document slug, if any (two files cannot share one)."""
        owner = self.desired.get(doc) or self.old.get(doc)
        if owner and owner["path"] != path and (doc in self.desired or Path(owner["path"]).exists()):
            return str(owner["path"])
        return None

    def put(self, doc: str, entry: DocumentEntry, records: list[ChunkRecord]) -> None:
        """A parsed document; its new chunks are embedded and written in batches as they arrive."""
        self.seen_paths.add(entry.path)
        self.desired[doc] = {"path": entry.path, "sha256": entry.sha256, "keys": entry.keys}
        self.info[doc] = entry.info
        fresh = [r for r in records if r.id not in self.old_ids]
        if fresh:
            self._writer().queue(fresh)

    # -- the switch
    def commit(self, failures: bool = False) -> UpdateResult:
        """Publish a new generation when anything changed; raise when there would be nothing to serve
        (unless the run had `failures` to report, which then explain the empty result)."""
        self._keep_out_of_scope()
        result = self._counts()
        new_ids = {i for e in self.desired.values() for i in e["keys"].values()}
        if self.live and self.live.current and new_ids == self.old_ids and set(self.desired) == set(self.old):
            self._discard()
            result.generation = self.live.generation
            if not self.same_fingerprint or any(
                self.old[d].get("sha256") != e.get("sha256") for d, e in self.desired.items()
            ):
                self.store.save_manifest(
                    self.live.collection, {**self.manifest, "fingerprint": self.fingerprint, "docs": self.desired}
                )
            docs = {doc: {**self.live.docs.get(doc, {}), **self.info.get(doc, {})} for doc in self.desired}
            if docs != {doc: self.live.docs.get(doc) for doc in self.desired}:
                # Same chunks, new document info (a review date, an alias): the pointer is rewritten in place.
                self.store.update_live(dataclasses.replace(self.live, docs=docs))
            return result
        if not self.desired:
            self._discard()
            if self.failed_paths or failures:
                return result
            raise RuntimeError("nothing to index: no monographs were found and none are indexed")
        writer = self._writer()
        writer.copy([i for e in self.desired.values() for i in e["keys"].values() if i in self.old_ids])
        lexical = writer.finish()
        for doc in self.desired:
            if doc not in self.info and self.live and doc in self.live.docs:
                self.info[doc] = self.live.docs[doc]
        info = LiveInfo(
            collection=writer.name,
            generation=self.generation,
            model_id=self.embedder.model_id,
            dim=self.embedder.dim,
            docs={doc: self.info[doc] for doc in self.desired if doc in self.info},
            chunks=writer.written,
            created=time.time(),
            features=FEATURES_VERSION,
            analyzer=ANALYZER_VERSION,
        )
        self.store.publish(
            info,
            lexical,
            {"generation": self.generation, "fingerprint": self.fingerprint, "docs": self.desired},
            writer.records,
        )
        result.embedded, result.generation, result.changed = writer.embedded, self.generation, True
        return result

    def _writer(self) -> GenerationWriter:
        if self.writer is None:
            self.writer = GenerationWriter(
                self.store,
                self.live,
                self.generation,
                self.embedder,
                pooled=self.pooled,
                embed_batch=self.embed_batch,
                progress=self.progress,
            )
        return self.writer

    def _discard(self) -> None:
        if self.writer is not None:
            self.writer.discard()
            self.writer = None

    def _keep_out_of_scope(self) -> None:
        """Documents this run does not speak for stay as they are; removed files in scope go."""
        for doc, entry in self.old.items():
            if doc in self.desired:
                continue
            if entry["path"] in self.failed_paths or (
                not self.replace_all and not _in_scope(entry["path"], self.scope, self.seen_paths)
            ):
                self.desired[doc] = entry

    def _counts(self) -> UpdateResult:
        old = {k: i for e in self.old.values() for k, i in e["keys"].items()}
        new = {k: i for e in self.desired.values() for k, i in e["keys"].items()}
        result = UpdateResult(documents=len(self.desired), chunks=len(new))
        result.sections = len({k.rsplit("#", 1)[0] for k in new})
        for key, cid in new.items():
            if key not in old:
                result.added += 1
            elif old[key] != cid:
                result.updated += 1
            else:
                result.unchanged += 1
        result.removed = sum(1 for key in old if key not in new)
        return result


def _in_scope(doc_path: str, scope: list[Path], files: set[str]) -> bool:
    if doc_path in files:
        return True
    p = Path(doc_path)
    return any(root.is_dir() and p.is_relative_to(root) for root in scope) or any(
        str(root) == doc_path for root in scope
    )
