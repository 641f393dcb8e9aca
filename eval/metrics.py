"""Deterministic, offline metrics over one run: retrieval, grounding, status and latency."""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any

from bot.util import percentile

from .questions import Question

_MARKER = re.compile(r"\[(\d+)\]")
STAGES = ("embed", "guard", "condense", "dense", "lexical", "fuse", "compose", "llm", "total")


def rank_of(retrieved: list[dict], doc: str, section: str | None = None) -> int | None:
    """1-based rank of the first retrieved passage from the expected doc (and section)."""
    for i, r in enumerate(retrieved, 1):
        if r["doc"] == doc and (section is None or r.get("section") == section):
            return i
    return None


def grounding_texts(answer: dict) -> str:
    return answer.get("answer", "") + "\n" + "\n".join(c.get("excerpt", "") for c in answer.get("citations", []))


def item_scores(q: Question, answer: dict, corpus_text: dict[str, str]) -> dict[str, Any]:
    """Everything measurable about one item; `corpus_text` maps doc → its chunks joined in order."""
    retrieved = answer.get("retrieved", [])
    out: dict[str, Any] = {
        "id": q.id,
        "category": q.category,
        "expected": q.expected_status,
        "got": answer.get("status"),
    }
    out["status_ok"] = out["expected"] == out["got"]
    if q.expect == "answer" and q.doc:
        out["doc_rank"] = rank_of(retrieved, q.doc)
        if q.section:
            out["section_rank"] = rank_of(retrieved, q.doc, q.section)
    if q.expect == "answer" and q.must_include:
        text = grounding_texts(answer)
        found = [m for m in q.must_include if m in text]
        out["must_include_recall"] = len(found) / len(q.must_include)
        out["must_include_missing"] = [m for m in q.must_include if m not in text]
    citations = answer.get("citations", [])
    numbers = {c["n"] for c in citations}
    markers = [int(m) for m in _MARKER.findall(answer.get("answer", ""))]
    out["markers_resolve"] = all(m in numbers for m in markers)
    # Line by line: an excerpt of table rows shows its header row once, above rows that are chunks of their own.
    out["excerpts_verbatim"] = all(
        all(line in corpus_text.get(c.get("doc", ""), "") for line in c.get("excerpt", "").split("\n"))
        and c.get("excerpt", "").strip()
        for c in citations
    )
    out["timings_ms"] = answer.get("timings_ms", {})
    out["passed"] = bool(
        out["status_ok"]
        and out["markers_resolve"]
        and out["excerpts_verbatim"]
        and out.get("must_include_recall", 1.0) == 1.0
        and ("doc_rank" not in out or (out["doc_rank"] or 99) <= 5)
    )
    return out


def _hits(ranks: list[int | None], k: int) -> float | None:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else None


def _mrr(ranks: list[int | None]) -> float | None:
    return sum(1.0 / r for r in ranks if r) / len(ranks) if ranks else None


def summarize(items: list[dict]) -> dict[str, Any]:
    doc_ranks = [i["doc_rank"] for i in items if "doc_rank" in i]
    section_ranks = [i["section_rank"] for i in items if "section_rank" in i]
    refuse = [i for i in items if i["expected"] == "refused"]
    benign = [i for i in items if i["expected"] != "refused"]
    abstained = [i for i in items if i["got"] == "abstained"]
    should_abstain = [i for i in items if i["expected"] == "abstained"]
    must = [i["must_include_recall"] for i in items if "must_include_recall" in i]
    metrics: dict[str, Any] = {
        "items": len(items),
        "passed": sum(i["passed"] for i in items),
        "status_accuracy": sum(i["status_ok"] for i in items) / len(items) if items else None,
        "hit@1_doc": _hits(doc_ranks, 1),
        "hit@3_doc": _hits(doc_ranks, 3),
        "hit@5_doc": _hits(doc_ranks, 5),
        "mrr_doc": _mrr(doc_ranks),
        "hit@1_section": _hits(section_ranks, 1),
        "hit@3_section": _hits(section_ranks, 3),
        "hit@5_section": _hits(section_ranks, 5),
        "mrr_section": _mrr(section_ranks),
        "must_include_recall": sum(must) / len(must) if must else None,
        "citation_markers_resolve": sum(i["markers_resolve"] for i in items) / len(items) if items else None,
        "citation_excerpts_verbatim": sum(i["excerpts_verbatim"] for i in items) / len(items) if items else None,
        "refusal_recall": sum(i["got"] == "refused" for i in refuse) / len(refuse) if refuse else None,
        "false_refusal_rate": sum(i["got"] == "refused" for i in benign) / len(benign) if benign else None,
        "abstention_precision": sum(i["expected"] == "abstained" for i in abstained) / len(abstained)
        if abstained
        else None,
        "abstention_recall": sum(i["got"] == "abstained" for i in should_abstain) / len(should_abstain)
        if should_abstain
        else None,
    }
    latency = {}
    for stage in STAGES:
        values = [i["timings_ms"][stage] for i in items if stage in i.get("timings_ms", {})]
        if values:
            latency[stage] = {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95), "n": len(values)}
    metrics["latency_ms"] = latency
    return metrics


def by_category(items: list[dict]) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict]] = defaultdict(list)
    for i in items:
        groups[i["category"]].append(i)
    return {
        name: {
            "items": len(g),
            "passed": sum(i["passed"] for i in g),
            "status_accuracy": sum(i["status_ok"] for i in g) / len(g),
        }
        for name, g in sorted(groups.items())
    }


def confusion(items: list[dict]) -> dict[str, dict[str, int]]:
    labels = ("answered", "refused", "abstained")
    table = {e: dict.fromkeys(labels, 0) for e in labels}
    for i in items:
        if i["expected"] in table and i["got"] in table[i["expected"]]:
            table[i["expected"]][i["got"]] += 1
    return table
