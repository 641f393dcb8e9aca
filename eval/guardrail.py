"""Measure the guardrail on a labelled set: refusal recall, false refusals and latency, by slice.

A set is JSON lines labelling each prompt `refuse`, `answer` (alias `allow`) or `notice` (an answer that
carries the trial-dose notice), with optional category, framing, language, obfuscation and split.
Metrics are reported overall and for each value of each of those dimensions, so a weak framing or
language shows up instead of hiding in an average.

`answered_when_refuse` counts prompts that should be refused and got a plain answer (decision "allow"):
the worst outcome, since a "notice" answer at least carries the trial-dose warning.

Latency is the guard's own work on a warm process, with the question's embedding computed beforehand
because the chain computes it anyway for retrieval; the embedding time is reported beside it. Wall time
and the thread's CPU time are both reported: on a shared, loaded machine the wall time mostly measures
waiting for a core.
"""

from __future__ import annotations

import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.util import percentile

DIMENSIONS = ("split", "category", "framing", "language", "obfuscation")
_EXPECT = {"refuse": "refuse", "answer": "allow", "allow": "allow", "notice": "notice"}


@dataclass
class Item:
    id: str
    question: str
    history: list[dict]
    expect: str  # refuse | allow | notice
    category: str = "?"
    framing: str = "plain"
    split: str = "dev"
    language: str = "en"
    obfuscation: str = "none"


def load_items(path: Path) -> tuple[list[Item], list[str]]:
    items, errors = [], []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(_item(json.loads(line), number))
        except (json.JSONDecodeError, ValueError, AttributeError) as exc:
            errors.append(f"{path}:{number}: {exc}")
    return items, errors


def _item(raw: dict, number: int) -> Item:
    expect = _EXPECT.get(raw.get("expect"))
    if expect is None:
        raise ValueError("field 'expect' must be refuse, answer (or allow) or notice")
    if not isinstance(raw.get("question"), str) or not raw["question"].strip():
        raise ValueError("field 'question' must be a non-empty string")
    return Item(
        id=raw.get("id", f"line{number}"),
        question=raw["question"],
        history=raw.get("history") or [],
        expect=expect,
        category=raw.get("category", "?"),
        framing=raw.get("framing", "plain"),
        split=raw.get("split", "dev"),
        language=raw.get("language", "en"),
        obfuscation=raw.get("obfuscation", "none"),
    )


def evaluate(items: list[Item], guard: Any, embed_query: Any, repeats: int = 3) -> dict:
    """Decisions and metrics; each check is timed `repeats` times after a warm-up and the median kept."""
    rows, check_ms, cpu_ms, embed_ms = [], [], [], []
    if items:
        guard.check(items[0].question, items[0].history, embed_query(items[0].question))  # warm-up
    for item in items:
        started = time.perf_counter()
        vector = embed_query(item.question)
        embed_ms.append((time.perf_counter() - started) * 1000)
        timings, cpu = [], []
        for _ in range(repeats):
            started, started_cpu = time.perf_counter(), time.thread_time()
            decision = guard.check(item.question, item.history, vector)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - started_cpu) * 1000)
        check_ms.append(statistics.median(timings))
        cpu_ms.append(statistics.median(cpu))
        rows.append(
            {
                **{d: getattr(item, d) for d in DIMENSIONS},
                "id": item.id,
                "expect": item.expect,
                "got": decision.decision,
                "guard_category": decision.category,
                "reason": decision.reason,
                "question": item.question,
            }
        )
    return {
        "rows": rows,
        "metrics": metrics(rows),
        "latency_ms": {
            "check_p50": percentile(check_ms, 0.5) or 0.0,
            "check_p95": percentile(check_ms, 0.95) or 0.0,
            "cpu_p50": percentile(cpu_ms, 0.5) or 0.0,
            "cpu_p95": percentile(cpu_ms, 0.95) or 0.0,
            "embed_p50": percentile(embed_ms, 0.5) or 0.0,
        },
    }


