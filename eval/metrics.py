"""Deterministic, offline metrics over one run: retrieval, grounding, status and latency.

Every metric the report shows is defined once, in DEFINITIONS (label, meaning, and whether higher is
better); the HTML report and docs/eval.md show these words, so a figure is never read without its meaning.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from bot.util import percentile

from .questions import Question

_MARKER = re.compile(r"\[(\d+)\]")
STAGES = ("embed", "guard", "condense", "dense", "lexical", "fuse", "compose", "llm", "total")
OFFTOPIC = {"offtopic", "off_topic", "off-topic"}


@dataclass(frozen=True)
class Definition:
    label: str
    meaning: str
    higher_is_better: bool = True
    unit: str = ""


DEFINITIONS: dict[str, Definition] = {
    "passed": Definition(
        "items passed",
        "Items with the expected status, every [n] resolving, every excerpt verbatim, every must_include fact "
        "found (in the answer or its excerpts) and, for answers, the expected monograph among the top 5 passages.",
    ),
    "status_accuracy": Definition(
        "status accuracy", "Share of items whose status (answered, refused, abstained) is the expected one."
    ),
    "hit@1_doc": Definition("hit@1 (doc)", "Share of answer items whose expected monograph is the top passage."),
    "hit@3_doc": Definition("hit@3 (doc)", "Share of answer items whose expected monograph is in the top 3."),
    "hit@5_doc": Definition("hit@5 (doc)", "Share of answer items whose expected monograph is in the top 5."),
    "mrr_doc": Definition(
        "MRR (doc)", "Mean of 1/rank of the first passage from the expected monograph (0 if absent)."
    ),
    "hit@1_section": Definition("hit@1 (section)", "As hit@1, for the expected section of the expected monograph."),
    "hit@3_section": Definition("hit@3 (section)", "As hit@3, for the expected section."),
    "hit@5_section": Definition("hit@5 (section)", "As hit@5, for the expected section."),
    "mrr_section": Definition("MRR (section)", "As MRR, for the expected section."),
    "must_include_in_answer": Definition(
        "facts in the answer text",
        "Mean share of an answer item's must_include facts found in the answer text itself (exact substring).",
    ),
    "must_include_recall": Definition(
        "facts with cited excerpts",
        "Mean share of an answer item's must_include facts found in the answer text or the excerpts it cites.",
    ),
    "bm25_top3_must_include": Definition(
        "facts in BM25-alone's top 3",
        "Mean share of must_include facts found in the top 3 chunks of BM25 alone over the same index: "
        "what plain keyword search would put in front of a reader.",
    ),
    "citation_markers_resolve": Definition(
        "[n] markers resolve", "Share of items where every [n] in the answer names one of its citations."
    ),
    "citation_excerpts_verbatim": Definition(
        "excerpts verbatim",
        "Share of items where every line of every cited excerpt occurs verbatim in its monograph's ingested chunks.",
    ),
    "refusal_recall": Definition("refusal recall", "Share of items expected to be refused that were refused."),
    "false_refusal_rate": Definition(
        "false-refusal rate", "Share of items not expected to be refused that were refused.", higher_is_better=False
    ),
    "abstention_precision": Definition(
        "abstention precision", "Of the items the bot abstained on, the share expected to be abstained on."
    ),
    "abstention_recall": Definition(
        "abstention recall", "Of the items expected to be abstained on, the share the bot abstained on."
    ),
    "weak_on_passed": Definition(
        "weak openings on correct answers",
        "Of the answered items that passed, the share flagged as weak evidence (evidence.level == weak), "
        "which open with a hedging sentence although the answer was right.",
        higher_is_better=False,
    ),
    "offtopic_answered_rate": Definition(
        "off-topic answered",
        "Share of items in the offtopic category that were answered (they should be abstained on or refused).",
        higher_is_better=False,
    ),
    "warm_answer_p50_ms": Definition(
        "warm answer p50",
        "Median end-to-end time of answered items, after one warm-up question (ms). Shown, never gated.",
        higher_is_better=False,
        unit="ms",
    ),
}


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
        "doc": q.doc,
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
        in_answer = answer.get("answer", "")
        out["must_include_in_answer"] = sum(m in in_answer for m in q.must_include) / len(q.must_include)
    evidence = answer.get("evidence") or {}
    # Attribution: why the bot answered weakly or abstained, as the evidence step saw it.
    out["evidence"] = {
        "level": evidence.get("level"),
        "score": evidence.get("score"),
        "reason": evidence.get("reason", ""),
        "missing": evidence.get("missing", []),
        "signals": evidence.get("signals", {}),
    }
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


def reasons(item: dict) -> list[str]:
    """What went wrong with one item, in words (the report's and JUnit's failure message)."""
    why = []
    if not item["status_ok"]:
        why.append(f"status {item['got']} (expected {item['expected']})")
    if item.get("must_include_missing"):
        why.append("missing: " + ", ".join(item["must_include_missing"]))
    if "doc_rank" in item and item["doc_rank"] is None:
        why.append(f"{item.get('doc')} not retrieved")
    elif (item.get("doc_rank") or 0) > 5:
        why.append(f"{item.get('doc')} at rank {item['doc_rank']}")
    if not item["markers_resolve"]:
        why.append("a [n] does not resolve")
    if not item["excerpts_verbatim"]:
        why.append("an excerpt is not verbatim")
    return why


def _hits(ranks: list[int | None], k: int) -> float | None:
    return sum(1 for r in ranks if r is not None and r <= k) / len(ranks) if ranks else None


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


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
    in_answer = [i["must_include_in_answer"] for i in items if "must_include_in_answer" in i]
    bm25 = [i["bm25_top3_recall"] for i in items if "bm25_top3_recall" in i]
    passed_answers = [i for i in items if i["passed"] and i["got"] == "answered"]
    offtopic = [i for i in items if i["category"].lower() in OFFTOPIC]
    answered_ms = [i["timings_ms"]["total"] for i in items if i["got"] == "answered" and "total" in i["timings_ms"]]
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
        "must_include_in_answer": _mean(in_answer),
        "must_include_recall": _mean(must),
        "bm25_top3_must_include": _mean(bm25),
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
        "weak_on_passed": sum((i.get("evidence") or {}).get("level") == "weak" for i in passed_answers)
        / len(passed_answers)
        if passed_answers
        else None,
        "offtopic_answered_rate": sum(i["got"] == "answered" for i in offtopic) / len(offtopic) if offtopic else None,
        "warm_answer_p50_ms": percentile(answered_ms, 0.5),
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
