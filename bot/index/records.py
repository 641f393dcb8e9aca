"""Each generation's chunk records and vectors, beside the index, memory-mapped: the read path's own copy.

Chroma answers the dense query; everything a question then needs about the chunks it found (text,
metadata, sources, sentence vectors, the chunk's own vector for BM25-only hits) is read from here by row,
not sent back through Chroma's query result. Asking Chroma for ids and distances only is what makes the
dense step as cheap as a bare vector lookup: documents and metadata with sentence vectors are most of a
query's cost. Chroma keeps the full records too; they are the source of truth, and a host that did not
run the ingest builds this copy from them once (as it does the BM25 index).

Rows are in the same order as the generation's BM25 index. Files: records.bin (one JSON object a row),
offsets.npy, vectors.f16 (rows x dim), svec.f16 (sentences x dim), svec_ptr.npy, and ids.npy / id_rows.npy
(chunk ids sorted, with their rows) for lookups by id.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from orjson import loads as _loads

from ..features import instructed
from ..util import move_into_place, temp_sibling
from .schema import ChunkRecord, decode_vectors


class RecordWriter:
    """Streams rows to a temporary folder; `finish` makes the folder whole, `publish` moves it into place."""

    def __init__(self, directory: Path, dim: int) -> None:
        self.directory = directory
        self.tmp = temp_sibling(directory)
        shutil.rmtree(self.tmp, ignore_errors=True)
        self.tmp.mkdir(parents=True)
        self.dim = dim
        self._records = open(self.tmp / "records.bin", "wb")  # noqa: SIM115 - closed in finish
        self._vectors = open(self.tmp / "vectors.f16", "wb")  # noqa: SIM115
        self._svec = open(self.tmp / "svec.f16", "wb")  # noqa: SIM115
        self._offsets = [0]
        self._svec_ptr = [0]
        self._ids: list[str] = []
        self._subjects: list[str] = []

    def add(self, chunk_id: str, text: str, meta: dict[str, Any], vector: Any) -> None:
        """One row: the chunk as Chroma stores it (metadata with its encoded sentence vectors) and its vector."""
        meta = dict(meta)
        svec = decode_vectors(meta.pop("svec", "") or "")
        record = ChunkRecord.from_chroma(chunk_id, text, meta)
        for key in ("sources", "sentences"):  # JSON strings in Chroma's flat metadata; plain lists here
            if isinstance(meta.get(key), str):
                meta[key] = json.loads(meta[key] or "[]")
        row = {
            "id": chunk_id,
            "text": text,
            "meta": meta,
            # what ranking needs of each sentence, and the chunk's terms with its heading and title (bot/compose.py)
            "si": [info.to_row() for info in record.infos()],
            "ct": sorted(record.terms()),
            "qi": instructed(text),  # quarantined from answers (bot/retrieve.py)
        }
        raw = json.dumps(row, ensure_ascii=False, separators=(",", ":")).encode()
        self._records.write(raw)
        self._offsets.append(self._offsets[-1] + len(raw))
        self._vectors.write(np.asarray(vector, dtype=np.float32).reshape(self.dim).astype(np.float16).tobytes())
        count = 0 if svec is None else len(svec)
        if count:
            self._svec.write(np.asarray(svec, dtype=np.float32).reshape(count, self.dim).astype(np.float16).tobytes())
        self._svec_ptr.append(self._svec_ptr[-1] + count)
        self._ids.append(chunk_id)
        self._subjects.append(str(meta.get("subject") or ""))

    def finish(self) -> None:
        for handle in (self._records, self._vectors, self._svec):
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
        np.save(self.tmp / "offsets.npy", np.asarray(self._offsets, dtype=np.int64))
        np.save(self.tmp / "svec_ptr.npy", np.asarray(self._svec_ptr, dtype=np.int64))
        width = max((len(i) for i in self._ids), default=1)
        ids = np.array([i.encode() for i in self._ids], dtype=f"S{width}")
        order = np.argsort(ids, kind="stable")
        np.save(self.tmp / "ids.npy", ids[order])
        np.save(self.tmp / "id_rows.npy", order.astype(np.int64))
        # Rows by subject, so a question about one drug can be searched within its own rows exactly.
        width = max((len(x.encode()) for x in self._subjects), default=1) or 1
        names = np.array([x.encode() for x in self._subjects], dtype=f"S{width}")
        by_subject = np.argsort(names, kind="stable")
        np.save(self.tmp / "subject_names.npy", names[by_subject])
        np.save(self.tmp / "subject_rows.npy", by_subject.astype(np.int64))
        (self.tmp / "meta.json").write_text(json.dumps({"rows": len(self._ids), "dim": self.dim}))

    def publish(self) -> None:
        move_into_place(self.tmp, self.directory)

    def discard(self) -> None:
        for handle in (self._records, self._vectors, self._svec):
            if not handle.closed:
                handle.close()
        shutil.rmtree(self.tmp, ignore_errors=True)


class RecordStore:
    """Read side: rows by id, memory-mapped, so opening a generation reads almost nothing."""

    def __init__(self, directory: Path) -> None:
        meta = json.loads((directory / "meta.json").read_text())
        self.rows, self.dim = int(meta["rows"]), int(meta["dim"])
        # Plain ndarray views of the maps: np.memmap's own indexing adds microseconds to every lookup.
        self._records = (
            _view(np.memmap(directory / "records.bin", dtype=np.uint8, mode="r"))
            if (directory / "records.bin").stat().st_size
            else np.zeros(0, np.uint8)
        )
        self._offsets = _view(np.load(directory / "offsets.npy", mmap_mode="r"))
        self._vectors = _view(_f16(directory / "vectors.f16", self.dim))
        self._svec = _view(_f16(directory / "svec.f16", self.dim))
        self._svec_ptr = _view(np.load(directory / "svec_ptr.npy", mmap_mode="r"))
        self._ids = _view(np.load(directory / "ids.npy", mmap_mode="r"))
        self._id_rows = _view(np.load(directory / "id_rows.npy", mmap_mode="r"))
        subjects = directory / "subject_names.npy"
        self._subject_names = _view(np.load(subjects, mmap_mode="r")) if subjects.exists() else None
        self._subject_rows = (
            _view(np.load(directory / "subject_rows.npy", mmap_mode="r")) if subjects.exists() else None
        )
        self._dense: np.ndarray | None = None  # float32 copy of the vectors, made on the first exact search

    @staticmethod
    def exists(directory: Path) -> bool:
        return (directory / "meta.json").exists()

    def row_of(self, ids: list[str]) -> list[int | None]:
        if not ids or not len(self._ids):
            return [None] * len(ids)
        wanted = np.array([i.encode() for i in ids], dtype=self._ids.dtype)
        pos = np.searchsorted(self._ids, wanted)
        out: list[int | None] = []
        for p, w in zip(pos, wanted):
            out.append(int(self._id_rows[p]) if p < len(self._ids) and self._ids[p] == w else None)
        return out

    def subject_rows(self, subjects: list[str]) -> np.ndarray | None:
        """Rows of the given subjects (None when this copy predates the subject index)."""
        if self._subject_names is None or self._subject_rows is None:
            return None
        parts = []
        for subject in subjects:
            key = subject.encode()
            if len(key) > self._subject_names.dtype.itemsize:
                continue  # longer than any subject in the index
            a, b = np.searchsorted(self._subject_names, key, "left"), np.searchsorted(self._subject_names, key, "right")
            parts.append(self._subject_rows[a:b])
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def nearest_in(self, rows: np.ndarray, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Exact cosine search over a few rows (one drug's chunks): (row, cosine), best first."""
        if not len(rows):
            return []
        cosines = self._vectors[rows].astype(np.float32) @ qvec
        top = np.argsort(-cosines, kind="stable")[:k]
        return [(int(rows[i]), float(cosines[i])) for i in top]

    def nearest(self, qvec: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Exact cosine search over every row: (row, cosine), best first. For small generations, where one
        matrix-vector product is cheaper than a round trip through Chroma (and needs no Chroma at all)."""
        if self._dense is None:
            self._dense = np.asarray(self._vectors, dtype=np.float32)
        if not len(self._dense):
            return []
        cosines = self._dense @ qvec
        k = min(k, len(cosines))
        top = np.argpartition(-cosines, k - 1)[:k]
        top = top[np.argsort(-cosines[top], kind="stable")]
        return [(int(i), float(cosines[i])) for i in top]

    def record(self, row: int) -> ChunkRecord:
        a, b = int(self._offsets[row]), int(self._offsets[row + 1])
        raw = _loads(self._records[a:b].tobytes())
        record = ChunkRecord.from_chroma(raw["id"], raw["text"], raw["meta"])
        if "si" in raw:  # kept raw: only the few passages an answer quotes ever need them as objects
            record.precomputed = (raw["si"], raw["ct"])
        record.instructed = raw.get("qi")  # absent in copies written before it was kept: worked out on use
        s, e = int(self._svec_ptr[row]), int(self._svec_ptr[row + 1])
        record.sentence_vectors = self._svec[s:e] if e > s else None  # float16 view; the dot product upcasts
        return record

    def vector(self, row: int) -> np.ndarray:
        return np.asarray(self._vectors[row], dtype=np.float32)


def _view(array: np.ndarray) -> np.ndarray:
    return array.view(np.ndarray)


def _f16(path: Path, dim: int) -> np.ndarray:
    if not path.stat().st_size:
        return np.zeros((0, dim), dtype=np.float16)
    return np.memmap(path, dtype=np.float16, mode="r").reshape(-1, dim)


def build_from(rows: Iterable[tuple[str, str, dict[str, Any], Any]], directory: Path, dim: int) -> RecordStore:
    """The copy for a generation this host did not write, from the store's own records."""
    writer = RecordWriter(directory, dim)
    try:
        for chunk_id, text, meta, vector in rows:
            writer.add(chunk_id, text, meta, vector)
        writer.finish()
        writer.publish()
    except BaseException:
        writer.discard()
        raise
    return RecordStore(directory)
