"""bench.json, bench.md (tables and target verdicts) and bench.png (per-stage latency and throughput)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STAGES = ("guard", "embed", "condense", "dense", "lexical", "fuse", "compose")


def _f(value: Any, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def verdicts(results: dict[str, Any]) -> list[str]:
    t = results["targets"]
    lines = []
    for name, r in results["corpora"].items():
        q = r["query"]["stages_ms"]["total"]
        checks = [
            (f"warm p50 ≤ {t['warm_p50_ms']} ms", q["p50"] <= t["warm_p50_ms"], f"{q['p50']:.1f} ms"),
            (f"warm p95 ≤ {t['warm_p95_ms']} ms", q["p95"] <= t["warm_p95_ms"], f"{q['p95']:.1f} ms"),
            (
                f"≤ {t['ratio_to_bare_max']}× bare embed + Chroma",
                r["ratio_to_bare"] <= t["ratio_to_bare_max"],
                f"{r['ratio_to_bare']}×",
            ),
            (
                f"cold ask ≤ {t['cold_ask_s']} s",
                r["cold_ask_s"]["median"] <= t["cold_ask_s"],
                f"{r['cold_ask_s']['median']} s",
            ),
            (
                f"ingest ≥ {t['ingest_vs_st_min']}× plain sentence-transformers",
                r["ingest_vs_st"] >= t["ingest_vs_st_min"],
                f"{r['ingest_vs_st']}×",
            ),
        ]
        if name.endswith("10000"):
            peak = max(r["ingest"]["peak_rss_mb"], r["query"]["peak_rss_mb"])
            checks += [
                (
                    f"unchanged re-ingest ≤ {t['unchanged_reingest_10k_s']} s",
                    r["reingest_unchanged"]["wall_seconds"] <= t["unchanged_reingest_10k_s"],
                    f"{r['reingest_unchanged']['wall_seconds']} s",
                ),
                (f"peak memory ≤ {t['peak_memory_10k_mb']:.0f} MB", peak <= t["peak_memory_10k_mb"], f"{peak:.0f} MB"),
            ]
        lines.append(
            f"**{name}**: "
            + "; ".join(f"{label}: {'met' if ok else 'MISSED'} ({value})" for label, ok, value in checks)
        )
    return lines


def markdown(results: dict[str, Any]) -> str:
    m = results["machine"]
    out = [
        f"# monobot bench — {results['date']}",
        "",
        f"Machine: {m['cpus']} CPUs ({m['cpu']}), {m['memory']}, Python {m['python']}.",
        "",
    ]
    out += [
        "| corpus | docs | chunks | ingest chunks/s | plain ST chunks/s | ratio | unchanged re-ingest s | index MB | ingest peak MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["corpora"].items():
        i = r["ingest"]
        out.append(
            f"| {name} | {r['documents']} | {i['chunks']} | {i['chunks_per_s']} | {r['st_encode']['chunks_per_s']} | {r['ingest_vs_st']}× | {r['reingest_unchanged']['wall_seconds']} | {r['index_mb']} | {i['peak_rss_mb']:.0f} |"
        )
    out += [
        "",
        "Ingest with pooled sentence vectors (MONOBOT_SENTENCE_VECTORS=pooled): "
        + "; ".join(
            f"{n}: {r['ingest_pooled']['chunks_per_s']} chunks/s ({r.get('ingest_pooled_vs_st', '–')}× plain ST)"
            for n, r in results["corpora"].items()
            if "ingest_pooled" in r
        ),
    ]
    out += [
        "",
        "| corpus | warm p50 ms | warm p95 ms | bare embed+Chroma p50 | ratio | stock LangChain p50 | ratio | cold ask median s | query peak MB |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in results["corpora"].items():
        q = r["query"]
        stock = q.get("stock_langchain_ms", {})
        out.append(
            f"| {name} | {_f(q['stages_ms']['total']['p50'])} | {_f(q['stages_ms']['total']['p95'])} | {_f(q['bare_embed_chroma_ms']['p50'])} | {r['ratio_to_bare']}× | "
            f"{_f(stock.get('p50'))}{' (' + str(stock['documents']) + ' docs)' if stock else ''} | {str(r.get('ratio_to_stock', '–')) + '×' if stock else '–'} | {r['cold_ask_s']['median']} | {q['peak_rss_mb']:.0f} |"
        )
    out += [
        "",
        "Warm latency per stage, p50 / p95 ms:",
        "",
        "| corpus | " + " | ".join(STAGES) + " |",
        "|---|" + "---|" * len(STAGES),
    ]
    for name, r in results["corpora"].items():
        s = r["query"]["stages_ms"]
        out.append(
            f"| {name} | "
            + " | ".join(f"{_f(s[x]['p50'], 2)} / {_f(s[x]['p95'], 2)}" if x in s else "–" for x in STAGES)
            + " |"
        )
    firsts = [
        f"{name}: p50 {_f(f['p50'])} / p95 {_f(f['p95'])} / max {_f(f['max'])} ms"
        for name, r in results["corpora"].items()
        if (f := r["query"].get("first_pass_ms"))
    ]
    if firsts:
        out += ["", "First time each question is asked in the process (not in the warm figures): " + "; ".join(firsts)]
    out += ["", "Targets:", ""] + [f"- {line}" for line in verdicts(results)]
    return "\n".join(out) + "\n"


def plot(results: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results["corpora"])
    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    bottom = [0.0] * len(names)
    for stage in STAGES:
        values = [results["corpora"][n]["query"]["stages_ms"].get(stage, {}).get("p50") or 0.0 for n in names]
        left.bar(names, values, bottom=bottom, label=stage)
        bottom = [b + v for b, v in zip(bottom, values)]
    left.plot(
        names,
        [results["corpora"][n]["query"]["bare_embed_chroma_ms"]["p50"] for n in names],
        "k--o",
        label="bare embed + Chroma",
    )
    left.axhline(results["targets"]["warm_p50_ms"], color="red", linewidth=1, label="p50 target")
    left.set_ylabel("warm latency p50 (ms)")
    left.set_title("Where a warm answer's time goes")
    left.legend(fontsize=8)
    x = range(len(names))
    right.bar(
        [i - 0.2 for i in x],
        [results["corpora"][n]["ingest"]["chunks_per_s"] for n in names],
        width=0.4,
        label="monobot ingest",
    )
    right.bar(
        [i + 0.2 for i in x],
        [results["corpora"][n]["st_encode"]["chunks_per_s"] for n in names],
        width=0.4,
        label="plain sentence-transformers encode",
    )
    right.set_xticks(list(x), names)
    right.set_ylabel("chunks / s")
    right.set_title("Ingest throughput")
    right.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write(results: dict[str, Any], out: Path) -> None:
    (out / "bench.json").write_text(json.dumps(results, indent=2))
    (out / "bench.md").write_text(markdown(results))
    plot(results, out / "bench.png")
