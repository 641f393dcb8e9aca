"""Measure the guardrail on the labelled set: refusal recall, false refusals and latency, per category.

The set (eval/guardrail/prompts.jsonl) labels each prompt refuse, allow or notice, with its category,
framing and split (dev: seen while writing rules; holdout: not). Latency is the guard's own work on a
warm process, with the question's embedding computed beforehand because the chain computes it anyway
for retrieval; the embedding time is reported beside it.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REFUSE_CATEGORIES = ("dosing", "personalization", "self_administration", "sourcing")


@dataclass
class Item:
    id: str
    question: str
    history: list[dict]
    expect: str
    category: str
    framing: str
    split: str


def load_items(path: Path) -> tuple[list[Item], list[str]]:
    items, errors = [], []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            if raw.get("expect") not in ("refuse", "allow", "notice"):
                raise ValueError("field 'expect' must be refuse, allow or notice")
            if not isinstance(raw.get("question"), str) or not raw["question"].strip():
                raise ValueError("field 'question' must be a non-empty string")
            items.append(
                Item(
                    raw.get("id", f"line{number}"),
                    raw["question"],
                    raw.get("history") or [],
                    raw["expect"],
                    raw.get("category", "?"),
                    raw.get("framing", "plain"),
                    raw.get("split", "dev"),
                )
            )
        except (json.JSONDecodeError, ValueError, AttributeError) as exc:
            errors.append(f"{path}:{number}: {exc}")
    return items, errors


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def evaluate(items: list[Item], guard: Any, embed_query: Any, repeats: int = 3) -> dict:
    """Decisions and metrics; each check is timed `repeats` times after a warm-up and the median kept."""
    rows, check_ms, embed_ms = [], [], []
    if items:
        guard.check(items[0].question, items[0].history, embed_query(items[0].question))  # warm-up: exemplar vectors
    for item in items:
        started = time.perf_counter()
        vector = embed_query(item.question)
        embed_ms.append((time.perf_counter() - started) * 1000)
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            decision = guard.check(item.question, item.history, vector)
            timings.append((time.perf_counter() - started) * 1000)
        check_ms.append(statistics.median(timings))
        rows.append(
            {
                "id": item.id,
                "expect": item.expect,
                "got": decision.decision,
                "category": item.category,
                "framing": item.framing,
                "split": item.split,
                "guard_category": decision.category,
                "reason": decision.reason,
                "question": item.question,
            }
        )
    return {
        "rows": rows,
        "metrics": metrics(rows),
        "latency_ms": {
            "check_p50": _pct(check_ms, 0.5),
            "check_p95": _pct(check_ms, 0.95),
            "embed_p50": _pct(embed_ms, 0.5),
        },
    }


def metrics(rows: list[dict]) -> dict:
    def summary(subset: list[dict]) -> dict:
        refuse = [r for r in subset if r["expect"] == "refuse"]
        benign = [r for r in subset if r["expect"] != "refuse"]
        notice = [r for r in subset if r["expect"] == "notice"]
        out: dict[str, Any] = {"items": len(subset)}
        if refuse:
            out["refusal_recall"] = sum(r["got"] == "refuse" for r in refuse) / len(refuse)
        if benign:
            out["false_refusal_rate"] = sum(r["got"] == "refuse" for r in benign) / len(benign)
        if notice:
            out["notice_accuracy"] = sum(r["got"] == "notice" for r in notice) / len(notice)
        return out

    by_category: dict[str, list[dict]] = defaultdict(list)
    by_framing: dict[str, list[dict]] = defaultdict(list)
    by_split: dict[str, list[dict]] = defaultdict(list)
    for r in rows:
        by_category[r["category"]].append(r)
        by_framing[r["framing"]].append(r)
        by_split[r["split"]].append(r)
    return {
        "overall": summary(rows),
        "by_split": {k: summary(v) for k, v in sorted(by_split.items())},
        "by_category": {k: summary(v) for k, v in sorted(by_category.items())},
        "by_framing": {k: summary(v) for k, v in sorted(by_framing.items())},
        "errors": [r for r in rows if (r["got"] == "refuse") != (r["expect"] == "refuse")],
    }


def render(result: dict) -> str:
    m = result["metrics"]
    lines = ["| slice | items | refusal recall | false refusals | notice accuracy |", "|---|---|---|---|---|"]

    def row(name: str, s: dict) -> str:
        fmt = lambda key: f"{s[key]:.2f}" if key in s else "–"  # noqa: E731
        return f"| {name} | {s['items']} | {fmt('refusal_recall')} | {fmt('false_refusal_rate')} | {fmt('notice_accuracy')} |"

    lines.append(row("**all**", m["overall"]))
    for group in ("by_split", "by_category", "by_framing"):
        for name, s in m[group].items():
            lines.append(row(f"{group[3:]}: {name}", s))
    lat = result["latency_ms"]
    lines += [
        "",
        f"guard check latency (warm, embedding excluded): p50 {lat['check_p50']:.3f} ms, p95 {lat['check_p95']:.3f} ms; question embedding p50 {lat['embed_p50']:.2f} ms (shared with retrieval)",
    ]
    if m["errors"]:
        lines += ["", "errors:"] + [
            f"- {e['id']} expected {e['expect']}, got {e['got']} ({e['reason']}): {e['question']}" for e in m["errors"]
        ]
    return "\n".join(lines)
