"""A self-contained HTML report: inline CSS and SVG plots, every piece of text escaped, no external assets."""

from __future__ import annotations

import html
from typing import Any

from .questions import Question

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1d2733;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid #d4dbe3;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f1f4f8}
td.num{text-align:right;font-variant-numeric:tabular-nums}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(320px,1fr));gap:1.5rem}
.bad{color:#a4161a;font-weight:600}.ok{color:#2b7a0b}blockquote{margin:.25rem 0;padding:.25rem .5rem;border-left:3px solid #c8d1dc;background:#fafbfc;white-space:pre-wrap}
small{color:#5a6878}
"""


def e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def bars(data: dict[str, float], title: str, width: int = 460) -> str:
    """Horizontal bars, one per label, values in [0, 1]."""
    row, left = 22, 170
    height = row * len(data) + 30
    parts = [
        f'<svg role="img" aria-label="{e(title)}" width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="14" font-weight="600">{e(title)}</text>',
    ]
    for i, (label, value) in enumerate(data.items()):
        y = 24 + i * row
        w = max(0.0, min(1.0, value)) * (width - left - 50)
        color = "#2b7a0b" if value >= 0.9 else "#d08c00" if value >= 0.7 else "#a4161a"
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{e(label)}</text>')
        parts.append(f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="14" fill="{color}"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 14}" font-size="12">{value:.2f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def confusion_svg(table: dict[str, dict[str, int]]) -> str:
    labels = list(table)
    cell, left, top = 70, 90, 40
    size = left + cell * len(labels) + 10
    peak = max([v for row in table.values() for v in row.values()] + [1])
    parts = [
        f'<svg role="img" aria-label="expected versus actual status" width="{size}" height="{top + cell * len(labels) + 20}" xmlns="http://www.w3.org/2000/svg">'
    ]
    parts.append('<text x="0" y="14" font-weight="600">expected (rows) vs actual (columns)</text>')
    for j, label in enumerate(labels):
        parts.append(f'<text x="{left + j * cell + 4}" y="{top - 6}" font-size="11">{e(label)}</text>')
    for i, expected in enumerate(labels):
        parts.append(f'<text x="0" y="{top + i * cell + cell / 2}" font-size="11">{e(expected)}</text>')
        for j, got in enumerate(labels):
            value = table[expected][got]
            shade = int(235 - 180 * value / peak)
            color = f"rgb({shade},{shade + 10 if i == j else shade},{shade})"
            parts.append(
                f'<rect x="{left + j * cell}" y="{top + i * cell}" width="{cell - 2}" height="{cell - 2}" fill="{color}"/>'
            )
            parts.append(
                f'<text x="{left + j * cell + cell / 2 - 8}" y="{top + i * cell + cell / 2 + 4}" font-size="13">{value}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def histogram(values: list[float], title: str, bins: int = 20, width: int = 460, height: int = 160) -> str:
    if not values:
        return ""
    lo, hi = min(values), max(values)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    peak = max(counts)
    bw = (width - 20) / bins
    parts = [
        f'<svg role="img" aria-label="{e(title)}" width="{width}" height="{height + 40}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="14" font-weight="600">{e(title)}</text>',
    ]
    for i, c in enumerate(counts):
        h = (height - 20) * c / peak
        parts.append(
            f'<rect x="{10 + i * bw:.1f}" y="{20 + height - 20 - h:.1f}" width="{bw - 1:.1f}" height="{h:.1f}" fill="#3d6fb6"/>'
        )
    parts.append(
        f'<text x="10" y="{height + 16}" font-size="11">{lo:.1f} ms</text><text x="{width - 70}" y="{height + 16}" font-size="11">{hi:.1f} ms</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def render(report: dict[str, Any], questions: list[Question], answers: dict[str, dict]) -> str:
    m = report["metrics"]
    by_id = {q.id: q for q in questions}
    keys = [k for k in m if k not in ("latency_ms",)]
    rows = "".join(f"<tr><th>{e(k)}</th><td class=num>{e(fmt(m[k]))}</td></tr>" for k in keys)
    if report.get("baselines"):
        names = list(report["baselines"])
        header = "".join(f"<th>{e(n)}</th>" for n in names)
        shared = [k for k in keys if any(k in b for b in report["baselines"].values())]
        base_rows = "".join(
            f"<tr><th>{e(k)}</th><td class=num>{e(fmt(m.get(k)))}</td>"
            + "".join(f"<td class=num>{e(fmt(report['baselines'][n].get(k)))}</td>" for n in names)
            + "</tr>"
            for k in shared
        )
        baseline_html = (
            f"<h2>Against the baselines</h2><table><tr><th>metric</th><th>monobot</th>{header}</tr>{base_rows}</table>"
        )
    else:
        baseline_html = ""
    latency_rows = "".join(
        f"<tr><th>{e(stage)}</th><td class=num>{fmt(v['p50'])}</td><td class=num>{fmt(v['p95'])}</td><td class=num>{v['n']}</td></tr>"
        for stage, v in m["latency_ms"].items()
    )
    failures = []
    for item in report["items"]:
        if item["passed"]:
            continue
        q = by_id[item["id"]]
        a = answers.get(item["id"], {})
        why = []
        if not item["status_ok"]:
            why.append(f"status {item['got']} (expected {item['expected']})")
        if item.get("must_include_missing"):
            why.append("missing: " + ", ".join(item["must_include_missing"]))
        if item.get("doc_rank") is None and q.doc and q.expect == "answer":
            why.append(f"{q.doc} not retrieved")
        elif (item.get("doc_rank") or 0) > 5:
            why.append(f"{q.doc} at rank {item['doc_rank']}")
        if not item["markers_resolve"]:
            why.append("a [n] does not resolve")
        if not item["excerpts_verbatim"]:
            why.append("an excerpt is not verbatim")
        excerpts = "".join(
            f"<blockquote>[{e(c['n'])}] {e(c['title'])} — {e(c['section'])}\n{e(c['excerpt'])}</blockquote>"
            for c in a.get("citations", [])
        )
        failures.append(
            f"<tr><td>{e(item['id'])}<br><small>{e(item['category'])}</small></td><td>{e(q.question)}</td>"
            f"<td>{e(q.expect)} {e(q.doc or '')}<br><small>{e(q.section or '')}</small></td><td>{e('; '.join(why))}</td>"
            f"<td>{e(a.get('answer', ''))}{excerpts}</td></tr>"
        )
    category_plot = bars(
        {k: v["status_accuracy"] for k, v in report["by_category"].items()}, "status accuracy by category"
    )
    totals = [i["timings_ms"].get("total") for i in report["items"] if i.get("timings_ms", {}).get("total") is not None]
    run = report["run"]
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>monobot eval report</title><style>{CSS}</style></head><body>
<h1>monobot eval report</h1>
<p>{e(run["items"])} items from <code>{e(run["source"])}</code>, {e(run["skipped"])} lines skipped; mode {e(run["mode"])}; model {e(run["model"])}; {e(run["seconds"])} s.
Passed {e(m["passed"])} of {e(m["items"])}.</p>
<div class="grid"><div>{category_plot}</div><div>{confusion_svg(report["confusion"])}</div><div>{histogram(totals, "end-to-end latency per question")}</div></div>
<h2>Metrics</h2><table>{rows}</table>
{baseline_html}
<h2>Latency by stage (ms)</h2><table><tr><th>stage</th><th>p50</th><th>p95</th><th>n</th></tr>{latency_rows}</table>
<h2>Failures ({len(failures)})</h2>
<table><tr><th>id</th><th>question</th><th>expected</th><th>what went wrong</th><th>answer and cited excerpts</th></tr>{"".join(failures) or "<tr><td colspan=5>none</td></tr>"}</table>
</body></html>"""
