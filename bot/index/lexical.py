"""BM25 over the same chunks as the dense index, built at ingest and saved beside it.

A small inverted index in numpy arrays: postings are stored per term with their precomputed BM25
weight, so a query is a handful of vector adds over one score array. Saved as .npy files that load
by memory map, so a process starts serving without rebuilding or reading the whole index.
"""

from __future__ import annotations

import bisect
import json
from array import array
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..fuzzy import Neighbours, typo_budget
from ..text import expand, terms
from ..util import atomic_path

K1 = 1.2
B = 0.75
COMMON = 50  # a term in more than 1 chunk in 50 is "common" for query scoring (see LexicalIndex.search)
IMPACT = 2000
EXPANSION_WEIGHT = 0.5  # BM25 weight of a term a query word's reader-language group brings  # a query of common terms only is scored on the rows where each of them weighs most


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
        builder = LexicalBuilder()
        for chunk_id, text in zip(ids, texts):
            builder.add(chunk_id, text)
        return builder.build()

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        """Top chunk ids by BM25; an empty list when no query term is in the corpus.

        Selective terms (in at most 1 chunk in COMMON) are scored over their postings; common terms ("safe",
        "effects" in a 200k-chunk corpus) only add to rows a selective term already found, looked up in their
        sorted postings. A common term cannot lift a row no selective term matched above one that a
        selective term did, so the top k barely changes, and a query no longer touches every row. A query
        of common terms only is scored on the IMPACT rows where each term weighs most.
        """
        query_terms = terms(query)
        query_terms += [c for c in map(self.correct, query_terms) if c]
        # The reader's own words count fully; the words their reader-language groups bring count half, so a
        # lay word finds the clinical passage without letting a group's commoner members swamp the query.
        weight_of: dict[int, float] = {}
        for n_term, term in enumerate(expand(query_terms)):
            i = self.vocab.get(term)
            if i is not None:
                weight_of[i] = max(weight_of.get(i, 0.0), 1.0 if n_term < len(query_terms) else EXPANSION_WEIGHT)
        found = list(weight_of)
        if not found:
            return []
        n = len(self.ids)
        limit = max(n // COMMON, 256)
        sizes = {i: int(self.indptr[i + 1] - self.indptr[i]) for i in found}
        selective = [i for i in found if sizes[i] <= limit]
        common = [i for i in found if sizes[i] > limit]
        scores = np.zeros(n, dtype=np.float32)
        if selective:
            for i in selective:
                a, b = self.indptr[i], self.indptr[i + 1]
                scores[self.rows[a:b]] += weight_of[i] * self.weights[a:b]  # rows are unique within one term's postings
            candidates = np.unique(np.concatenate([self.rows[self.indptr[i] : self.indptr[i + 1]] for i in selective]))
        else:
            # Common terms only ("is it safe", "side effects"): the rows where one of them weighs most.
            candidates = np.unique(np.concatenate([self._impact(i) for i in common]))
        for i in common:
            a, b = self.indptr[i], self.indptr[i + 1]
            postings = self.rows[a:b]
            at = np.searchsorted(postings, candidates)
            hit = at < len(postings)
            hit[hit] &= postings[at[hit]] == candidates[hit]
            scores[candidates[hit]] += weight_of[i] * self.weights[a:b][at[hit]]
        if not len(candidates):
            return []
        k = min(k, len(candidates))
        local = scores[candidates]
        top = np.argpartition(-local, k - 1)[:k]
        top = top[np.argsort(-local[top], kind="stable")]
        return [(self.ids[r].decode(), float(scores[r])) for r in candidates[top] if scores[r] > 0]

    def _impact(self, i: int) -> np.ndarray:
        """The IMPACT rows where term i weighs most, sorted; worked out on first use and kept."""
        cache = self.__dict__.setdefault("_impacts", {})
        rows = cache.get(i)
        if rows is None:
            a, b = self.indptr[i], self.indptr[i + 1]
            weights = self.weights[a:b]
            keep = min(IMPACT, len(weights))
            top = np.argpartition(-weights, keep - 1)[:keep] if keep < len(weights) else np.arange(len(weights))
            rows = cache[i] = np.sort(self.rows[a:b][top])
        return rows

    def doc_share(self, term: str) -> float:
        """The share of chunks that contain the term (0.0 for a term the corpus never uses)."""
        i = self.vocab.get(term)
        return float(self.indptr[i + 1] - self.indptr[i]) / max(1, len(self.ids)) if i is not None else 0.0

    def known(self, term: str) -> bool:
        return term in self.vocab

    def known_stem(self, term: str) -> bool:
        """The corpus uses the word in some form: itself, or a word it begins ("consist" → "consists"), or the
        word with its last letters changed ("conclude" → "concluded", "allergic" → "allergy")."""
        if term in self.vocab:
            return True
        if not hasattr(self, "_sorted"):
            self._sorted = sorted(self.vocab)
        for prefix in {term, term[: max(4, len(term) - 2)]} if len(term) >= 4 else {term}:
            i = bisect.bisect_left(self._sorted, prefix)
            if i < len(self._sorted) and self._sorted[i].startswith(prefix):
                return True
        return False

    def correct(self, term: str) -> str | None:
        """The corpus term a misspelt query term most likely meant ("memmory" → "memory"), or None.

        Only unknown terms of five letters or more are corrected, within one edit (two from eight
        letters), among vocabulary terms of similar length and the same first letter.
        """
        if term in self.vocab or len(term) < 5 or not term.isalpha():
            return None
        if not hasattr(self, "_neighbours"):
            self._neighbours = Neighbours(word for word in self.vocab if word.isalpha())
        budget = typo_budget(term)
        best, best_distance = None, budget + 1
        for word, d in self._neighbours.near(term, budget):
            if d < best_distance or (
                d == best_distance and best is not None and self.term_idf(word) < self.term_idf(best)
            ):
                best, best_distance = word, d
        return best

    def term_idf(self, term: str) -> float:
        """IDF of a term; unseen terms weigh as much as the rarest ones."""
        i = self.vocab.get(term)
        return float(self.idf[i]) if i is not None else (float(self.idf.max()) if len(self.idf) else 1.0)

    def save(self, directory: Path) -> None:
        """Write to a temporary folder and rename, so a reader never sees half an index."""
        with atomic_path(directory) as tmp:
            tmp.mkdir(parents=True)
            for name in ("indptr", "rows", "weights", "ids", "idf"):
                np.save(tmp / f"{name}.npy", getattr(self, name))
            (tmp / "vocab.json").write_text(json.dumps(self.vocab, separators=(",", ":")))

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex:
        arrays = {
            name: np.load(directory / f"{name}.npy", mmap_mode="r")
            for name in ("indptr", "rows", "weights", "ids", "idf")
        }
        vocab = json.loads((directory / "vocab.json").read_text())
        return cls(vocab=vocab, **arrays)


class LexicalBuilder:
    """Collects postings one chunk at a time, as compact integer arrays, so ingest never holds every chunk's
    text at once; `build` weighs them in one vectorised pass (a 200k-chunk corpus without millions of tuples)."""

    def __init__(self) -> None:
        self.first_seen: dict[str, int] = {}
        self.rows_a, self.terms_a, self.tfs_a = array("i"), array("i"), array("i")
        self.lengths = array("f")
        self.ids: list[str] = []

    def add(self, chunk_id: str, text: str) -> None:
        row = len(self.ids)
        self.ids.append(chunk_id)
        counts = Counter(terms(text))
        self.lengths.append(float(sum(counts.values())))
        for term, tf in counts.items():
            self.rows_a.append(row)
            self.terms_a.append(self.first_seen.setdefault(term, len(self.first_seen)))
            self.tfs_a.append(tf)

    def build(self) -> LexicalIndex:
        ids, first_seen = self.ids, self.first_seen
        lengths = np.frombuffer(self.lengths, dtype=np.float32) if len(self.lengths) else np.zeros(0, dtype=np.float32)
        n = len(ids)
        avg = float(lengths.mean()) if n else 1.0
        # Vocabulary in sorted order (stable across runs); postings grouped by term, rows ascending.
        ordered_terms = sorted(first_seen)
        remap = np.empty(len(first_seen), dtype=np.int64)
        for new, term in enumerate(ordered_terms):
            remap[first_seen[term]] = new
        term_ids = (
            remap[np.frombuffer(self.terms_a, dtype=np.int32)] if len(self.terms_a) else np.zeros(0, dtype=np.int64)
        )
        rows = np.frombuffer(self.rows_a, dtype=np.int32) if len(self.rows_a) else np.zeros(0, dtype=np.int32)
        tfs = (
            np.frombuffer(self.tfs_a, dtype=np.int32).astype(np.float32)
            if len(self.tfs_a)
            else np.zeros(0, dtype=np.float32)
        )
        order = np.lexsort((rows, term_ids))
        term_ids, rows, tfs = term_ids[order], rows[order], tfs[order]
        df = np.bincount(term_ids, minlength=len(ordered_terms)).astype(np.float32)
        idf = np.log(1 + (n - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = tfs + K1 * (1 - B + B * lengths[rows] / max(avg, 1e-9))
        weights = (idf[term_ids] * tfs * (K1 + 1) / norm).astype(np.float32)
        indptr = np.zeros(len(ordered_terms) + 1, dtype=np.int64)
        indptr[1:] = np.cumsum(df.astype(np.int64))
        width = max((len(x) for x in ids), default=1)
        return LexicalIndex(
            vocab={term: i for i, term in enumerate(ordered_terms)},
            indptr=indptr,
            rows=rows.astype(np.int32),
            weights=weights,
            ids=np.array([x.encode() for x in ids], dtype=f"S{width}"),
            idf=idf,
        )
