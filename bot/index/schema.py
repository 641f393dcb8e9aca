"""The index's record schema: one chunk as stored, and the keys that decide when it must be re-embedded.

Ingest builds these records; the index writes them to Chroma and to the record copy; retrieval reads
them back. SCHEMA_VERSION enters every vector key, so a change here re-embeds rather than mixes.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..features import SentenceInfo, chunk_terms, sentence_info
from ..text import render_row, strip_citations

SCHEMA_VERSION = 1


class IndexUnavailable(RuntimeError):
    """The store cannot be reached or holds no index; surfaces as 'not ready' rather than a crash."""


@dataclass
class ChunkRecord:
    """One retrievable piece of a monograph section, as stored (text = Chroma document, the rest = metadata)."""

    id: str
    text: str
    doc: str
    title: str
    subject: str
    section: str
    anchor: str
    url: str
    ordinal: int
    section_index: int
    chunk_index: int
    kind: str  # "text" | "table"
    hash: str
    vkey: str = (
        ""  # hash of model + embedded text: equal vkeys share vectors, so metadata-only changes re-embed nothing
    )
    sources: list[dict] = field(default_factory=list)
    sentences: list[tuple[int, int]] = field(default_factory=list)
    _vectors: Any = None  # np.ndarray, or the encoded string until first use (most hits never need theirs)
    path: str = ""
    doc_hash: str = ""
    # Features worked out at ingest (bot/features.py), as stored in the record copy; turned into objects on use.
    precomputed: tuple[list, list] | None = None
    instructed: bool | None = None  # holds an instruction-like sentence (None: not worked out yet)
    _infos: list[SentenceInfo] | None = None
    _terms: frozenset[str] | None = None

    @property
    def sentence_vectors(self) -> np.ndarray | None:
        if isinstance(self._vectors, str):
            self._vectors = decode_vectors(self._vectors)
        return self._vectors

    @sentence_vectors.setter
    def sentence_vectors(self, value: np.ndarray | None) -> None:
        self._vectors = value

    @property
    def embed_text(self) -> str:
        body = render_row(self.text) if self.kind == "table" else self.text
        return embed_text(self.title, self.section, body, self.anchor)

    def sentence_texts(self) -> list[str]:
        """The sentences as the answer quotes them: source markers removed, a table row labelled by its header."""
        if self.kind == "table":
            return [render_row(self.text)]
        return [strip_citations(self.text[a:b]) for a, b in self.sentences]

    def sentence_embed_texts(self) -> list[str]:
        """What is embedded per sentence: the monograph's subject ("Semax — ...") tells the model which drug a
        sentence is about; the whole title would cost a dozen more word pieces per sentence for little more."""
        return [f"{self.subject or self.title} — {text}" for text in self.sentence_texts()]

    def infos(self) -> list[SentenceInfo]:
        """The sentences for ranking: from the record copy when it carries them, else worked out now."""
        if self._infos is None:
            if self.precomputed is not None:
                self._infos = [SentenceInfo.from_row(row) for row in self.precomputed[0]]
            else:
                raws = [self.text] if self.kind == "table" else [self.text[a:b] for a, b in self.sentences]
                self._infos = [sentence_info(raw, text, self.kind) for raw, text in zip(raws, self.sentence_texts())]
        return self._infos

    def terms(self) -> frozenset[str]:
        """The chunk's terms with heading and title, as the topic check matches them."""
        if self._terms is None:
            if self.precomputed is not None:
                self._terms = frozenset(self.precomputed[1])
            else:
                self._terms = chunk_terms(self.text, self.section, self.title)
        return self._terms

    @property
    def key(self) -> str:
        """Position of the chunk in the corpus: a new id at the same key is an update, not an add."""
        return f"{self.doc}#{self.anchor}#{self.chunk_index}"

    def metadata(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_VERSION,
            "doc": self.doc,
            "title": self.title,
            "subject": self.subject,
            "section": self.section,
            "anchor": self.anchor,
            "url": self.url,
            "ordinal": self.ordinal,
            "section_index": self.section_index,
            "chunk_index": self.chunk_index,
            "kind": self.kind,
            "hash": self.hash,
            "vkey": self.vkey,
            "sources": json.dumps(self.sources, ensure_ascii=False, separators=(",", ":")),
            "sentences": json.dumps(self.sentences, separators=(",", ":")),
            "svec": encode_vectors(self.sentence_vectors),
            "path": self.path,
            "doc_hash": self.doc_hash,
        }

    @classmethod
    def from_chroma(cls, id: str, document: str, meta: dict[str, Any]) -> ChunkRecord:
        """From Chroma's flat metadata (lists as JSON strings) or the record copy's (lists as lists)."""
        return cls(
            id=id,
            text=document,
            doc=meta["doc"],
            title=meta["title"],
            subject=meta.get("subject", ""),
            section=meta["section"],
            anchor=meta["anchor"],
            url=meta["url"],
            ordinal=int(meta["ordinal"]),
            section_index=int(meta["section_index"]),
            chunk_index=int(meta["chunk_index"]),
            kind=meta["kind"],
            hash=meta["hash"],
            vkey=meta.get("vkey", ""),
            sources=_listed(meta.get("sources")),
            sentences=[tuple(s) for s in _listed(meta.get("sentences"))],
            _vectors=meta.get("svec") or None,
            path=meta.get("path", ""),
            doc_hash=meta.get("doc_hash", ""),
        )


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else json.loads(value or "[]")


def embed_text(title: str, section: str, text: str, anchor: str = "x") -> str:
    """What the embedding model and BM25 read: the chunk with its monograph title and heading in front.

    The prefix carries the subject into every chunk, so "is it safe?" finds the page about the drug asked
    about rather than any page about safety.
    """
    heading = f" — {section}" if anchor else ""
    return f"{title}{heading}\n{text}"


def vector_key(model_id: str, text: str) -> str:
    return hashlib.sha256(f"{SCHEMA_VERSION}\x1f{model_id}\x1f{text}".encode()).hexdigest()[:32]


def chunk_id(vkey: str, key: str, identity: str) -> str:
    """Stable while nothing about the chunk changes; any change of text, position or metadata gives a new id."""
    return hashlib.sha256(f"{vkey}\x1f{key}\x1f{identity}".encode()).hexdigest()[:32]


def encode_vectors(vectors: np.ndarray | None) -> str:
    """Sentence vectors as compact float16 base64 in the chunk's metadata: they travel with the chunk to any Chroma."""
    if vectors is None or len(vectors) == 0:
        return ""
    return f"{vectors.shape[1]}:" + base64.b64encode(vectors.astype(np.float16).tobytes()).decode()


def decode_vectors(value: str) -> np.ndarray | None:
    if not value:
        return None
    dim, payload = value.split(":", 1)
    return np.frombuffer(base64.b64decode(payload), dtype=np.float16).reshape(-1, int(dim)).astype(np.float32)
