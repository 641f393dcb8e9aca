"""Fit the answerability model (bot/evidence.py) on the dev question sets and write prompts/answerability.json.

    python -m eval.answerability            # fit, report cross-validated figures, write the model
    python -m eval.answerability --dry-run  # fit and report only

Training rows are the signals the chain computes for each question, labelled 1 (the monographs answer it)
or 0 (they don't), from dev splits only, never a frozen test split:
- the site-format dev sets (eval/questions/sample.jsonl, holdout.jsonl, site-dev-extra.jsonl) over corpus/;
- the real-page dev sets (eval/questions/real-dev.jsonl, real-dev-extra.jsonl) over eval/corpora/real/markdown/,
  and eval/questions/real2-dev.jsonl over eval/corpora/real2/markdown/ (a blind slice once, dev since);
- everyday off-topic prompts (the train split of the guardrail's generated set, category offtopic_safe),
  asked of both corpora: 0;
- section headings phrased as questions, from the documents the dev sets ask about, with the subject
  named: 1 (weighted lower: they are easy);
- each of those documents' subjects asked about general health topics (eval/answerability_topics.txt),
  labelled by whether the subject's own monograph mentions the topic (weighted lower: weak labels). These
  teach the hardest case: a covered drug, an uncovered topic, and a passage that is close anyway.
A logistic regression on standardised signals is fitted with scikit-learn, then Platt-scaled on its
cross-validated decision values, and folded into one linear model (so the runtime needs only numpy).
Thresholds are chosen on the cross-validated probabilities of the labelled question sets alone (the
synthetic rows teach the coefficients, not the operating point): abstain where abstention precision and
recall are both highest (their minimum), weak below the 4th percentile of answerable questions (at most one
correct answer in ten should open by doubting itself, with room for the test sets to differ).
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bot import vocab
from bot.chain import AllowAll
from bot.evidence import FEATURES
from bot.factory import build_bot
from bot.index import IndexStore, get_embedder
from bot.settings import REPO_ROOT, Settings
from bot.text import terms
from ingest.pipeline import ingest

from .questions import load

OUT = REPO_ROOT / "prompts" / "answerability.json"


@dataclass
class Row:
    source: str
    question: str
    label: int
    weight: float
    x: np.ndarray


def _bot(corpus: list[Path], settings: Settings, store_dir: Path):  # type: ignore[no-untyped-def]
    settings = settings.model_copy(update={"store": store_dir})
    embedder = get_embedder(settings)
    store = IndexStore(settings)
    report = ingest(corpus, settings, store, embedder, progress=False)
    print(f"ingested {', '.join(map(str, corpus))}: {report.summary()}", file=sys.stderr)
    # No guardrail: refuse-labelled questions are left out, and every other question must reach the evidence step.
    return build_bot(settings, store=store, embedder=embedder, guard=AllowAll())


def _features(bot, question: str, history: list[dict]) -> np.ndarray | None:  # type: ignore[no-untyped-def]
    answer = bot.ask(question, history)
    if answer.evidence is None or not answer.evidence.signals:
        return None  # refused before the evidence step
    return np.array([answer.evidence.signals[f] for f in FEATURES], dtype=np.float64)


def _heading_questions(bot, docs: set[str]) -> list[str]:  # type: ignore[no-untyped-def]
    snap = bot.store.snapshot()
    records = snap.records
    out: set[str] = set()
    if records is None:
        return []
    for row in range(records.rows):
        r = records.record(row)
        if r.doc in docs and r.section.rstrip().endswith("?") and len(r.section) > 12:
            subject = r.subject or r.title
            heading = r.section.split("›")[-1].strip()
            text = heading.replace(" it ", f" {subject} ").replace(" it?", f" {subject}?")
            out.add(text if subject.lower() in text.lower() else f"{heading} ({subject})")
    return sorted(out)


# Some templates share a covered aspect with real questions ("safe", "side effects", "help"), so the model
# learns that a missing key topic decides even when the rest of the question is covered.
TEMPLATES = (
    "Does {s} affect {t}?",
    "Is {s} a problem for {t}?",
    "What do we know about {s} and {t}?",
    "Is {s} safe with {t}?",
    "Can {s} help with {t}?",
    "What are the side effects of {s} on {t}?",
    "Is it safe to use {s} if you have {t}?",
)


def _topic_questions(bot, docs: set[str], seed: int, per_label: int = 90) -> list[tuple[str, int]]:  # type: ignore[no-untyped-def]
    """Subject x topic questions, labelled by whether the subject's monographs mention the topic at all."""
    records = bot.store.snapshot().records
    if records is None:
        return []
    text_of: dict[str, set[str]] = {}
    for row in range(records.rows):
        r = records.record(row)
        if r.doc in docs and r.subject:
            text_of.setdefault(r.subject, set()).update(r.terms())
    topics = [
        t.strip()
        for t in (REPO_ROOT / "eval/answerability_topics.txt").read_text().splitlines()
        if t.strip() and not t.startswith("#")
    ]
    rng = random.Random(seed)
    out: dict[int, list[tuple[str, int]]] = {0: [], 1: []}
    groups = vocab.groups()
    for subject, present in sorted(text_of.items()):
        for topic in topics:
            covered = all(groups.covered(s, present) for s in terms(topic))
            out[int(covered)].append((rng.choice(TEMPLATES).format(s=subject, t=topic), int(covered)))
    return rng.sample(out[0], min(per_label, len(out[0]))) + rng.sample(out[1], min(per_label, len(out[1])))


