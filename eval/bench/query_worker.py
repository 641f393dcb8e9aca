"""Warm query latency in a process of its own (so its peak memory is the serving cost), side by side with
the bare embed + Chroma query and the stock LangChain recipe on the same questions.

python -m eval.bench.query_worker CONFIG.json → prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from bot.util import percentile as pct

STAGES = ("guard", "embed", "condense", "dense", "lexical", "fuse", "compose", "total")


def _peak_rss_mb() -> float | None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return None


def main(config_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    from bot.factory import build_bot
    from bot.settings import Settings

    settings = Settings(store=config["store"])
    bot = build_bot(settings)
    questions: list[str] = config["questions"]
    # One pass over every question first, timed on its own: what a question pays the first time a process
    # meets its words (the typo index built on the first unknown word, record pages read from disk) is a
    # one-off cost, reported as `first_pass_ms`, and kept out of the warm figures.
    first = []
    for q in questions:
        started = time.perf_counter()
        bot.ask(q)
        first.append((time.perf_counter() - started) * 1000)

    stages: dict[str, list[float]] = {s: [] for s in STAGES}
    statuses: dict[str, int] = {}
    for _ in range(config["repeat"]):
        for q in questions:
            answer = bot.ask(q)
            statuses[answer.status] = statuses.get(answer.status, 0) + 1
            for stage in STAGES:
                if stage in answer.timings_ms:
                    stages[stage].append(answer.timings_ms[stage])

    snapshot = bot.store.snapshot()
    bare = []
    for _ in range(config["repeat"]):
        for q in questions:
            started = time.perf_counter()
            vector = bot.embedder.embed_query(q)
            snapshot.collection.query(query_embeddings=[vector], n_results=4, include=["documents", "metadatas"])
            bare.append((time.perf_counter() - started) * 1000)

    result = {
        "peak_rss_mb": _peak_rss_mb(),  # the serving cost, read before the stock recipe is built in this process
        "stages_ms": {s: {"p50": pct(v, 0.5), "p95": pct(v, 0.95), "n": len(v)} for s, v in stages.items() if v},
        "first_pass_ms": {"p50": pct(first, 0.5), "p95": pct(first, 0.95), "max": max(first, default=0.0)},
        "bare_embed_chroma_ms": {"p50": pct(bare, 0.5), "p95": pct(bare, 0.95)},
        "statuses": statuses,
        "chunks": snapshot.info.chunks,
        "model": bot.embedder.model_id,
    }
    if config.get("stock_dir"):
        from eval.baseline import StockRAG

        files = sorted(Path(config["corpus"]).glob("*.txt"))[: config.get("stock_docs") or None]
        started = time.perf_counter()
        stock = StockRAG.build(files, bot.embedder, Path(config["stock_dir"]))
        build_s = time.perf_counter() - started
        for q in questions[:3]:
            stock.search(q)
        lat = []
        for _ in range(config["repeat"]):
            for q in questions:
                started = time.perf_counter()
                stock.search(q, k=4)
                lat.append((time.perf_counter() - started) * 1000)
        result["stock_langchain_ms"] = {
            "p50": pct(lat, 0.5),
            "p95": pct(lat, 0.95),
            "documents": len(files),
            "build_seconds": round(build_s, 2),
            "chunks": stock.store._collection.count(),
        }
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
