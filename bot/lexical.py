"""BM25 over the same chunks as the dense index, built at ingest and saved beside it.

A small inverted index in numpy arrays: postings are stored per term with their precomputed BM25
weight, so a query is a handful of vector adds over one score array. Saved as .npy files that load
by memory map, so a process starts serving without rebuilding or reading the whole index.
"""

from __future__ import annotations

import json
import math
import os
import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .text import expand, terms

K1 = 1.2
B = 0.75


@dataclass
class LexicalIndex:
    vocab: dict[str, int]
    indptr: np.ndarray  # term -> slice of postings
    rows: np.ndarray  # postings: chunk row
    weights: np.ndarray  # postings: BM25 weight of term in row
    ids: np.ndarray  # row -> chunk id (fixed-width bytes)
    idf: np.ndarray

    @property
    def size(self) -> int:
        return len(self.ids)

    @classmethod
    def build(cls, ids: list[str], texts: list[str]) -> LexicalIndex:
        docs = [Counter(terms(t)) for t in texts]
        lengths = np.array([sum(d.values()) for d in docs], dtype=np.float32)
        avg = float(lengths.mean()) if len(lengths) else 1.0
        postings: dict[str, list[tuple[int, int]]] = {}
        for row, counts in enumerate(docs):
            for term, tf in counts.items():
                postings.setdefault(term, []).append((row, tf))
        vocab = {term: i for i, term in enumerate(sorted(postings))}
        n = len(ids)
        indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
        all_rows: list[int] = []
        all_weights: list[float] = []
        idf = np.zeros(len(vocab), dtype=np.float32)
        for term, i in vocab.items():
            plist = postings[term]
            idf[i] = math.log(1 + (n - len(plist) + 0.5) / (len(plist) + 0.5))
            for row, tf in plist:
                norm = tf + K1 * (1 - B + B * lengths[row] / max(avg, 1e-9))
                all_rows.append(row)
                all_weights.append(idf[i] * tf * (K1 + 1) / norm)
            indptr[i + 1] = len(all_rows)
        width = max((len(x) for x in ids), default=1)
        return cls(
            vocab=vocab,
            indptr=indptr,
            rows=np.array(all_rows, dtype=np.int32),
            weights=np.array(all_weights, dtype=np.float32),
            ids=np.array([x.encode() for x in ids], dtype=f"S{width}"),
            idf=idf,
        )

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Top chunk ids by BM25; an empty list when no query term is in the corpus."""
        scores = None
        query_terms = terms(query)
        query_terms += [c for c in map(self.correct, query_terms) if c]
        for term in set(expand(query_terms)):
            i = self.vocab.get(term)
            if i is None:
                continue
            if scores is None:
                scores = np.zeros(len(self.ids), dtype=np.float32)
            a, b = self.indptr[i], self.indptr[i + 1]
            scores[self.rows[a:b]] += self.weights[a:b]  # rows are unique within one term's postings
        if scores is None:
            return []
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [(self.ids[r].decode(), float(scores[r])) for r in top if scores[r] > 0]

    def known(self, term: str) -> bool:
        return term in self.vocab

    def correct(self, term: str) -> str | None:
        """The corpus term a misspelt query term most likely meant ("memmory" → "memory"), or None.

        Only unknown terms of five letters or more are corrected, within one edit (two from eight
        letters), among vocabulary terms of similar length and the same first letter.
        """
        if term in self.vocab or len(term) < 5 or not term.isalpha():
            return None
        from .subjects import edit_distance, typo_budget

        if not hasattr(self, "_buckets"):
            buckets: dict[tuple[str, int], list[str]] = {}
            for word in self.vocab:
                if word.isalpha():
                    buckets.setdefault((word[0], len(word)), []).append(word)
            self._buckets = buckets
        budget = typo_budget(term)
        best, best_distance = None, budget + 1
        for length in range(len(term) - budget, len(term) + budget + 1):
            for word in self._buckets.get((term[0], length), ()):
                d = edit_distance(term, word, budget)
                if d < best_distance or (d == best_distance and best is not None and self.term_idf(word) < self.term_idf(best)):
                    best, best_distance = word, d
        return best

    def term_idf(self, term: str) -> float:
        """IDF of a term; unseen terms weigh as much as the rarest ones."""
        i = self.vocab.get(term)
        return float(self.idf[i]) if i is not None else (float(self.idf.max()) if len(self.idf) else 1.0)

    def save(self, directory: Path) -> None:
        """Write to a temporary folder and rename, so a reader never sees half an index."""
        tmp = directory.with_name(f".{directory.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for name in ("indptr", "rows", "weights", "ids", "idf"):
            np.save(tmp / f"{name}.npy", getattr(self, name))
        (tmp / "vocab.json").write_text(json.dumps(self.vocab, separators=(",", ":")))
        shutil.rmtree(directory, ignore_errors=True)
        os.replace(tmp, directory)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        arrays = {name: np.load(directory / f"{name}.npy", mmap_mode="r") for name in ("indptr", "rows", "weights", "ids", "idf")}
        vocab = json.loads((directory / "vocab.json").read_text())
        return cls(vocab=vocab, **arrays)
