"""`monobot bench`: ingest, re-ingest, warm and cold latency, memory and index size, measured in one run
side by side with plain sentence-transformers encoding, a bare embed + Chroma query and the stock
LangChain recipe. Every figure comes from this run.

Ratios are taken from interleaved pairs (A, B, A, B, ...) and reported as the median of the per-pair
ratios: the ingest ratio ingests a slice of the corpus into a fresh store and encodes the same slice's
chunks with plain sentence-transformers, back to back, ROUNDS times. Measuring each side once, minutes
apart, let machine load in between decide the ratio (one 1,000-monograph run read 1.78x on a quiet
machine and 0.86x with load in between); interleaving puts both sides under the same load.
"""

from __future__ import annotations

import compileall
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from bot.settings import REPO_ROOT, Settings

from .measure import folder_mb, machine, run_measured
from .synthetic import generate, questions_for

SAMPLE_QUESTIONS = [
    "Is Cerebrolysin safe?",
    "What did the CASTA trial find?",
    "Does Semax improve memory?",
    "Has BPC-157 been tested in humans?",
    "Is Selank approved by the FDA?",
    "What was the risk ratio for non-fatal serious adverse events with Cerebrolysin?",
    "Can Cerebrolysin cause an allergic reaction?",
    "How much Semax should I take?",
    "what about allergic reactions?",
    "Is Noopept safe?",
    "How long did CARS give Cerebrolysin?",
    "Does Selank work for anxiety?",
]
TARGETS = {
    "warm_p50_ms": 10.0,  # on the sample (issue 14)
    "warm_p95_ms": 10.0,  # at 10,000 monographs (issue 12)
    "ratio_to_bare_max": 1.5,
    "cold_ask_s": 1.0,  # on the sample
    "cold_ask_10k_s": 1.5,
    "unchanged_reingest_10k_s": 10.0,
    "ingest_vs_st_min": 1.5,  # median of interleaved pairs
    "peak_memory_10k_mb": 2048.0,
}


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _env(store: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "MONOBOT_STORE": str(store),
        "HF_HUB_OFFLINE": "1",
        "TOKENIZERS_PARALLELISM": "false",
        **extra,
    }


def precompile() -> None:
    """Write monobot's own bytecode before timing a cold start, as `pip install` does for an installed package.
    An editable install under PYTHONDONTWRITEBYTECODE=1 (this project's sandbox sets it) compiles every module
    from source on each start: about 0.2 s of a 1.6 s cold `ask` here, paid by no installed copy."""
    for package in ("bot", "ingest", "eval"):
        compileall.compile_dir(REPO_ROOT / package, quiet=1)


