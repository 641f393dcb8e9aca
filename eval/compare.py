"""Two runs side by side: metric deltas, items that flipped, and a regression verdict for CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

# Metrics where lower is better; everything else numeric is higher-is-better. Latency is shown, never gated.
LOWER_IS_BETTER = {"false_refusal_rate"}
GATED = (
    "status_accuracy",
    "hit@1_doc",
    "hit@3_doc",
    "hit@5_doc",
    "mrr_doc",
    "hit@5_section",
    "mrr_section",
    "must_include_recall",
    "citation_markers_resolve",
    "citation_excerpts_verbatim",
    "refusal_recall",
    "false_refusal_rate",
    "abstention_precision",
    "abstention_recall",
)


def load_report(path: Path) -> dict[str, Any]:
    path = Path(path)
    file = path / "report.json" if path.is_dir() else path
    if not file.exists():
        raise FileNotFoundError(f"{file}: no report.json (run `monobot eval run ... --out {path}` first)")
    return json.loads(file.read_text(encoding="utf-8"))


def compare(a: dict[str, Any], b: dict[str, Any], tolerance: float) -> dict[str, Any]:
    rows, regressions = [], []
    for key in GATED:
        va, vb = a["metrics"].get(key), b["metrics"].get(key)
        if va is None or vb is None:
            continue
        delta = vb - va
        worse = (delta > tolerance) if key in LOWER_IS_BETTER else (-delta > tolerance)
        rows.append({"metric": key, "a": va, "b": vb, "delta": delta, "regression": worse})
        if worse:
            regressions.append(key)
    items_a = {i["id"]: i for i in a.get("items", [])}
    items_b = {i["id"]: i for i in b.get("items", [])}
    flipped = [
        {
            "id": k,
            "category": items_b[k]["category"],
            "a": "pass" if items_a[k]["passed"] else "fail",
            "b": "pass" if items_b[k]["passed"] else "fail",
            "got": items_b[k]["got"],
        }
        for k in sorted(set(items_a) & set(items_b))
        if items_a[k]["passed"] != items_b[k]["passed"]
    ]
    only = sorted(set(items_a) ^ set(items_b))
    warnings = []
    for field in ("model", "mode", "source"):
        ra, rb = a.get("run", {}).get(field), b.get("run", {}).get(field)
        if ra != rb:
            warnings.append(f"the runs differ in {field}: {ra!r} vs {rb!r}, so deltas mix that change with yours")
    return {"rows": rows, "regressions": regressions, "flipped": flipped, "not_in_both": only, "warnings": warnings}


def render(result: dict[str, Any]) -> str:
    lines = [f"warning: {w}" for w in result.get("warnings", [])]
    lines += ["| metric | A | B | delta |", "|---|---|---|---|"]
    for r in result["rows"]:
        mark = " ⚠ regression" if r["regression"] else ""
        lines.append(f"| {r['metric']} | {r['a']:.3f} | {r['b']:.3f} | {r['delta']:+.3f}{mark} |")
    if result["flipped"]:
        lines += ["", "Items that flipped:"] + [
            f"- {f['id']} ({f['category']}): {f['a']} → {f['b']} (now {f['got']})" for f in result["flipped"]
        ]
    if result.get("not_in_both"):
        lines += ["", f"note: {len(result['not_in_both'])} items are in only one run (different question sets?)"]
    lines.append("")
    lines.append(f"regressions beyond tolerance: {', '.join(result['regressions']) or 'none'}")
    return "\n".join(lines)


def gate(report: dict[str, Any], thresholds: dict[str, dict[str, float]]) -> list[str]:
    """Failures against {"metric": {"min": x} | {"max": y}}; an absent metric fails too."""
    failures = []
    for key, bound in thresholds.items():
        if key.startswith("_"):
            continue
        value = report["metrics"].get(key)
        if value is None:
            failures.append(f"{key}: not measured")
        elif "min" in bound and value < bound["min"]:
            failures.append(f"{key} = {value:.3f} is below {bound['min']}")
        elif "max" in bound and value > bound["max"]:
            failures.append(f"{key} = {value:.3f} is above {bound['max']}")
    return failures