def collect(settings: Settings, seed: int = 7) -> list[Row]:
    rows: list[Row] = []
    offtopic = [
        json.loads(line)["question"]
        for line in (REPO_ROOT / "eval/guardrail/gen/train.jsonl").read_text(encoding="utf-8").splitlines()
        if json.loads(line).get("category") == "offtopic_safe"
    ]
    random.Random(seed).shuffle(offtopic)
    suites = [
        (
            "site",
            [REPO_ROOT / "corpus"],
            ["eval/questions/sample.jsonl", "eval/questions/holdout.jsonl", "eval/questions/site-dev-extra.jsonl"],
            offtopic[:60],
        ),
        (
            "real",
            [REPO_ROOT / "eval/corpora/real/markdown"],
            ["eval/questions/real-dev.jsonl", "eval/questions/real-dev-extra.jsonl"],
            offtopic[60:120],
        ),
        ("real2", [REPO_ROOT / "eval/corpora/real2/markdown"], ["eval/questions/real2-dev.jsonl"], offtopic[120:180]),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        for name, corpus, files, negatives in suites:
            bot = _bot(corpus, settings, Path(tmp) / name)
            docs: set[str] = set()
            for file in files:
                questions, _ = load(REPO_ROOT / file)
                for q in questions:
                    if q.expect == "refuse":
                        continue
                    x = _features(bot, q.question, q.history)
                    if x is not None:
                        rows.append(Row(f"{name}:{file}", q.question, int(q.expect == "answer"), 1.0, x))
                    if q.doc:
                        docs.add(q.doc)
            for text in negatives:
                x = _features(bot, text, [])
                if x is not None:
                    rows.append(Row(f"{name}:offtopic", text, 0, 1.0, x))
            for text in _heading_questions(bot, docs):
                x = _features(bot, text, [])
                if x is not None:
                    rows.append(Row(f"{name}:headings", text, 1, 0.5, x))
            for text, label in _topic_questions(bot, docs, seed):
                x = _features(bot, text, [])
                if x is not None:
                    rows.append(Row(f"{name}:topics", text, label, 0.5, x))
    return rows


# The direction each signal must pull in: more closeness or coverage can never make an answer less likely.
# A fit that gives a signal the wrong sign (small, correlated dev sets do) drops that signal instead.
EXPECTED_SIGN = {
    "chunk": 1,
    "sentence": 1,
    "coverage": 1,
    "gap": -1,
    "key_missing": -1,
    "unknown_gap": -1,
    "subject": 1,
    "unknown_name": -1,
    "health": 1,
    "figure": 1,
}


def fit(rows: list[Row]) -> tuple[dict, dict]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x = np.stack([r.x for r in rows])
    y = np.array([r.label for r in rows])
    w = np.array([r.weight for r in rows])
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    kept = [i for i in range(len(FEATURES)) if x[:, i].std() > 1e-6]
    while True:
        probe = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000).fit(z[:, kept], y, sample_weight=w)
        wrong = [i for i, c in zip(kept, probe.coef_[0]) if c * EXPECTED_SIGN[FEATURES[i]] < 0]
        if not wrong:
            break
        kept = [i for i in kept if i != wrong[0]]
    dropped = [FEATURES[i] for i in range(len(FEATURES)) if i not in kept]
    z = z[:, kept]
    lr = LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=0)
    margins = cross_val_predict(lr, z, y, cv=folds, method="decision_function", params={"sample_weight": w})
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(margins.reshape(-1, 1), y, sample_weight=w)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    lr.fit(z, y, sample_weight=w)
    coef = np.zeros(len(FEATURES))
    coef[kept] = a * lr.coef_[0]
    intercept = a * float(lr.intercept_[0]) + b
    cv_p = 1.0 / (1.0 + np.exp(-(a * margins + b)))
    # Synthetic rows shape the coefficients, but the operating point is set where readers' questions are:
    # on the labelled question sets alone (a threshold fitted on mostly synthetic rows abstained too often).
    asked = np.array([r.source.endswith(".jsonl") for r in rows])
    abstain_below, stats = _thresholds(cv_p[asked], y[asked])
    positives = np.sort(cv_p[asked & (y == 1) & (cv_p >= abstain_below)])
    weak_below = float(max(abstain_below + 0.05, positives[int(0.04 * len(positives))] if len(positives) else 0.5))
    model = {
        "features": list(FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "coef": [round(float(v), 6) for v in coef],
        "intercept": round(float(intercept), 6),
        "abstain_below": round(abstain_below, 4),
        "weak_below": round(weak_below, 4),
        "offtopic_health": 0.34,
    }
    stats["dropped_for_wrong_sign"] = dropped
    return model, stats


def _thresholds(p: np.ndarray, y: np.ndarray) -> tuple[float, dict]:
    """The abstention threshold that maximises the lower of abstention precision and recall (on CV output)."""
    best, best_t, best_stats = -1.0, 0.5, {}
    for t in np.linspace(0.05, 0.95, 91):
        abstained = p < t
        tp = int((abstained & (y == 0)).sum())
        precision = tp / max(1, int(abstained.sum()))
        recall = tp / max(1, int((y == 0).sum()))
        score = min(precision, recall)
        if score > best:
            best, best_t = score, float(t)
            best_stats = {"abstention_precision": round(precision, 3), "abstention_recall": round(recall, 3)}
    return best_t, best_stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dry-run", action="store_true", help="fit and report, but do not write the model")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    started = time.time()
    rows = collect(Settings())
    model, stats = fit(rows)
    counts: dict[str, list[int]] = {}
    for r in rows:
        counts.setdefault(r.source, [0, 0])[r.label] += 1
    model["trained_on"] = {source: {"answerable": n[1], "not": n[0]} for source, n in sorted(counts.items())}
    model["cross_validated"] = stats
    print(
        json.dumps(
            {
                k: model[k]
                for k in ("coef", "intercept", "abstain_below", "weak_below", "cross_validated", "trained_on")
            },
            indent=1,
        )
    )
    if not args.dry_run:
        args.out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"written {args.out} ({time.time() - started:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