def _fresh_store(path: Path, models: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    (path / "models").symlink_to(models.resolve(), target_is_directory=True)
    return path


def st_encode_rate(texts: list[str]) -> float:
    """Chunks per second of plain sentence-transformers encoding (torch, batch 32), on the same chunk texts."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    from bot.embedding import resolve_model_path

    model = SentenceTransformer(str(resolve_model_path("all-MiniLM-L6-v2")), device="cpu")
    model.encode(texts[:64], batch_size=32)
    started = time.perf_counter()
    model.encode(texts, batch_size=32)
    return len(texts) / (time.perf_counter() - started)


def chunk_texts(corpus: Path, limit: int) -> list[str]:
    """What ingest embeds for these files (each chunk with its title and heading), for the plain baseline."""
    from bot.embedding import TokenCounter
    from ingest.chunk import chunk_document
    from ingest.load import find_files, parse_file

    settings = Settings()
    embedder = TokenCounter(settings.embed_model)
    files, _ = find_files([corpus])
    texts: list[str] = []
    for path in files:
        doc = parse_file(path, settings.site_url)
        texts += [
            r.embed_text for r in chunk_document(doc, embedder.count_tokens, settings.chunk_tokens, embedder.model_id)
        ]
        if len(texts) >= limit:
            break
    return texts[:limit]


def bench_corpus(
    name: str,
    corpus: Path,
    work: Path,
    models: Path,
    questions: list[str],
    repeat: int,
    cold_runs: int,
    stock_docs: int | None,
    st_sample: int,
    pooled: bool = True,
) -> dict[str, Any]:
    monobot = str(Path(sys.executable).parent / "monobot")
    store = _fresh_store(work / f"store-{name}", models)
    result: dict[str, Any] = {"corpus": str(corpus), "documents": len(list(corpus.glob("*.txt")))}

    log(f"{name}: ingest")
    code, out, err, wall, rss = run_measured([monobot, "ingest", str(corpus), "--json", "--no-progress"], _env(store))
    if code != 0:
        raise RuntimeError(f"ingest failed: {err[-2000:]}")
    report = json.loads(out)
    result["ingest"] = {
        "chunks": report["chunks"],
        "embedded": report["embedded"],
        "seconds": round(report["seconds"], 2),
        "wall_seconds": round(wall, 2),
        "chunks_per_s": round(report["chunks"] / report["seconds"], 1),
        "peak_rss_mb": report.get("peak_rss_mb") or round(rss, 1),
    }
    log(f"{name}: {result['ingest']}")

    code, out, err, wall, rss = run_measured([monobot, "ingest", str(corpus), "--json", "--no-progress"], _env(store))
    again = json.loads(out)
    result["reingest_unchanged"] = {
        "seconds": round(again["seconds"], 3),
        "wall_seconds": round(wall, 2),
        "embedded": again["embedded"],
        "changed": again["changed"],
        "peak_rss_mb": again.get("peak_rss_mb") or round(rss, 1),
    }
    result["index_mb"] = round(folder_mb(store), 1)

    if pooled:
        log(f"{name}: ingest again with MONOBOT_SENTENCE_VECTORS=pooled (the faster, slightly worse option)")
        pooled_store = _fresh_store(work / f"store-{name}-pooled", models)
        code, out, err, wall, rss = run_measured(
            [monobot, "ingest", str(corpus), "--json", "--no-progress"],
            _env(pooled_store, MONOBOT_SENTENCE_VECTORS="pooled"),
        )
        if code == 0:
            report_pooled = json.loads(out)
            result["ingest_pooled"] = {
                "seconds": round(report_pooled["seconds"], 2),
                "chunks_per_s": round(report_pooled["chunks"] / report_pooled["seconds"], 1),
                "peak_rss_mb": report_pooled.get("peak_rss_mb") or round(rss, 1),
            }
        shutil.rmtree(pooled_store, ignore_errors=True)

    log(f"{name}: interleaved ingest vs plain sentence-transformers, {ROUNDS} rounds on a slice of {st_sample} chunks")
    pairs = interleaved_ingest_pairs(corpus, work / f"slice-{name}", models, st_sample, monobot)
    result["ingest_vs_st_pairs"] = pairs
    result["st_encode"] = {
        "chunks": pairs[0]["chunks"],
        "chunks_per_s": round(statistics.median(p["st_chunks_per_s"] for p in pairs), 1),
    }
    result["ingest_vs_st"] = round(statistics.median(p["ratio"] for p in pairs), 2)
    result["ingest_vs_st_spread"] = [round(min(p["ratio"] for p in pairs), 2), round(max(p["ratio"] for p in pairs), 2)]
    if "ingest_pooled" in result:
        st_rate = result["st_encode"]["chunks_per_s"]
        result["ingest_pooled_vs_st"] = round(result["ingest_pooled"]["chunks_per_s"] / st_rate, 2)

    log(f"{name}: warm queries ({len(questions)} questions × {repeat})")
    config = work / f"query-{name}.json"
    stock_dir = work / f"stock-{name}"
    shutil.rmtree(stock_dir, ignore_errors=True)
    config.write_text(
        json.dumps(
            {
                "store": str(store),
                "questions": questions,
                "repeat": repeat,
                "corpus": str(corpus),
                "stock_dir": str(stock_dir) if stock_docs != 0 else None,
                "stock_docs": stock_docs,
            }
        )
    )
    code, out, err, wall, rss = run_measured(
        [sys.executable, "-m", "eval.bench.query_worker", str(config)], _env(store)
    )
    if code != 0:
        raise RuntimeError(f"query worker failed: {err[-2000:]}")
    query = json.loads(out.strip().splitlines()[-1])
    # wait4 counts what the child inherited from this (large) process at fork; the worker's own VmHWM is peak_rss_mb
    query["process_peak_rss_mb_wait4"] = round(rss, 1)
    result["query"] = query
    total = query["stages_ms"]["total"]["p50"]
    result["ratio_to_bare"] = round(total / query["bare_embed_chroma_ms"]["p50"], 2)
    if "stock_langchain_ms" in query:
        result["ratio_to_stock"] = round(total / query["stock_langchain_ms"]["p50"], 2)
    shutil.rmtree(stock_dir, ignore_errors=True)

    log(f"{name}: cold `monobot ask` × {cold_runs}, interleaved with a bare interpreter start")
    precompile()
    colds, bares = [], []
    for i in range(cold_runs):
        code, out, err, wall, rss = run_measured([monobot, "ask", questions[i % len(questions)], "--json"], _env(store))
        if code != 0:
            raise RuntimeError(f"cold ask failed: {err[-2000:]}")
        colds.append(wall)
        bares.append(run_measured([sys.executable, "-c", "import numpy"], _env(store))[3])
    result["cold_ask_s"] = {
        "median": round(statistics.median(colds), 3),
        "min": round(min(colds), 3),
        "runs": [round(c, 3) for c in colds],
        "bare_python_numpy_median": round(statistics.median(bares), 3),
    }
    return result


ROUNDS = 3


def interleaved_ingest_pairs(corpus: Path, work: Path, models: Path, chunks: int, monobot: str) -> list[dict[str, Any]]:
    """ROUNDS pairs of (ingest a slice of the corpus into a fresh store, encode its chunks with plain
    sentence-transformers), back to back, so both sides of each ratio ran under the same machine load."""
    slice_dir = work / "corpus"
    shutil.rmtree(work, ignore_errors=True)
    slice_dir.mkdir(parents=True)
    texts: list[str] = []
    for path in sorted(corpus.glob("*.txt")):
        shutil.copy(path, slice_dir / path.name)
        texts += chunk_texts(slice_dir / path.name, chunks)
        if len(texts) >= chunks:
            break
    pairs = []
    for round_no in range(ROUNDS):
        store = _fresh_store(work / f"store-{round_no}", models)
        code, out, err, wall, _ = run_measured(
            [monobot, "ingest", str(slice_dir), "--json", "--no-progress"], _env(store)
        )
        if code != 0:
            raise RuntimeError(f"slice ingest failed: {err[-2000:]}")
        report = json.loads(out)
        ingest_rate = report["chunks"] / report["seconds"]
        st_rate = st_encode_rate(texts)
        pairs.append(
            {
                "chunks": report["chunks"],
                "ingest_chunks_per_s": round(ingest_rate, 1),
                "st_chunks_per_s": round(st_rate, 1),
                "ratio": round(ingest_rate / st_rate, 3),
            }
        )
        log(f"round {round_no + 1}: {pairs[-1]}")
        shutil.rmtree(store, ignore_errors=True)
    return pairs


def run(
    scales: list[int],
    out: Path,
    repeat: int = 3,
    cold_runs: int = 5,
    stock_docs: int = 1000,
    st_sample: int = 2000,
    include_sample: bool = True,
    pooled: bool = True,
) -> dict[str, Any]:
    out.mkdir(parents=True, exist_ok=True)
    work = out / "work"
    work.mkdir(exist_ok=True)
    models = work / "models"
    models.mkdir(exist_ok=True)
    # Export (and quantise) the model once, before anything is timed.
    from bot.embedding import load_embedder

    load_embedder(Settings().embed_model, Settings().embed_backend, models)

    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M"),
        "machine": machine(),
        "targets": TARGETS,
        "corpora": {},
    }
    if include_sample:
        results["corpora"]["sample"] = bench_corpus(
            "sample",
            REPO_ROOT / "corpus",
            work,
            models,
            SAMPLE_QUESTIONS,
            repeat,
            cold_runs,
            stock_docs,
            st_sample,
            pooled,
        )
        (out / "bench.json").write_text(json.dumps(results, indent=2))
    for n in scales:
        corpus = work / f"synthetic-{n}"
        log(f"generating {n} synthetic monographs")
        generate(n, corpus)
        questions = questions_for(corpus)
        results["corpora"][f"synthetic-{n}"] = bench_corpus(
            f"synthetic-{n}", corpus, work, models, questions, repeat, cold_runs, stock_docs, st_sample, pooled
        )
        (out / "bench.json").write_text(json.dumps(results, indent=2))  # keep what is done if a later scale is stopped
    from .report import write

    write(results, out)
    return results
