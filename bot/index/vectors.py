"""Vectors for a batch of new chunks: each chunk, and each of its sentences for the answer step."""

from __future__ import annotations

import numpy as np

from ..embedding import Embedder
from .schema import ChunkRecord


def vectors_for(
    batch: list[ChunkRecord], reusable: dict[str, tuple[list[float], str]], embedder: Embedder, pooled: bool
) -> tuple[np.ndarray, list[dict]]:
    """Vectors for one batch: reused by vector key where the live generation has them, embedded otherwise.

    Chunks and their sentences go through the model in one length-sorted pass; sentence vectors let the
    answer step rank sentences without embedding anything but the question.
    """
    todo = [r for r in batch if r.vkey not in reusable]
    fresh_vectors: dict[str, np.ndarray] = {}
    if todo and pooled:
        texts = [r.embed_text for r in todo]
        spans = []
        for r, text in zip(todo, texts):
            offset = len(text) - (len(text.split("\n", 1)[1]) if r.kind == "table" else len(r.text))
            spans.append(
                [(offset, len(text))] if r.kind == "table" else [(a + offset, b + offset) for a, b in r.sentences]
            )
        vecs, span_vecs = embedder.embed_with_spans(texts, spans)
        for r, v, sv in zip(todo, vecs, span_vecs):
            fresh_vectors[r.id] = v
            r.sentence_vectors = sv
    elif todo:
        # A table row or a one-sentence chunk is its own only sentence: the answer step ranks it by the
        # chunk's vector, so embedding it again would cost time and add nothing.
        sentence_texts = [[] if r.kind == "table" or len(r.sentences) <= 1 else r.sentence_embed_texts() for r in todo]
        flat = [r.embed_text for r in todo] + [t for own in sentence_texts for t in own]
        vecs = embedder.embed(flat)
        offset = len(todo)
        for r, v, own in zip(todo, vecs, sentence_texts):
            fresh_vectors[r.id] = v
            r.sentence_vectors = vecs[offset : offset + len(own)] if own else None
            offset += len(own)
    embeddings, metadatas = [], []
    for r in batch:
        meta = r.metadata()
        if r.id in fresh_vectors:
            embeddings.append(fresh_vectors[r.id])
        else:
            vec, svec = reusable[r.vkey]
            embeddings.append(np.asarray(vec, dtype=np.float32))
            meta["svec"] = svec
        metadatas.append(meta)
    return np.stack(embeddings), metadatas
