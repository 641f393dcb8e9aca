"""Layer 3, the learned classifier: refuse-or-answer, and which refusal, scored with numpy from exported weights.

Trained with scikit-learn by `monobot guardrail train` (eval/guardrail_train.py) on the generated train
split, calibrated on out-of-fold scores, its threshold set on the dev split. The weights, the hashing
scheme and the calibration are one file, prompts/guardrail/classifier.npz; scoring a message is a lookup
of its hashed n-grams plus one 384-wide dot product, so the runtime never imports scikit-learn or scipy.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .decode import Normalizer, Views
from .features import Concepts, FeatureSpec, Featurizer

ALLOW = "allow"
log = logging.getLogger(__name__)


def concepts_digest(concepts: dict) -> str:
    """A short hash of the concept vocabulary, stored with the weights that were trained on it."""
    return hashlib.sha256(json.dumps(concepts, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Inputs:
    """What the classifier reads of a conversation: the message, the previous user turn, and whether the
    message was encoded (then its embedding describes the encoding and is left out)."""

    text: str
    context: str
    encoded: bool


def inputs(
    normalizer: Normalizer, question: str, history: list[dict], mask: Callable[[str], str] = lambda t: t
) -> tuple[Views, Inputs]:
    """The one way a conversation becomes classifier input, used by training and by the guard alike.

    `mask` replaces product names with one placeholder (topic.py), so what is learned about one drug
    holds for drugs the training set never named."""
    views = normalizer.views(question)
    users = [str(t.get("content", "")) for t in history if t.get("role", "user") == "user"]
    context = mask(normalizer.views(users[-1]).full) if users else ""
    return views, Inputs(text=mask(views.full), context=context, encoded=views.encoded)


@dataclass(frozen=True)
class Prediction:
    refuse: float  # calibrated probability that the message should be refused
    category: str  # the most likely refusal category (even when `refuse` is low)


class Classifier:
    def __init__(self, path: Path, concepts: dict[str, list[str]]) -> None:
        with np.load(path, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            self.buckets = data["buckets"].astype(np.int64)
            self.weights = data["weights"].astype(np.float32)
            self.dense_weights = data["dense_weights"].astype(np.float32)
            self.bias = data["bias"].astype(np.float32)
        self.classes: list[str] = meta["classes"]
        self.calibration: tuple[float, float] = (float(meta["calibration"][0]), float(meta["calibration"][1]))
        self.threshold = float(meta["threshold"])
        self.meta = meta
        if meta.get("concepts") != concepts_digest(concepts):
            log.warning(
                "guardrail: %s was trained on another concepts.yaml; retrain with `monobot guardrail train`", path.name
            )
        self.featurizer = Featurizer(FeatureSpec.from_dict(meta["features"]), Concepts(concepts))
        self._allow = self.classes.index(ALLOW)

    def logits(self, given: Inputs, vector: np.ndarray | None) -> np.ndarray:
        idx, val = self.featurizer.sparse(given.text, given.context)
        pos = np.searchsorted(self.buckets, idx)
        pos = np.minimum(pos, len(self.buckets) - 1)
        hit = self.buckets[pos] == idx
        dense = self.featurizer.dense(vector, given.encoded)
        return val[hit] @ self.weights[pos[hit]] + dense @ self.dense_weights + self.bias

    def predict(self, given: Inputs, vector: np.ndarray | None) -> Prediction:
        z = self.logits(given, vector)
        z = z - z.max()
        p = np.exp(z) / np.exp(z).sum()
        refuse = float(np.clip(1.0 - p[self._allow], 1e-6, 1 - 1e-6))
        a, b = self.calibration
        calibrated = 1.0 / (1.0 + np.exp(-(a * np.log(refuse / (1.0 - refuse)) + b)))
        p[self._allow] = -1.0
        return Prediction(refuse=float(calibrated), category=self.classes[int(np.argmax(p))])
