"""Train the guardrail's classifier with scikit-learn and export it for numpy scoring (bot/guard/classifier.py).

    monobot guardrail train                 # fit on gen/train, calibrate, set the threshold on gen/dev, export

- Features come from bot.guard.features through bot.guard.classifier.inputs: the same code the guard runs.
- The model is a multinomial logistic regression over {allow, dosing, personalization,
  self_administration, sourcing}; the refusal score is 1 - P(allow).
- Calibration: a sigmoid (Platt) fitted on out-of-fold scores of the train split, folds grouped by template
  family so that each score is for a sentence shape the fold's model never saw.
- Threshold: the lowest calibrated score at which the whole guard (topic gate, rules, conversation layer)
  keeps false refusals on gen/dev at or under --max-dev-false-refusals; the frozen test split is never read.
- Every clean training row appears twice, once without its embedding, so the n-gram weights also stand on
  their own (an encoded message has no usable embedding).

Embeddings are cached by text in artifacts/guardrail-embeddings.npz (not committed).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from bot.guard.classifier import ALLOW, Inputs, concepts_digest, inputs
from bot.guard.decode import Normalizer
from bot.guard.features import Concepts, FeatureSpec, Featurizer
from bot.guard.topic import TopicGate

CLASSES = [ALLOW, "dosing", "personalization", "self_administration", "sourcing"]
# Generated-set and old-set category names -> the guard's refusal categories.
CATEGORY = {
    "dose": "dosing",
    "schedule": "dosing",
    "personalise_or_scale": "personalization",
    "administer": "self_administration",
    "source": "sourcing",
    "dosing": "dosing",
    "personalization": "personalization",
    "self_administration": "self_administration",
    "sourcing": "sourcing",
}


@dataclass
class Row:
    question: str
    history: list[dict]
    label: str
    group: str


def load_rows(path: Path) -> list[Row]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        raw = json.loads(line)
        label = CATEGORY.get(raw.get("category", ""), "dosing") if raw["expect"] == "refuse" else ALLOW
        group = str(raw.get("family", raw.get("id", ""))).split("|")[0]
        rows.append(Row(raw["question"], raw.get("history") or [], label, group))
    return rows


def policy_rows(policy: dict) -> list[Row]:
    rows = [
        Row(q, [], cat, f"policy-{cat}") for cat, spec in policy["refuse"].items() for q in spec.get("exemplars", [])
    ]
    rows += [Row(q, [], ALLOW, "policy-answer") for q in policy["answer"]["exemplars"]]
    return rows


class EmbeddingCache:
    def __init__(self, path: Path, embed_query: Callable[[str], np.ndarray]) -> None:
        self.path = path
        self.embed_query = embed_query
        self.vectors: dict[str, np.ndarray] = {}
        if path.exists():
            with np.load(path) as data:
                self.vectors = dict(zip([str(k) for k in data["keys"]], data["vectors"]))
        self.dirty = False

    def __call__(self, text: str) -> np.ndarray:
        key = hashlib.sha1(text.encode("utf-8")).hexdigest()
        if key not in self.vectors:
            self.vectors[key] = np.asarray(self.embed_query(text), dtype=np.float32)
            self.dirty = True
        return self.vectors[key]

    def save(self) -> None:
        if self.dirty:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            keys = list(self.vectors)
            np.savez(self.path, keys=np.array(keys), vectors=np.stack([self.vectors[k] for k in keys]))


def design(
    rows: list[Row],
    normalizer: Normalizer,
    featurizer: Featurizer,
    embed: Callable[[str], np.ndarray],
    mask: Callable[[str], str],
    drop_vectors: bool = False,
):
    """The scipy design matrix (sparse hashed n-grams | dense block) and the classifier inputs of each row."""
    from scipy import sparse

    data, indices, indptr, dense, given = [], [], [0], [], []
    for row in rows:
        _, got = inputs(normalizer, row.question, row.history, mask)
        given.append(got)
        idx, val = featurizer.sparse(got.text, got.context)
        order = np.argsort(idx)
        indices.append(idx[order])
        data.append(val[order])
        indptr.append(indptr[-1] + len(idx))
        dense.append(featurizer.dense(None if drop_vectors else embed(row.question), got.encoded))
    width = 1 << featurizer.spec.bits
    grams = sparse.csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=(len(rows), width)
    )
    return sparse.hstack([grams, sparse.csr_matrix(np.stack(dense))]).tocsr(), given


def fit(X, y, c: float):
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    model.fit(X, y)
    return model


def refuse_logit(model, X) -> np.ndarray:
    p = model.predict_proba(X)
    allow = list(model.classes_).index(ALLOW)
    refuse = np.clip(1.0 - p[:, allow], 1e-6, 1 - 1e-6)
    return np.log(refuse / (1 - refuse))


def out_of_fold(rows: list[Row], X, y, c: float, folds: int = 5) -> np.ndarray:
    from sklearn.model_selection import GroupKFold

    scores = np.zeros(len(rows))
    groups = [r.group for r in rows]
    for train, held in GroupKFold(n_splits=folds).split(X, y, groups):
        scores[held] = refuse_logit(fit(X[train], y[train], c), X[held])
    return scores


def platt(scores: np.ndarray, refuse: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4).fit(scores.reshape(-1, 1), refuse.astype(int))
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def export(
    path: Path, model, spec: FeatureSpec, calibration: tuple[float, float], threshold: float, info: dict
) -> None:
    """Only the hash buckets that carry weight are stored (sorted, for a binary search at run time)."""
    width = 1 << spec.bits
    order = [list(model.classes_).index(c) for c in CLASSES]
    coef = model.coef_[order].T.astype(np.float32)  # features x classes
    grams, dense = coef[:width], coef[width:]
    keep = np.flatnonzero(np.abs(grams).max(axis=1) > 1e-4)
    meta = {
        "classes": CLASSES,
        "features": spec.to_dict(),
        "calibration": list(calibration),
        "threshold": threshold,
        **info,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        meta=np.array(json.dumps(meta)),
        buckets=keep.astype(np.int32),
        weights=grams[keep].astype(np.float16),
        dense_weights=dense.astype(np.float32),
        bias=model.intercept_[order].astype(np.float32),
    )


def train(
    train_rows: list[Row],
    spec: FeatureSpec,
    c: float,
    normalizer: Normalizer,
    embed: Callable[[str], np.ndarray],
    concepts: dict,
    mask: Callable[[str], str],
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
):
    """(model, calibration, calibrated out-of-fold scores) fitted on the rows; clean rows are added a second
    time without their embedding."""
    from scipy import sparse

    featurizer = Featurizer(spec, Concepts(concepts))
    X, given = design(train_rows, normalizer, featurizer, embed, mask)
    clean = [i for i, g in enumerate(given) if not g.encoded]
    X_drop, _ = design([train_rows[i] for i in clean], normalizer, featurizer, embed, mask, drop_vectors=True)
    y = np.array([r.label for r in train_rows])
    X_all = sparse.vstack([X, X_drop]).tocsr()
    y_all = np.concatenate([y, y[clean]])
    log(f"training on {X_all.shape[0]} rows ({len(train_rows)} + {len(clean)} without embeddings), C={c}")
    scores = out_of_fold(train_rows, X, y, c)
    calibration = platt(scores, y != ALLOW)
    model = fit(X_all, y_all, c)
    a, b = calibration
    return model, calibration, 1.0 / (1.0 + np.exp(-(a * scores + b)))


def oof_threshold(
    rows: list[Row], scores: np.ndarray, gate: TopicGate, normalizer: Normalizer, max_false_refusals: float
) -> tuple[float, list[tuple[float, float, float]]]:
    """The lowest threshold at which the classifier (behind the topic gate) keeps false refusals within the
    limit on out-of-fold scores: each row scored by a model that never saw its template family."""
    product = np.array(
        [
            gate.evidence(
                [normalizer.views(r.question).full, *(normalizer.plain(str(t.get("content", ""))) for t in r.history)]
            ).found
            for r in rows
        ]
    )
    refuse = np.array([r.label != ALLOW for r in rows])
    curve = []
    for step in range(10, 96, 2):
        pred = (scores >= step / 100) & product
        curve.append((step / 100, float(pred[refuse].mean()), float(pred[~refuse].mean())))
    ok = [t for t, _, frr in curve if frr <= max_false_refusals]
    return (min(ok) if ok else curve[-1][0]), curve


__all__ = ["CLASSES", "EmbeddingCache", "Inputs", "Row", "export", "load_rows", "policy_rows", "train"]


def choose_threshold(
    guard: Any, dev_items: list, embed: Callable[[str], np.ndarray], max_false_refusals: float
) -> tuple[float, list[tuple[float, float, float]]]:
    """The lowest threshold at which the whole guard keeps dev false refusals within the limit."""
    vectors = [embed(item.question) for item in dev_items]
    curve = []
    for step in range(10, 96, 2):
        guard.classifier.threshold = step / 100
        refuse = benign = refused = false = 0
        for item, vector in zip(dev_items, vectors):
            got = guard.check(item.question, item.history, vector).decision
            if item.expect == "refuse":
                refuse += 1
                refused += got == "refuse"
            else:
                benign += 1
                false += got == "refuse"
        curve.append((step / 100, refused / max(refuse, 1), false / max(benign, 1)))
    ok = [t for t, _, frr in curve if frr <= max_false_refusals]
    return (min(ok) if ok else curve[-1][0]), curve


def main(
    train_paths: list[Path],
    dev_path: Path,
    out: Path,
    prompts_dir: Path,
    embed_query: Callable[[str], np.ndarray],
    cache_path: Path,
    c: float,
    vector_weight: float,
    max_dev_false_refusals: float,
    log: Callable[[str], None] = lambda line: print(line, file=sys.stderr),
    threshold_only: bool = False,
    threshold: float | None = None,
) -> dict:
    """Fit, calibrate, export, then set the threshold on dev with the whole guard; returns a summary.

    `threshold_only` keeps the exported weights and sets the threshold again (after a rule or lexicon change).
    `threshold` fixes it instead: after choosing it on dev with a model trained on train, the final model can
    be refitted on train and dev together with that threshold (more template families to learn from)."""
    import yaml

    from bot.guard import Guardrail
    from bot.guard.classifier import Classifier
    from bot.prompts import Prompts
    from eval.guardrail import load_items

    policy = yaml.safe_load((prompts_dir / "guardrail" / "policy.yaml").read_text(encoding="utf-8"))
    lexicon = yaml.safe_load((prompts_dir / "guardrail" / "lexicon.yaml").read_text(encoding="utf-8"))
    normalizer = Normalizer(lexicon["common_words"])
    cache = EmbeddingCache(cache_path, embed_query)
    if threshold_only:
        return retune(out, dev_path, prompts_dir, cache, max_dev_false_refusals, log)
    rows = [r for path in train_paths for r in load_rows(path)] + policy_rows(policy)
    spec = FeatureSpec(vector_weight=vector_weight)
    concepts = yaml.safe_load((prompts_dir / "guardrail" / "concepts.yaml").read_text(encoding="utf-8"))["concepts"]
    mask = TopicGate(lexicon).mask
    model, calibration, oof = train(rows, spec, c, normalizer, cache, concepts, mask, log)
    info = {
        "trained_on": [p.name for p in train_paths] + ["policy exemplars"],
        "rows": len(rows),
        "C": c,
        "concepts": concepts_digest(concepts),
    }
    export(out, model, spec, calibration, 0.5, info)
    if threshold is not None:
        curve: list[tuple[float, float, float]] = []
        source = f"fixed at {threshold} (chosen on {dev_path.name} with a model trained without it)"
    elif dev_path in train_paths:
        # dev is training data too: the threshold comes from out-of-fold scores, grouped by template family.
        threshold, curve = oof_threshold(rows, oof, TopicGate(lexicon), normalizer, max_dev_false_refusals)
        source = "out-of-fold scores of " + " + ".join(p.name for p in train_paths)
    else:
        dev_items, errors = load_items(dev_path)
        if errors:
            raise ValueError(f"{dev_path}: {errors[0]}")
        guard = Guardrail(Prompts(prompts_dir), classifier=Classifier(out, concepts))
        threshold, curve = choose_threshold(guard, dev_items, cache, max_dev_false_refusals)
        source = dev_path.name
    export(out, model, spec, calibration, threshold, {**info, "threshold_from": source})
    cache.save()
    for t, recall, frr in curve:
        log(f"threshold {t:.2f}: recall {recall:.3f}, false refusals {frr:.3f}")
    log(f"threshold {threshold:.2f} ({source}); wrote {out}")
    return {"threshold": threshold, "calibration": calibration, "curve": curve}


def retune(
    out: Path,
    dev_path: Path,
    prompts_dir: Path,
    cache: EmbeddingCache,
    max_dev_false_refusals: float,
    log: Callable[[str], None],
) -> dict:
    """Set the exported model's threshold again on dev, weights unchanged."""
    import yaml

    from bot.guard import Guardrail
    from bot.guard.classifier import Classifier
    from bot.prompts import Prompts
    from eval.guardrail import load_items

    concepts = yaml.safe_load((prompts_dir / "guardrail" / "concepts.yaml").read_text(encoding="utf-8"))["concepts"]
    dev_items, _ = load_items(dev_path)
    guard = Guardrail(Prompts(prompts_dir), classifier=Classifier(out, concepts))
    threshold, curve = choose_threshold(guard, dev_items, cache, max_dev_false_refusals)
    with np.load(out, allow_pickle=False) as data:
        arrays = {k: data[k] for k in data.files}
    meta = json.loads(str(arrays["meta"]))
    meta.update(threshold=threshold, threshold_from=dev_path.name)
    arrays["meta"] = np.array(json.dumps(meta))
    np.savez_compressed(out, **arrays)
    cache.save()
    for t, recall, frr in curve:
        log(f"threshold {t:.2f}: dev recall {recall:.3f}, false refusals {frr:.3f}")
    log(f"threshold {threshold:.2f} (dev false refusals <= {max_dev_false_refusals}); wrote {out}")
    return {"threshold": threshold, "curve": curve}
