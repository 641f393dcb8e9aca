"""Run a question set through the same chain as `monobot ask` and write results, a JSON report and an HTML report."""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bot.index import IndexStore, iter_collection
from bot.settings import Settings

from . import metrics
from .questions import Question


def corpus_texts(store: IndexStore) -> dict[str, str]:
    """Each document's chunks joined in order: a cited excerpt must occur in it verbatim."""
    snapshot = store.snapshot()
    chunks: dict[str, list[tuple[int, str]]] = {}
    for _ids, docs, metas, _ in iter_collection(snapshot.collection, include=["documents", "metadatas"]):
        for text, meta in zip(docs, metas):
            chunks.setdefault(meta["doc"], []).append((int(meta["ordinal"]), text))
    return {doc: "\n".join(t for _, t in sorted(parts)) for doc, parts in chunks.items()}


def _baseline_scores(questions: list[Question], searcher: Any) -> dict[str, Any]:
    doc_ranks, must = [], []
    for q in questions:
        if q.expect != "answer":
            continue
        hits = searcher.search(q.question, k=5)
        if q.doc:
            doc_ranks.append(next((i for i, h in enumerate(hits, 1) if h.doc == q.doc), None))
        if q.must_include:
            text = "\n".join(h.text for h in hits[:4])
            must.append(sum(m in text for m in q.must_include) / len(q.must_include))
    refuse = [q for q in questions if q.expect == "refuse"]
    abstain = [q for q in questions if q.expect == "abstain"]
    return {
        "hit@1_doc": metrics._hits(doc_ranks, 1),
        "hit@3_doc": metrics._hits(doc_ranks, 3),
        "hit@5_doc": metrics._hits(doc_ranks, 5),
        "mrr_doc": metrics._mrr(doc_ranks),
        "must_include_recall": sum(must) / len(must) if must else None,
        "refusal_recall": 0.0 if refuse else None,  # a retrieval recipe answers everything
        "abstention_recall": 0.0 if abstain else None,
    }


def run(
    questions: list[Question],
    settings: Settings,
    out: Path,
    *,
    store: IndexStore,
    embedder: Any,
    corpus_files: list[Path] | None = None,
    baseline: bool = False,
    skipped: list[str] | None = None,
    source: str = "",
    progress: bool = True,
    bot: Any | None = None,
) -> dict[str, Any]:
    from tqdm import tqdm

    from bot.factory import build_bot

    out.mkdir(parents=True, exist_ok=True)
    bot = bot or build_bot(settings, store=store, embedder=embedder)
    texts = corpus_texts(store)
    items, answers = [], {}
    started = time.time()
    with open(out / "results.jsonl", "w", encoding="utf-8") as results:
        for q in tqdm(questions, desc="eval", unit="q", disable=not progress, file=sys.stderr):
            answer = bot.ask(q.question, q.history).to_dict(include_retrieved=True)
            answers[q.id] = answer
            # The item id, then the `ask --json` object (its own id kept as answer_id).
            line = {"id": q.id, **{k: v for k, v in answer.items() if k != "id"}, "answer_id": answer["id"]}
            results.write(json.dumps(line, ensure_ascii=False) + "\n")
            items.append(metrics.item_scores(q, answer, texts))
    report: dict[str, Any] = {
        "run": {
            "source": source,
            "started": started,
            "seconds": round(time.time() - started, 2),
            "items": len(questions),
            "skipped": len(skipped or []),
            "skipped_lines": skipped or [],
            "mode": "llm" if settings.llm else "extractive",
            "model": embedder.model_id,
        },
        "metrics": metrics.summarize(items),
        "by_category": metrics.by_category(items),
        "confusion": metrics.confusion(items),
        "items": items,
    }
    if baseline:
        if not corpus_files:
            raise ValueError("--baseline needs --corpus: the stock recipe is built from the raw files")
        from .baseline import BM25Only, StockRAG

        with tempfile.TemporaryDirectory(prefix="monobot-stock-") as tmp:
            stock = StockRAG.build(corpus_files, embedder, Path(tmp))
            report["baselines"] = {
                StockRAG.name: _baseline_scores(questions, stock),
                BM25Only.name: _baseline_scores(questions, BM25Only(store.snapshot())),
            }
    write_ragas(out / "ragas.jsonl", questions, answers)
    if settings.llm:
        from .llm_judge import judge_run

        report["llm_judge"] = judge_run(settings, questions, answers)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    from .report_html import render

    (out / "report.html").write_text(render(report, questions, answers), encoding="utf-8")
    return report


def write_ragas(path: Path, questions: list[Question], answers: dict[str, dict]) -> None:
    """RAGAS-compatible rows: question, answer, contexts (the cited excerpts), reference (the must-include facts)."""
    with open(path, "w", encoding="utf-8") as fh:
        for q in questions:
            a = answers.get(q.id)
            if a is None or q.expect != "answer":
                continue
            row = {
                "question": q.question,
                "answer": a["answer"],
                "contexts": [c["excerpt"] for c in a["citations"]],
                "reference": "; ".join(q.must_include),
            }
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
