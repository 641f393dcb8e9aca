"""A self-contained HTML report: inline CSS, SVG plots and a small filter script, every piece of text escaped.

One page shows one run or a suite's splits side by side: metric definitions, threshold pass/fail badges,
the baselines (stock LangChain RAG, BM25 alone), the diff against an earlier run when one was given, plots
(status accuracy by category, expected-vs-actual status, latency with axes and an overflow bin), and a
searchable, filterable table of *every* item with its answer, cited excerpts and evidence attribution.
Nothing is loaded from outside the file.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass, field
from typing import Any

from bot.util import percentile

from .compare import check
from .metrics import DEFINITIONS, reasons
from .questions import Question

CSS = """
:root{--fg:#1d2733;--muted:#5a6878;--line:#d4dbe3;--head:#f1f4f8;--ok:#1e6b0a;--okbg:#e3f3dc;--bad:#a4161a;--badbg:#fbe3e3;--warn:#8a5a00}
body{font:14px/1.45 system-ui,sans-serif;margin:1.5rem auto;max-width:1280px;color:var(--fg);padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid var(--line);padding-bottom:.2rem}
h3{font-size:1rem;margin:1.2rem 0 .3rem}
.scroll{overflow-x:auto}table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:var(--head)}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,480px),1fr));gap:1.5rem;align-items:start}.grid>div{min-width:0;overflow-x:auto}
.badge{display:inline-block;border-radius:4px;padding:0 .35rem;font-size:12px;font-weight:600;white-space:nowrap}
.pass{background:var(--okbg);color:var(--ok)}.fail{background:var(--badbg);color:var(--bad)}.none{background:#eef0f3;color:var(--muted)}
.def{color:var(--muted);font-size:12px}.bound{color:var(--muted);font-size:12px;white-space:nowrap}
blockquote{margin:.25rem 0;padding:.25rem .5rem;border-left:3px solid #c8d1dc;background:#fafbfc;white-space:pre-wrap;overflow-wrap:anywhere}
small{color:var(--muted)}.problems{background:var(--badbg);border:1px solid #f1b5b5;padding:.5rem 1rem;border-radius:6px}
.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center;margin:.5rem 0;position:sticky;top:0;background:#fff;padding:.4rem 0;z-index:1}
.filters input,.filters select{font:inherit;padding:.3rem .4rem;border:1px solid #b8c4d2;border-radius:4px;min-height:32px}
.filters input[type=search]{flex:1;min-width:14rem}
#items td.q{min-width:14rem}#items td.a{min-width:22rem;max-width:40rem}#items details summary{cursor:pointer;color:#1f4f8f}
.conf td{text-align:center;font-variant-numeric:tabular-nums;min-width:5rem}.conf th{white-space:nowrap}
svg text{font-family:system-ui,sans-serif;fill:#1d2733}svg{max-width:100%;height:auto}
.def-inline{display:none}
@media (max-width:700px){body{margin:.5rem auto;padding:0 .5rem}.grid{grid-template-columns:1fr}
.def-col{display:none}.def-inline{display:block;font-weight:400;margin-top:.2rem}.badge+.bound{display:block}
#items td.q,#items td.a{min-width:12rem}}
"""

# Filters the items table by text and by the data-* attributes of each row. No external script.
SCRIPT = """
(function(){
  var rows=[].slice.call(document.querySelectorAll('#items tbody tr'));
  var q=document.getElementById('f-text'),sel=[].slice.call(document.querySelectorAll('.filters select'));
  var count=document.getElementById('f-count');
  function apply(){
    var text=q.value.trim().toLowerCase(),shown=0;
    rows.forEach(function(r){
      var ok=!text||r.textContent.toLowerCase().indexOf(text)>=0;
      sel.forEach(function(s){ if(ok&&s.value&&r.dataset[s.dataset.key]!==s.value) ok=false; });
      r.hidden=!ok; if(ok) shown++;
    });
    count.textContent=shown+' of '+rows.length+' items';
  }
  q.addEventListener('input',apply); sel.forEach(function(s){s.addEventListener('change',apply);});
  apply();
})();
"""


def e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.1f} {unit}".strip() if unit else f"{value:.3f}"
    return f"{value} {unit}".strip()


@dataclass
class SplitView:
    """One split (or a plain run) as the page shows it: its report, its questions and its answers."""

    name: str
    report: dict[str, Any]
    questions: list[Question]
    answers: dict[str, dict]
    thresholds: dict[str, dict[str, float]] = field(default_factory=dict)


# -------------------------------------------------------------------------------------------- plots
def bars(data: dict[str, tuple[float, int]], title: str, width: int = 520) -> str:
    """Horizontal bars in [0, 1] with a labelled 0–1 axis; the label column fits the longest label."""
    if not data:
        return ""
    row = 24
    left = min(220, 12 + 7 * max(len(k) for k in data))
    plot = width - left - 70
    top = 28
    height = top + row * len(data) + 34
    parts = [
        f'<svg role="img" aria-label="{e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" font-weight="600" font-size="14">{e(title)}</text>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        x = left + tick * plot
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + row * len(data)}" stroke="#e3e8ee"/>')
        parts.append(
            f'<text x="{x:.1f}" y="{top + row * len(data) + 14}" font-size="11" text-anchor="middle">{tick:g}</text>'
        )
    for i, (label, (value, n)) in enumerate(data.items()):
        y = top + i * row
        w = max(0.0, min(1.0, value)) * plot
        color = "#2b7a0b" if value >= 0.9 else "#d08c00" if value >= 0.7 else "#a4161a"
        shown = label if len(label) * 7 <= left - 12 else label[: max(3, (left - 12) // 7 - 1)] + "…"
        parts.append(
            f'<text x="{left - 8}" y="{y + 16}" font-size="12" text-anchor="end"><title>{e(label)}</title>{e(shown)}</text>'
        )
        parts.append(f'<rect x="{left}" y="{y + 4}" width="{w:.1f}" height="16" fill="{color}"/>')
        parts.append(f'<text x="{left + w + 4:.1f}" y="{y + 16}" font-size="11">{value:.2f} (n={n})</text>')
    parts.append(
        f'<text x="{left + plot / 2:.1f}" y="{height - 4}" font-size="11" text-anchor="middle">share of items with the expected status</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def confusion_table(table: dict[str, dict[str, int]]) -> str:
    """Expected (rows) against actual (columns) as an HTML table, shaded by count: labels never overlap."""
    labels = list(table)
    peak = max([v for row in table.values() for v in row.values()] + [1])
    head = "".join(f"<th scope=col>{e(g)}</th>" for g in labels)
    body = []
    for expected in labels:
        cells = []
        for got in labels:
            value = table[expected][got]
            alpha = 0.08 + 0.6 * value / peak if value else 0
            hue = "43,122,11" if expected == got else "164,22,26"
            cells.append(f'<td style="background:rgba({hue},{alpha:.2f})">{value}</td>')
        body.append(f"<tr><th scope=row>{e(expected)}</th>{''.join(cells)}</tr>")
    return (
        '<table class="conf" aria-label="expected versus actual status"><caption><b>Expected (rows) vs actual (columns)</b></caption>'
        f"<tr><th></th>{head}</tr>{''.join(body)}</table>"
    )


def nice_step(span: float, ticks: int = 4) -> float:
    """A round tick step (1, 2 or 5 times a power of ten) giving about `ticks` intervals over `span`."""
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def histogram(values: list[float], title: str, bins: int = 20, width: int = 520, height: int = 200) -> str:
    """Latency histogram with both axes; values above the 95th percentile × 1.5 share one overflow bar, so one
    slow question cannot squash the rest."""
    if not values:
        return ""
    lo = 0.0
    p95 = percentile(values, 0.95) or max(values)
    hi = max(p95 * 1.5, min(values) + 1e-9)
    clipped = max(values) > hi
    if not clipped:
        hi = max(values)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    overflow = 0
    for v in values:
        if v > hi:
            overflow += 1
        else:
            counts[min(bins - 1, int((v - lo) / span * bins))] += 1
    peak = max(counts + [overflow, 1])
    left, top, bottom, right = 44, 26, 40, 70 if clipped else 16
    pw, ph = width - left - right, height - top - bottom
    bw = pw / bins
    parts = [
        f'<svg role="img" aria-label="{e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="0" y="16" font-weight="600" font-size="14">{e(title)}</text>',
        f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#5a6878"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#5a6878"/>',
    ]
    for i, c in enumerate(counts):
        h = ph * c / peak
        parts.append(
            f'<rect x="{left + i * bw + 0.5:.1f}" y="{top + ph - h:.1f}" width="{bw - 1:.1f}" height="{h:.1f}" fill="#3d6fb6"><title>{c}</title></rect>'
        )
    step = nice_step(span)
    for k in range(int(span / step) + 1):
        value = lo + step * k
        x = left + pw * (value - lo) / span
        parts.append(f'<line x1="{x:.1f}" y1="{top + ph}" x2="{x:.1f}" y2="{top + ph + 4}" stroke="#5a6878"/>')
        parts.append(f'<text x="{x:.1f}" y="{top + ph + 16}" font-size="11" text-anchor="middle">{value:.0f}</text>')
    for k in (0, 0.5, 1):
        y = top + ph - ph * k
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{peak * k:.0f}</text>'
            f'<line x1="{left - 3}" y1="{y:.1f}" x2="{left}" y2="{y:.1f}" stroke="#5a6878"/>'
        )
    if clipped:
        h = ph * overflow / peak
        x = left + pw + 12
        parts.append(f'<rect x="{x}" y="{top + ph - h:.1f}" width="{bw:.1f}" height="{h:.1f}" fill="#a4161a"/>')
        parts.append(
            f'<text x="{x + bw / 2:.1f}" y="{top + ph + 16}" font-size="11" text-anchor="middle">&gt;{hi:.0f}</text>'
        )
        parts.append(
            f'<text x="{x + bw / 2:.1f}" y="{top + ph - h - 4:.1f}" font-size="11" text-anchor="middle">{overflow}</text>'
        )
    parts.append(
        f'<text x="{left + pw / 2:.1f}" y="{height - 4}" font-size="11" text-anchor="middle">end-to-end time per question (ms)</text>'
        f'<text transform="translate(11 {top + ph / 2:.1f}) rotate(-90)" font-size="11" text-anchor="middle">questions</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


# -------------------------------------------------------------------------------------------- sections
def badge(value: Any, bound: dict[str, float] | None) -> str:
    if not bound:
        return ""
    why = check(value, bound)
    limit = f"≥ {bound['min']}" if "min" in bound else f"≤ {bound['max']}"
    if why is None:
        return (
            f' <span class="badge pass" title="threshold {e(limit)}">pass</span> <span class="bound">{e(limit)}</span>'
        )
    return f' <span class="badge fail" title="{e(why)}">fail</span> <span class="bound">{e(limit)}</span>'


def metrics_table(views: list[SplitView]) -> str:
    keys = [k for k in DEFINITIONS if any(v.report["metrics"].get(k) is not None for v in views)]
    head = "".join(f"<th scope=col>{e(v.name)}</th>" for v in views)
    rows = []
    for key in keys:
        d = DEFINITIONS[key]
        cells = []
        for v in views:
            value = v.report["metrics"].get(key)
            if key == "passed":
                shown = f"{value} / {v.report['metrics']['items']}"
            else:
                shown = fmt(value, d.unit)
            cells.append(f"<td class=num>{e(shown)}{badge(value, v.thresholds.get(key))}</td>")
        arrow = "higher is better" if d.higher_is_better else "lower is better"
        rows.append(
            f"<tr><th scope=row>{e(d.label)}<br><small><code>{e(key)}</code> · {arrow}</small>"
            f'<span class="def def-inline">{e(d.meaning)}</span></th>'
            f'<td class="def def-col">{e(d.meaning)}</td>{"".join(cells)}</tr>'
        )
    return f'<div class="scroll"><table class="metrics"><tr><th>metric</th><th class="def-col">definition</th>{head}</tr>{"".join(rows)}</table></div>'


def gate_summary(views: list[SplitView]) -> str:
    parts = []
    for v in views:
        if not v.thresholds:
            continue
        failed = [
            f"{k} {check(v.report['metrics'].get(k), b)}"
            for k, b in v.thresholds.items()
            if not k.startswith("_") and check(v.report["metrics"].get(k), b)
        ]
        verdict = (
            '<span class="badge pass">gate passed</span>'
            if not failed
            else f'<span class="badge fail">gate failed</span> {e("; ".join(failed))}'
        )
        parts.append(f"<li><b>{e(v.name)}</b>: {verdict}</li>")
    return f"<ul>{''.join(parts)}</ul>" if parts else ""


def baselines_table(view: SplitView) -> str:
    baselines = view.report.get("baselines")
    if not baselines:
        return ""
    names = list(baselines)
    m = view.report["metrics"]
    keys = [k for k in DEFINITIONS if any(k in b for b in baselines.values())]
    rows = "".join(
        f"<tr><th scope=row>{e(DEFINITIONS[k].label)}</th><td class=num>{e(fmt(m.get(k)))}</td>"
        + "".join(f"<td class=num>{e(fmt(baselines[n].get(k)))}</td>" for n in names)
        + "</tr>"
        for k in keys
    )
    header = "".join(f"<th>{e(n)}</th>" for n in names)
    return (
        f"<h3>{e(view.name)}: against the baselines</h3>"
        "<p class=def>Baselines neither refuse nor abstain. Their facts are checked over their top-4 chunks, "
        "monobot's over its short answer and cited excerpts only, which favours the baselines.</p>"
        f"<table><tr><th>metric</th><th>monobot</th>{header}</tr>{rows}</table>"
    )


REGRESSION = ' <span class="badge fail">regression</span>'


def compare_section(view: SplitView) -> str:
    result = view.report.get("compare")
    if not result:
        return ""
    a, b = result.get("names") or ["earlier", "this run"]
    rows = "".join(
        f"<tr><th scope=row>{e(DEFINITIONS[r['metric']].label if r['metric'] in DEFINITIONS else r['metric'])}</th>"
        f"<td class=num>{fmt(r['a'])}</td><td class=num>{fmt(r['b'])}</td>"
        f"<td class=num>{r['delta']:+.3f}{REGRESSION if r['regression'] else ''}</td></tr>"
        for r in result["rows"]
    )
    flipped = "".join(
        f"<li><code>{e(f['id'])}</code> ({e(f['category'])}): {e(f['a'])} → {e(f['b'])} (now {e(f['got'])})</li>"
        for f in result["flipped"]
    )
    warnings = "".join(f"<p class=def>warning: {e(w)}</p>" for w in result.get("warnings", []))
    return (
        f"<h3>{e(view.name)}: {e(b)} against {e(a)}</h3>{warnings}"
        f"<table><tr><th>metric</th><th>{e(a)}</th><th>{e(b)}</th><th>delta</th></tr>{rows}</table>"
        f"<p>Items that flipped: {len(result['flipped'])}</p><ul>{flipped}</ul>"
    )


def latency_table(view: SplitView) -> str:
    rows = "".join(
        f"<tr><th scope=row>{e(stage)}</th><td class=num>{v['p50']:.1f}</td><td class=num>{v['p95']:.1f}</td><td class=num>{v['n']}</td></tr>"
        for stage, v in view.report["metrics"]["latency_ms"].items()
    )
    return f"<h3>{e(view.name)}: latency by stage (ms)</h3><table><tr><th>stage</th><th>p50</th><th>p95</th><th>n</th></tr>{rows}</table>"


def ingest_sections(views: list[SplitView]) -> str:
    """Each corpus once: a split over the same folders as an earlier one says so instead of repeating it."""
    seen: dict[tuple[str, ...], str] = {}
    parts = []
    for view in views:
        ing = view.report.get("ingest")
        if not ing:
            continue
        key = tuple(ing["folders"])
        if key in seen:
            parts.append(f"<p><b>{e(view.name)} corpus</b>: the same as {e(seen[key])}.</p>")
            continue
        seen[key] = view.name
        problems = "".join(f"<li>{e(p)}</li>" for p in ing.get("problems", []))
        verdict = (
            '<span class="badge pass">fully ingested</span>'
            if ing.get("ok")
            else f'<span class="badge fail">not fully ingested</span><ul class="problems">{problems}</ul>'
        )
        parts.append(
            f"<p><b>{e(view.name)} corpus</b> <code>{e(' + '.join(ing['folders']))}</code>: "
            f"{e(ing['files'])} files; {e(ing['summary'])} {verdict}</p>"
        )
    return "".join(parts)


def plots(view: SplitView) -> str:
    by_cat = {k: (v["status_accuracy"], v["items"]) for k, v in view.report["by_category"].items()}
    totals = [
        i["timings_ms"]["total"] for i in view.report["items"] if i.get("timings_ms", {}).get("total") is not None
    ]
    return (
        f'<h3>{e(view.name)}</h3><div class="grid"><div>{bars(by_cat, "status accuracy by category")}</div>'
        f"<div>{confusion_table(view.report['confusion'])}</div>"
        f"<div>{histogram(totals, 'end-to-end latency per question')}</div></div>"
    )


def _excerpts(answer: dict) -> str:
    return "".join(
        f"<blockquote>[{e(c['n'])}] {e(c['title'])} — {e(c['section'])}\n{e(c['excerpt'])}</blockquote>"
        for c in answer.get("citations", [])
    )


def _evidence(item: dict) -> str:
    ev = item.get("evidence") or {}
    if not ev.get("level"):
        return ""
    signals = ", ".join(f"{k} {v:.2f}" for k, v in (ev.get("signals") or {}).items() if isinstance(v, (int, float)))
    missing = f"<br>missing: {e(', '.join(ev['missing']))}" if ev.get("missing") else ""
    score = f" {ev['score']:.2f}" if isinstance(ev.get("score"), (int, float)) else ""
    return (
        f"<b>{e(ev['level'])}</b>{e(score)}<br><small>{e(ev.get('reason', ''))}{missing}"
        f"{'<br>' + e(signals) if signals else ''}</small>"
    )


def items_table(views: list[SplitView]) -> str:
    rows = []
    categories: set[str] = set()
    for v in views:
        by_id = {q.id: q for q in v.questions}
        for item in v.report["items"]:
            q = by_id.get(item["id"])
            a = v.answers.get(item["id"], {})
            categories.add(item["category"])
            verdict = "pass" if item["passed"] else "fail"
            expected = f"{e(item['expected'])}<br><small>{e(q.doc if q else '')} {e(q.section if q else '')}</small>"
            history = ""
            if q and q.history:
                history = (
                    "<small>after: "
                    + e(" / ".join(t["content"][:80] for t in q.history if t["role"] == "user"))
                    + "</small><br>"
                )
            rows.append(
                f'<tr data-split="{e(v.name)}" data-verdict="{verdict}" data-got="{e(item["got"])}" '
                f'data-expected="{e(item["expected"])}" data-category="{e(item["category"])}">'
                f"<td>{e(v.name)}</td><td><code>{e(item['id'])}</code><br><small>{e(item['category'])}</small></td>"
                f'<td><span class="badge {verdict}">{verdict}</span></td>'
                f'<td class="q">{history}{e(q.question if q else "")}</td><td>{expected}</td><td>{e(item["got"])}</td>'
                f"<td>{e('; '.join(reasons(item)))}</td>"
                f'<td class="a">{e(a.get("answer", ""))}'
                + (
                    f"<details><summary>cited excerpts ({len(a.get('citations', []))})</summary>{_excerpts(a)}</details>"
                    if a.get("citations")
                    else ""
                )
                + f"</td><td>{_evidence(item)}</td></tr>"
            )

    def options(key: str, values: list[str], label: str) -> str:
        opts = "".join(f'<option value="{e(x)}">{e(x)}</option>' for x in values)
        return f'<label>{label} <select data-key="{key}"><option value="">all</option>{opts}</select></label>'

    splits = [v.name for v in views]
    filters = (
        '<div class="filters" role="search"><input type="search" id="f-text" placeholder="Search questions, answers, excerpts, ids…" aria-label="Search items">'
        + (options("split", splits, "split") if len(splits) > 1 else "")
        + options("verdict", ["pass", "fail"], "result")
        + options("expected", ["answered", "refused", "abstained"], "expected")
        + options("got", ["answered", "refused", "abstained"], "got")
        + options("category", sorted(categories), "category")
        + '<span id="f-count" role="status"></span></div>'
    )
    header = "<tr><th>split</th><th>id</th><th>result</th><th>question</th><th>expected</th><th>got</th><th>what went wrong</th><th>answer and cited excerpts</th><th>evidence</th></tr>"
    return f'{filters}<div class="scroll"><table id="items"><thead>{header}</thead><tbody>{"".join(rows)}</tbody></table></div>'


def run_line(view: SplitView) -> str:
    run = view.report["run"]
    return (
        f"<li><b>{e(view.name)}</b>: {e(run['items'])} items from <code>{e(run.get('source', ''))}</code>, "
        f"{e(run.get('skipped', 0))} lines skipped; mode {e(run.get('mode'))}; model {e(run.get('model'))}; {e(run.get('seconds'))} s.</li>"
    )


def render_page(views: list[SplitView], title: str = "monobot eval report", problems: list[str] | None = None) -> str:
    problem_html = (
        f'<p class="problems"><b>This run is not valid:</b> its corpus did not fully ingest '
        f"({len(problems)} problems, listed with the corpus below), so its figures are not comparable.</p>"
        if problems
        else ""
    )
    compare_html = "".join(compare_section(v) for v in views)
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{e(title)}</title><style>{CSS}</style></head><body>
<h1>{e(title)}</h1>
<ul>{"".join(run_line(v) for v in views)}</ul>
{problem_html}{ingest_sections(views)}
{gate_summary(views)}
<h2>Metrics</h2>
<p class="def">Each metric is defined beside its value. Badges compare the value with the split's CI threshold.</p>
{metrics_table(views)}
<h2>Baselines</h2>{"".join(baselines_table(v) for v in views) or "<p>Not run (use <code>--baseline</code>).</p>"}
{"<h2>Against an earlier run</h2>" + compare_html if compare_html else ""}
<h2>Plots</h2>{"".join(plots(v) for v in views)}
<h2>Latency</h2>{"".join(latency_table(v) for v in views)}
<h2>All items</h2>
{items_table(views)}
<script>{SCRIPT}</script>
</body></html>"""


def render(report: dict[str, Any], questions: list[Question], answers: dict[str, dict]) -> str:
    """One run's page (kept for callers that render a report they loaded)."""
    name = report.get("run", {}).get("name") or "run"
    return render_page([SplitView(name, report, questions, answers)])