def summary(subset: list[dict]) -> dict:
    refuse = [r for r in subset if r["expect"] == "refuse"]
    benign = [r for r in subset if r["expect"] != "refuse"]
    notice = [r for r in subset if r["expect"] == "notice"]
    out: dict[str, Any] = {"items": len(subset)}
    if refuse:
        out["refusal_recall"] = sum(r["got"] == "refuse" for r in refuse) / len(refuse)
        out["answered_when_refuse"] = sum(r["got"] == "allow" for r in refuse)
    if benign:
        out["false_refusal_rate"] = sum(r["got"] == "refuse" for r in benign) / len(benign)
    if notice:
        out["notice_accuracy"] = sum(r["got"] == "notice" for r in notice) / len(notice)
    return out


def metrics(rows: list[dict]) -> dict:
    groups: dict[str, dict[str, list[dict]]] = {d: defaultdict(list) for d in DIMENSIONS}
    for r in rows:
        for d in DIMENSIONS:
            groups[d][r[d]].append(r)
    out: dict[str, Any] = {"overall": summary(rows)}
    for d in DIMENSIONS:
        if len(groups[d]) > 1 or d in ("split", "category", "framing"):
            out[f"by_{d}"] = {k: summary(v) for k, v in sorted(groups[d].items())}
    out["errors"] = [r for r in rows if (r["got"] == "refuse") != (r["expect"] == "refuse")]
    return out


def render(result: dict, show_errors: bool = True) -> str:
    m = result["metrics"]
    lines = [
        "| slice | items | refusal recall | answered (should refuse) | false refusals | notice accuracy |",
        "|---|---|---|---|---|---|",
    ]

    def row(name: str, s: dict) -> str:
        def fmt(key: str) -> str:
            return f"{s[key]:.3f}" if key in s else "–"

        answered = str(s["answered_when_refuse"]) if "answered_when_refuse" in s else "–"
        return (
            f"| {name} | {s['items']} | {fmt('refusal_recall')} | {answered} | "
            f"{fmt('false_refusal_rate')} | {fmt('notice_accuracy')} |"
        )

    lines.append(row("**all**", m["overall"]))
    for key in [k for k in m if k.startswith("by_")]:
        for name, s in m[key].items():
            lines.append(row(f"{key[3:]}: {name}", s))
    lat = result["latency_ms"]
    lines += [
        "",
        f"guard check latency (warm, embedding excluded): p50 {lat['check_p50']:.3f} ms, p95 {lat['check_p95']:.3f} ms "
        f"(the guard's own CPU time: p50 {lat.get('cpu_p50', 0.0):.3f} ms, p95 {lat.get('cpu_p95', 0.0):.3f} ms); "
        f"question embedding p50 {lat['embed_p50']:.2f} ms (shared with retrieval)",
    ]
    if show_errors and m["errors"]:
        lines += ["", "errors:"] + [
            f"- {e['id']} expected {e['expect']}, got {e['got']} ({e['reason']}): {e['question']}" for e in m["errors"]
        ]
    return "\n".join(lines)


def rule_report(items: list[Item], guard: Any) -> str:
    """Each rule's matches on a labelled set: on should-refuse prompts, and on answerable ones (listed)."""
    from bot.guard.rules import first_hit

    lines = ["| rule | category | language | firm | on should-refuse | on answerable |", "|---|---|---|---|---|---|"]
    wrong: list[str] = []
    for rule in guard.rules:
        hits = {"refuse": 0, "other": 0}
        for item in items:
            text = guard.normalizer.views(item.question).full
            if first_hit([rule], [text], guard.meta) is None:
                continue
            if item.expect == "refuse":
                hits["refuse"] += 1
            else:
                hits["other"] += 1
                wrong.append(f"- {rule.id}: {item.question[:120]!r}")
        lines.append(
            f"| {rule.id} | {rule.category} | {rule.language} | {rule.firm} | {hits['refuse']} | {hits['other']} |"
        )
    if wrong:
        lines += ["", "matches on answerable prompts (the topic gate may still stop them):", *wrong]
    return "\n".join(lines)
