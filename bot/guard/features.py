"""The classifier's features, shared by training (eval/guardrail_train.py) and inference, so they cannot drift.

A message becomes a sparse vector of hashed character n-grams (which hold across languages, spellings and
leftover obfuscation) and word n-grams, a smaller block of the previous user turn's words (so a follow-up is
read with what it follows), and a dense block: the question's sentence embedding (all-MiniLM-L6-v2, the
vector the chain computes anyway for retrieval) and two flags. Hashing uses CRC-32, which is the same in
every process and on every machine; the scheme's parameters travel with the exported weights.
"""

from __future__ import annotations

import functools
import re
import zlib
from dataclasses import asdict, dataclass

import numpy as np

_WORDS = re.compile(r"[^\W_]+(?:['-][^\W_]+)*|[\u4e00-\u9fff]")
_CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")


class Concepts:
    """Words of several languages mapped to shared concepts (prompts/guardrail/concepts.yaml)."""

    def __init__(self, spec: dict[str, list[str]]) -> None:
        self.names = sorted(spec)
        self._patterns = []
        for name in self.names:
            cjk = [re.escape(w) for w in spec[name] if re.search(r"[\u4e00-\u9fff]", str(w))]
            words = [
                re.escape(str(w).lower()[:-1]) + r"[\w'-]*" if str(w).endswith("*") else re.escape(str(w).lower())
                for w in spec[name]
                if not re.search(r"[\u4e00-\u9fff]", str(w))
            ]
            parts = []
            if words:
                parts.append(r"(?<![\w'])(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")(?![\w'])")
            if cjk:
                parts.append("(?:" + "|".join(cjk) + ")")
            self._patterns.append(re.compile("|".join(parts)))

    def found(self, text: str) -> list[tuple[int, str]]:
        """(position, concept) of every concept mention, in text order."""
        hits = [(m.start(), name) for name, p in zip(self.names, self._patterns) for m in p.finditer(text)]
        return sorted(hits)


@dataclass(frozen=True)
class FeatureSpec:
    bits: int = 18  # hash buckets = 2**bits
    char_min: int = 2
    char_max: int = 5
    char_weight: float = 1.0  # the character n-gram block (0 leaves it out)
    word_weight: float = 1.0  # the word n-gram block
    concept_weight: float = 1.0  # the concept block
    context_weight: float = 0.6  # the previous turn's block, relative to the message's own
    vector_weight: float = 1.0  # the sentence embedding, relative to one n-gram block
    dim: int = 384  # the embedding's width

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSpec:
        return cls(**{k: type(getattr(cls(), k))(v) for k, v in data.items() if k in cls.__dataclass_fields__})


def _bucket(key: str, mask: int) -> int:
    return zlib.crc32(key.encode("utf-8")) & mask


def _block(keys: list[str], mask: int, weight: float) -> dict[int, float]:
    """Binary presence of each hashed key, scaled so the block has L2 norm `weight`."""
    buckets = {_bucket(k, mask) for k in keys}
    if not buckets:
        return {}
    value = weight / np.sqrt(len(buckets))
    return dict.fromkeys(buckets, value)


def _char_grams(text: str, low: int, high: int) -> list[str]:
    grams: list[str] = []
    for word in _WORDS.findall(text):
        padded = f" {word} "
        for n in range(low, high + 1):
            grams += [padded[i : i + n] for i in range(max(1, len(padded) - n + 1))]
    for run in _CJK_RUN.findall(text):  # Chinese has no spaces: character bigrams and trigrams of each run
        grams += [run[i : i + n] for n in (2, 3) for i in range(len(run) - n + 1)]
    return grams


def _word_grams(text: str) -> list[str]:
    words = _WORDS.findall(text)
    return words + [f"{a} {b}" for a, b in zip(words, words[1:])]


class Featurizer:
    def __init__(self, spec: FeatureSpec, concepts: Concepts | None = None) -> None:
        self.spec = spec
        self.concepts = concepts
        # A conversation's earlier turns come back with every question: their blocks are computed once.
        self._message_blocks = functools.lru_cache(maxsize=4096)(self._message)
        self._context_blocks = functools.lru_cache(maxsize=4096)(self._context)
        self.mask = (1 << spec.bits) - 1
        self.dense_dim = spec.dim + 2

    def sparse(self, text: str, context: str = "") -> tuple[np.ndarray, np.ndarray]:
        """(bucket indices, values) of a normalised message and its normalised context."""
        merged: dict[int, float] = {}
        blocks = list(self._message_blocks(text))
        if context:
            blocks += self._context_blocks(context)
        for block in blocks:
            for key, value in block.items():
                merged[key] = merged.get(key, 0.0) + value
        idx = np.fromiter(merged.keys(), dtype=np.int64, count=len(merged))
        val = np.fromiter(merged.values(), dtype=np.float32, count=len(merged))
        return idx, val

    def _message(self, text: str) -> tuple[dict[int, float], ...]:
        spec = self.spec
        blocks = []
        if spec.char_weight:
            grams = _char_grams(text, spec.char_min, spec.char_max)
            blocks.append(_block(["c:" + g for g in grams], self.mask, spec.char_weight))
        if spec.word_weight:
            blocks.append(_block(["w:" + g for g in _word_grams(text)], self.mask, spec.word_weight))
        if self.concepts is not None and spec.concept_weight:
            blocks.append(_block(self._concept_keys(text, "k"), self.mask, spec.concept_weight))
        return tuple(blocks)

    def _context(self, context: str) -> tuple[dict[int, float], ...]:
        weight = self.spec.context_weight
        blocks = [_block(["p:" + g for g in _word_grams(context)], self.mask, weight)]
        if self.concepts is not None:
            blocks.append(_block(self._concept_keys(context, "pk"), self.mask, weight))
        return tuple(blocks)

    def _concept_keys(self, text: str, ns: str) -> list[str]:
        """Each concept, each pair present together, and each pair of neighbours in order."""
        assert self.concepts is not None
        hits = self.concepts.found(text)
        present = sorted({name for _, name in hits})
        keys = [f"{ns}:{a}" for a in present]
        keys += [f"{ns}2:{a}|{b}" for i, a in enumerate(present) for b in present[i + 1 :]]
        keys += [f"{ns}>:{a}>{b}" for (_, a), (_, b) in zip(hits, hits[1:]) if a != b]
        keys.append(f"{ns}#:{min(len(present), 6)}")
        return keys

    def dense(self, vector: np.ndarray | None, encoded: bool) -> np.ndarray:
        """The embedding (zero when absent or when it describes an encoding, not a request) and two flags."""
        out = np.zeros(self.dense_dim, dtype=np.float32)
        usable = vector is not None and not encoded and vector.shape[-1] == self.spec.dim
        if usable:
            assert vector is not None
            out[: self.spec.dim] = np.asarray(vector, dtype=np.float32) * self.spec.vector_weight
        out[self.spec.dim] = 1.0 if usable else 0.0
        out[self.spec.dim + 1] = 1.0 if encoded else 0.0
        return out
