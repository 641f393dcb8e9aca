"""Where the index lives: generations, the live pointer, and opening one generation for reading.

Layout. Each ingest that changes anything writes a complete new Chroma collection (a generation:
unchanged chunks are copied with their vectors, only new text is embedded), saves that generation's
BM25 index and manifest beside it, and only then moves the live pointer. Readers resolve the pointer
once per question and read one generation throughout, so a crash or kill mid-ingest leaves the old
index serving and no answer ever mixes two generations. The previous generation is kept until the next
ingest so that questions in flight at the switch finish on the index they started with.

The pointer is a file in the store folder for the embedded Chroma, and a record in a small meta
collection on a Chroma server (so every web worker sees the same generation).
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import logging
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from ..features import FEATURES_VERSION
from ..settings import Settings
from ..text import ANALYZER_VERSION
from ..util import atomic_write_text
from .lexical import LexicalIndex
from .records import RecordStore, build_from
from .schema import SCHEMA_VERSION, ChunkRecord, IndexUnavailable, embed_text

log = logging.getLogger(__name__)

BATCH = 2000


# ---------------------------------------------------------------------------------------------- store
@dataclass
class LiveInfo:
    collection: str
    generation: int
    model_id: str
    dim: int
    docs: dict[str, dict[str, Any]]  # title, subject, url, aliases (and review date) per document
    chunks: int
    created: float
    schema: int = SCHEMA_VERSION
    features: int | str = 0  # FEATURES_VERSION and ANALYZER_VERSION the generation's derived files were made with
    analyzer: str = ""

    @property
    def current(self) -> bool:
        """Its stored features and terms are the ones this monobot computes (else they are rebuilt)."""
        return self.features == FEATURES_VERSION and self.analyzer == ANALYZER_VERSION

    def to_json(self) -> str:
        fields = {k: v for k, v in self.__dict__.items() if not k.startswith("_")}  # not the cached aliases
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, raw: str) -> LiveInfo:
        return cls(**json.loads(raw))

    @property
    def aliases(self) -> dict[str, str]:
        """Other names readers use -> the subject they name ("ashwagandha" -> "Withania somnifera")."""
        return self._alias_maps()[0]

    @property
    def cased_aliases(self) -> dict[str, str]:
        """Other names that count only as written ("SAMe" -> "S-Adenosyl methionine"; not "same")."""
        return self._alias_maps()[2]

    def aliases_of(self, subject: str) -> list[str]:
        """The other names of one subject ("NAC" for Acetylcysteine), cased ones included."""
        return self._alias_maps()[1].get(subject, [])

    def _alias_maps(self) -> tuple[dict[str, str], dict[str, list[str]], dict[str, str]]:
        """Both directions, worked out once per opened generation (a live pointer is never changed once read):
        every question reads them, and at 10,000 documents a walk over them costs milliseconds."""
        cached = self.__dict__.get("_alias_cache")
        if cached is None:
            by_alias: dict[str, str] = {}
            by_subject: dict[str, list[str]] = {}
            cased: dict[str, str] = {}
            for info in self.docs.values():
                subject = info.get("subject")
                if not subject:
                    continue
                for key, into in (("aliases", by_alias), ("cased_aliases", cased)):
                    for alias in info.get(key) or []:
                        if alias not in into:
                            into[alias] = subject
                            by_subject.setdefault(subject, []).append(alias)
            cached = self.__dict__["_alias_cache"] = (by_alias, by_subject, cased)
        return cached

    @property
    def subjects(self) -> list[str]:
        seen: dict[str, None] = {}
        for info in self.docs.values():
            if info.get("subject"):
                seen.setdefault(info["subject"], None)
        return list(seen)


@dataclass
class Snapshot:
    """One generation, opened: everything a question needs, fixed for the whole question.

    Reads go through `query` and `fetch`, which turn any store failure (a Chroma server gone, a
    timeout) into IndexUnavailable and drop the cached handles, so the next question reconnects.
    """

    info: LiveInfo
    opener: Callable[[], Any]  # opens the generation's Chroma collection, on first use only
    lexical: LexicalIndex
    on_failure: Callable[[], None] | None = None
    records: RecordStore | None = None  # chunk rows read locally by id (bot/index/records.py)
    _collection: Any = None

    @property
    def collection(self) -> Any:
        """The Chroma collection, opened when a question first needs it. A small generation answers from
        its record copy alone, so a cold `monobot ask` never imports chromadb (about half a second)."""
        if self._collection is None:
            self._collection = self._guard(self.opener)
        return self._collection

    def _guard(self, call: Callable[..., Any], **kwargs: Any) -> Any:
        try:
            return call(**kwargs)
        except Exception as exc:
            if self.on_failure is not None:
                self.on_failure()
            raise IndexUnavailable(f"the store did not answer ({type(exc).__name__})") from exc

    def query(self, **kwargs: Any) -> dict:
        return self._guard(self.collection.query, **kwargs)

    def fetch(self, **kwargs: Any) -> dict:
        return self._guard(self.collection.get, **kwargs)

    def get(self, ids: list[str]) -> dict[str, ChunkRecord]:
        if not ids:
            return {}
        got = self.fetch(ids=ids, include=["documents", "metadatas"])
        return {i: ChunkRecord.from_chroma(i, d, m) for i, d, m in zip(got["ids"], got["documents"], got["metadatas"])}

    def rows(self, ids: list[str]) -> dict[str, tuple[ChunkRecord, np.ndarray]]:
        """Records and chunk vectors by id: from the local copy, and from Chroma for any id it lacks."""
        out: dict[str, tuple[ChunkRecord, np.ndarray]] = {}
        missing = list(ids)
        if self.records is not None:
            missing = []
            for chunk_id, row in zip(ids, self.records.row_of(ids)):
                if row is None:
                    missing.append(chunk_id)
                else:
                    out[chunk_id] = (self.records.record(row), self.records.vector(row))
        if missing:
            got = self.fetch(ids=missing, include=["documents", "metadatas", "embeddings"])
            for i, d, m, e in zip(got["ids"], got["documents"], got["metadatas"], got["embeddings"]):
                out[i] = (ChunkRecord.from_chroma(i, d, m), np.asarray(e, dtype=np.float32))
        return out


def open_client(settings: Settings) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url if "://" in settings.chroma_url else f"http://{settings.chroma_url}")
        client = chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=chroma_settings,
        )
        _bound_timeouts(client, settings.chroma_timeout)
        return client
    Path(settings.store).mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(Path(settings.store) / "chroma"), settings=chroma_settings)


def _bound_timeouts(client: Any, seconds: float) -> None:
    """chromadb's HTTP client waits forever by default; a hung server must not hang every question."""
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is not None:
        session.timeout = httpx.Timeout(seconds, connect=min(seconds, 2.0))


