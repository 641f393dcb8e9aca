"""Two runs side by side (named, not "A" and "B"): metric deltas, items that flipped, and a verdict for CI.

Also the threshold gate: a run's metrics against {"metric": {"min": x} | {"max": y}}, or for a suite run
against one such table per split ({"dev": {...}, "test": {...}}).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .metrics import DEFINITIONS

# Metrics where lower is better; everything else numeric is higher-is-better. Latency is shown, never gated.
LOWER_IS_BETTER = {k for k, d in DEFINITIONS.items() if not d.higher_is_better}
GATED = (
    "status_accuracy",
    "hit@1_doc",
    "hit@3_doc",
    "hit@5_doc",
    "mrr_doc",
    "hit@5_section",
    "mrr_section",
    "must_include_in_answer",
    "must_include_recall",
    "citation_markers_resolve",
    "citation_excerpts_verbatim",
    "refusal_recall",
    "false_refusal_rate",
    "abstention_precision",
    "abstention_recall",
    "weak_on_passed",
    "offtopic_answered_rate",
)


def load_report(path: Path) -> dict[str, Any]:
    path = Path(path)
    file = path / "report.json" if path.is_dir() else path
    if not file.exists():
        raise FileNotFoundError(f"{file}: no report.json (run `monobot eval run ... --out {path}` first)")
    report = json.loads(file.read_text(encoding="utf-8"))
    report.setdefault("run", {}).setdefault("name", path.name if path.is_dir() else path.parent.name)
    return report


def run_name(report: dict[str, Any], fallback: str) -> str:
    return str(report.get("run", {}).get("name") or fallback)


def compare(
    a: dict[str, Any], b: dict[str, Any], tolerance: float, names: tuple[str, str] | None = None
) -> dict[str, Any]:
    """`b` against `a`: a suite run (with "splits") is compared split by split, under "splits"."""
    names = names or (run_name(a, "A"), run_name(b, "B"))
    if "splits" in a or "splits" in b:
        shared = [s for s in b.get("splits", {}) if s in a.get("splits", {})]
        parts = {s: compare(a["splits"][s], b["splits"][s], tolerance, names) for s in shared}
        return {
            "names": list(names),
            "splits": parts,
            "regressions": [f"{s}:{r}" for s, part in parts.items() for r in part["regressions"]],
            "warnings": [f"{s}: {w}" for s, part in parts.items() for w in part["warnings"]],
        }
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
    return {
        "names": list(names),
        "rows": rows,
        "regressions": regressions,
        "flipped": flipped,
        "not_in_both": only,
        "warnings": warnings,
        "frozen": bool(a.get("run", {}).get("frozen") or b.get("run", {}).get("frozen")),
    }


def render(result: dict[str, Any]) -> str:
    """Markdown for the terminal. A frozen split's flipped items are counted, never listed."""
    if "splits" in result:
        out = []
        for split, part in result["splits"].items():
            out += [f"## {split}", render(part), ""]
        out.append(f"regressions beyond tolerance: {', '.join(result['regressions']) or 'none'}")
        return "\n".join(out)
    a, b = result.get("names") or ["A", "B"]
    lines = [f"warning: {w}" for w in result.get("warnings", [])]
    lines += [f"| metric | {a} | {b} | delta |", "|---|---|---|---|"]
    for r in result["rows"]:
        mark = " ⚠ regression" if r["regression"] else ""
        lines.append(f"| {r['metric']} | {r['a']:.3f} | {r['b']:.3f} | {r['delta']:+.3f}{mark} |")
    if result["flipped"] and result.get("frozen"):
        lines += ["", f"{len(result['flipped'])} items flipped (a frozen split: see the HTML report)"]
    elif result["flipped"]:
        lines += ["", f"Items that flipped ({a} → {b}):"] + [
            f"- {f['id']} ({f['category']}): {f['a']} → {f['b']} (now {f['got']})" for f in result["flipped"]
        ]
    if result.get("not_in_both"):
        lines += ["", f"note: {len(result['not_in_both'])} items are in only one run (different question sets?)"]
    lines.append("")
    lines.append(f"regressions beyond tolerance: {', '.join(result['regressions']) or 'none'}")
    return "\n".join(lines)


def check(value: float | None, bound: dict[str, float]) -> str | None:
    """Why `value` fails `bound`, or None when it passes."""
    if value is None:
        return "not measured"
    if "min" in bound and value < bound["min"]:
        return f"{value:.3f} is below {bound['min']}"
    if "max" in bound and value > bound["max"]:
        return f"{value:.3f} is above {bound['max']}"
    return None


def gate(report: dict[str, Any], thresholds: dict[str, Any]) -> list[str]:
    """Failures against {"metric": {"min": x} | {"max": y}}; an absent metric fails too. A suite run takes
    one table per split ({"dev": {...}, "test": {...}}) and a split the run lacks fails."""
    if "splits" in report:
        failures = []
        for split, table in thresholds.items():
            if split.startswith("_"):
                continue
            if split not in report["splits"]:
                failures.append(f"{split}: not run")
                continue
            failures += [f"{split}: {line}" for line in gate(report["splits"][split], table)]
        return failures
    failures = []
    for key, bound in thresholds.items():
        if key.startswith("_"):
            continue
        why = check(report["metrics"].get(key), bound)
        if why:
            failures.append(f"{key} = {why}" if why != "not measured" else f"{key}: not measured")
    return failures
