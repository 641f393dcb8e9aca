"""Nearest labelled exemplars, with the bot's own embedding model: a backstop for paraphrases no rule names.

Exemplar vectors are computed once per process; a check is one matrix-vector product over a vector the
chain computes anyway for retrieval, so the layer adds microseconds, not an embedding.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .policy import Policy

REFUSE_SIMILARITY = 0.84  # a near-paraphrase of a refuse exemplar...
MARGIN = 0.08  # ...and clearly closer to it than to any allowed look-alike


@dataclass
class Nearest:
    category: str | None
    refuse: float
    answer: float

    @property
    def refuses(self) -> bool:
        return self.category is not None and self.refuse >= REFUSE_SIMILARITY and self.refuse - self.answer >= MARGIN


class ExemplarIndex:
    def __init__(self, policy: Policy, embed) -> None:  # embed: Callable[[list[str]], np.ndarray]
        self.policy = policy
        self._embed = embed
        self._lock = threading.Lock()
        self._refuse: np.ndarray | None = None
        self._labels: list[str] = []
        self._answer: np.ndarray | None = None

    def _ensure(self) -> None:
        if self._refuse is None:
            with self._lock:
                if self._refuse is None:
                    texts, labels = [], []
                    for category, exemplars in self.policy.refuse.items():
                        texts += exemplars
                        labels += [category] * len(exemplars)
                    self._labels = labels
                    self._answer = self._embed(self.policy.answer)
                    self._refuse = self._embed(texts)

    def nearest(self, vector: np.ndarray) -> Nearest:
        self._ensure()
        assert self._refuse is not None and self._answer is not None
        refuse = self._refuse @ vector
        best = int(np.argmax(refuse))
        return Nearest(self._labels[best], float(refuse[best]), float(np.max(self._answer @ vector)))