class IndexStore:
    """Opens generations for reading and writes new ones; the only code that knows collection names."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        self.settings = settings
        self.root = Path(settings.store)
        self.prefix = settings.collection
        self._client = client
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._pointer_seen: tuple[Any, float] = (None, 0.0)
        self._token: Any = None

    # -- plumbing
    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                self._client = open_client(self.settings)
            except Exception as exc:
                raise IndexUnavailable(f"cannot open the Chroma store: {exc}") from exc
        return self._client

    @property
    def server_mode(self) -> bool:
        return bool(self.settings.chroma_url)

    def _pointer_file(self) -> Path:
        return self.root / f"{self.prefix}-live.json"

    def _meta_collection(self) -> Any:
        return self.client.get_or_create_collection(f"{self.prefix}-meta", embedding_function=None)

    # Derived files are named by the analyser and features they were made with: a monobot whose analyser or
    # features differ builds its own copy once from the store, instead of ranking with stale ones.
    def lexical_dir(self, collection: str) -> Path:
        return self.root / "lexical" / f"{collection}~a{ANALYZER_VERSION}"

    def records_dir(self, collection: str) -> Path:
        return self.root / "records" / f"{collection}~f{FEATURES_VERSION}~a{ANALYZER_VERSION}"

    def manifest_path(self, collection: str) -> Path:
        return self.root / "manifests" / f"{collection}.json"

    # -- pointer
    def read_live(self) -> LiveInfo | None:
        if self.server_mode:
            try:
                got = self._meta_collection().get(ids=["live"], include=["documents"])
            except Exception as exc:
                raise IndexUnavailable(f"Chroma server at {self.settings.chroma_url} is unreachable: {exc}") from exc
            return LiveInfo.from_json(got["documents"][0]) if got["ids"] else None
        path = self._pointer_file()
        if not path.exists():
            return None
        return LiveInfo.from_json(path.read_text())

    def _write_live(self, info: LiveInfo) -> None:
        if self.server_mode:
            self._meta_collection().upsert(ids=["live"], embeddings=[[1.0]], documents=[info.to_json()])
            return
        atomic_write_text(self._pointer_file(), info.to_json())

    def update_live(self, info: LiveInfo) -> None:
        """Rewrite the live pointer for the same generation (document info only; chunks are unchanged)."""
        self._write_live(info)

    def _pointer_token(self) -> Any:
        """Something that changes when the live pointer changes, cheap enough to check on every question."""
        if self.server_mode:
            token, checked = self._pointer_seen
            if time.monotonic() - checked < 1.0 and token is not None:
                return token
            info = self.read_live()
            token = info.collection if info else None
            self._pointer_seen = (token, time.monotonic())
            return token
        try:
            st = self._pointer_file().stat()
        except FileNotFoundError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    # -- reading
    def snapshot(self) -> Snapshot:
        """The live generation, reopened only when the pointer moved."""
        token = self._pointer_token()
        with self._lock:
            current = self._snapshot
            if current is not None and token is not None and token == self._token:
                return current
            info = self.read_live()
            if info is None:
                raise IndexUnavailable("the index is empty: run `monobot ingest PATH`")
            if current is not None and current.info.collection == info.collection:
                current.info = info  # the same generation, its document info rewritten (bot/index/writer.py)
                self._token = token
                return current
            opener = functools.partial(self._open_collection, info.collection)
            lexical = self._load_lexical(info.collection, opener)
            records = self._load_records(info, opener)
            self._snapshot = Snapshot(
                info=info, opener=opener, lexical=lexical, on_failure=self.forget, records=records
            )
            self._token = token
            return self._snapshot

    def _open_collection(self, name: str) -> Any:
        try:
            return self.client.get_collection(name, embedding_function=None)
        except IndexUnavailable:
            raise
        except Exception as exc:
            raise IndexUnavailable(f"live collection {name} cannot be opened: {exc}") from exc

    def _load_lexical(self, name: str, opener: Callable[[], Any]) -> LexicalIndex:
        directory = self.lexical_dir(name)
        if (directory / "vocab.json").exists():
            return LexicalIndex.load(directory)
        # A worker on another host than the ingest: build this generation's BM25 once from the server, then keep it.
        log.info("building the lexical index for %s from the store", name)
        ids: list[str] = []
        texts: list[str] = []
        for batch_ids, docs, metas, _ in iter_collection(opener(), include=["documents", "metadatas"]):
            ids.extend(batch_ids)
            texts.extend(embed_text(m["title"], m["section"], d, m["anchor"]) for d, m in zip(docs, metas))
        lexical = LexicalIndex.build(ids, texts)
        lexical.save(directory)
        return LexicalIndex.load(directory)

    def _load_records(self, info: LiveInfo, opener: Callable[[], Any]) -> RecordStore | None:
        directory = self.records_dir(info.collection)
        if RecordStore.exists(directory):
            return RecordStore(directory)
        # A generation written on another host (or by an older monobot): copy its rows out of the store once.
        log.info("building the local record copy for %s from the store", info.collection)

        def rows() -> Iterator[tuple[str, str, dict, Any]]:
            for ids, docs, metas, embeddings in iter_collection(
                opener(), include=["documents", "metadatas", "embeddings"]
            ):
                yield from zip(ids, docs, metas, embeddings)

        try:
            return build_from(rows(), directory, info.dim)
        except OSError as exc:  # a read-only store folder: read every chunk through Chroma instead
            log.warning("no local record copy for %s (%s); reading chunks through the store", info.collection, exc)
            return None

    def ping(self) -> LiveInfo:
        """Readiness: the store answers and holds a live generation that can be opened."""
        snap = self.snapshot()
        try:
            snap.collection.count()
        except Exception as exc:
            with self._lock:
                self._snapshot = None
            raise IndexUnavailable(f"the store does not answer: {exc}") from exc
        return snap.info

    def forget(self) -> None:
        """Drop cached handles (and the server connection), e.g. after the Chroma server went away."""
        with self._lock:
            self._snapshot = None
            self._pointer_seen = (None, 0.0)
            self._token = None
            if self.server_mode:
                self._client = None

    # -- writing (ingest only)
    def lock(self) -> IngestLock:
        self.root.mkdir(parents=True, exist_ok=True)
        return IngestLock(self.root / f"{self.prefix}-ingest.lock")

    def new_generation(self, generation: int) -> tuple[str, Any]:
        name = f"{self.prefix}-g{generation:06d}"
        self._drop(name)  # a leftover of a crashed run
        return name, self.client.create_collection(
            name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}}
        )

    def publish(self, info: LiveInfo, lexical: LexicalIndex, manifest: dict, records: Any = None) -> None:
        lexical.save(self.lexical_dir(info.collection))
        if records is not None:
            records.publish()
        self.save_manifest(info.collection, manifest)
        previous = self.read_live()
        self._write_live(info)
        keep = {info.collection} | ({previous.collection} if previous else set())
        try:  # best effort: the new generation is live now, and the next ingest removes whatever is left
            self.cleanup(keep)
        except OSError as exc:
            log.warning("old generations not removed yet (%s)", exc.strerror or type(exc).__name__)

    def save_manifest(self, collection: str, manifest: dict) -> None:
        atomic_write_text(self.manifest_path(collection), json.dumps(manifest, separators=(",", ":")), fsync=False)

    def cleanup(self, keep: set[str]) -> None:
        """Delete generations other than `keep` (crash leftovers and superseded ones) and their sidecars."""
        for col in self.client.list_collections():
            name = col if isinstance(col, str) else col.name
            if name.startswith(f"{self.prefix}-g") and name not in keep:
                self._drop(name)
        for directory in (self.root / "lexical", self.root / "manifests", self.root / "records"):
            if directory.exists():
                for item in directory.iterdir():
                    base = item.name.removesuffix(".json").split("~")[0].lstrip(".")
                    if base.startswith(f"{self.prefix}-g") and base not in keep:
                        if item.is_dir():
                            shutil.rmtree(item, ignore_errors=True)
                        else:
                            item.unlink(missing_ok=True)

    def discard(self, name: str) -> None:
        """Remove an unpublished generation and its sidecars (a failed ingest)."""
        self._drop(name)
        shutil.rmtree(self.lexical_dir(name), ignore_errors=True)
        shutil.rmtree(self.records_dir(name), ignore_errors=True)
        self.manifest_path(name).unlink(missing_ok=True)

    def _drop(self, name: str) -> None:
        with contextlib.suppress(Exception):  # absent is fine; any other failure shows at the next create
            self.client.delete_collection(name)

    def load_manifest(self, info: LiveInfo) -> dict:
        """The live generation's manifest; rebuilt from chunk metadata when this host never wrote it."""
        path = self.manifest_path(info.collection)
        if path.exists():
            return json.loads(path.read_text())
        collection = self.client.get_collection(info.collection, embedding_function=None)
        docs: dict[str, dict] = {}
        for ids, _, metas, _ in iter_collection(collection, include=["metadatas"]):
            for i, m in zip(ids, metas):
                entry = docs.setdefault(
                    m["doc"], {"path": m.get("path", ""), "sha256": m.get("doc_hash", ""), "keys": {}}
                )
                entry["keys"][f"{m['doc']}#{m['anchor']}#{m['chunk_index']}"] = i
        return {"generation": info.generation, "fingerprint": None, "docs": docs}


def iter_collection(collection: Any, include: list[str], batch: int = BATCH) -> Iterator[tuple[list, list, list, Any]]:
    offset = 0
    while True:
        got = collection.get(include=include, limit=batch, offset=offset)
        if not got["ids"]:
            return
        yield (
            got["ids"],
            got.get("documents") or [None] * len(got["ids"]),
            got.get("metadatas") or [None] * len(got["ids"]),
            got.get("embeddings"),
        )
        offset += len(got["ids"])


class IngestLock:
    """One ingest at a time per store: a second one fails fast with a clear message instead of racing."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fh: Any = None

    def __enter__(self) -> IngestLock:
        self._fh = open(self.path, "a+")
        try:
            fcntl.flock(self._fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._fh.close()
            raise RuntimeError(f"another ingest is running on this store ({self.path})") from None
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._fh, fcntl.LOCK_UN)
        self._fh.close()
