"""Run a question set (or a named suite's dev and test splits) through the same chain as `monobot ask`.

One split's run writes results.jsonl, report.json, report.html and ragas.jsonl. A suite run ingests each
split's corpus folders into a fresh temporary index, fails when a corpus did not fully ingest (a page that
failed to parse, a file that gave no document, a lost section), runs every split with its baselines (stock
LangChain RAG and BM25 alone) in the same run, and writes one report with the splits side by side plus one
folder per split.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.index import IndexStore, iter_collection
from bot.settings import Settings

from . import metrics
from .questions import Question, Split, Suite, load_many, select


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


def _bm25_top3(q: Question, searcher: Any) -> float | None:
    """Share of the item's must_include facts in BM25-alone's top 3 chunks (the lead's retrieval yardstick)."""
    if q.expect != "answer" or not q.must_include:
        return None
    text = "\n".join(h.text for h in searcher.search(q.question, k=3))
    return sum(m in text for m in q.must_include) / len(q.must_include)


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
    name: str = "",
    frozen: bool = False,
    compare_to: dict[str, Any] | None = None,
    ingest: dict[str, Any] | None = None,
    html: bool = True,
    thresholds: dict[str, Any] | None = None,
) -> dict[str, Any]:
    from tqdm import tqdm

    from bot.factory import build_bot

    from .baseline import BM25Only

    out.mkdir(parents=True, exist_ok=True)
    bot = bot or build_bot(settings, store=store, embedder=embedder)
    texts = corpus_texts(store)
    bm25 = BM25Only(store.snapshot())
    if questions:  # one warm-up question, not counted, so the latency figures are warm ones
        bot.ask(questions[0].question, questions[0].history)
    items, answers = [], {}
    started = time.time()
    with open(out / "results.jsonl", "w", encoding="utf-8") as results:
        for q in tqdm(questions, desc=name or "eval", unit="q", disable=not progress, file=sys.stderr):
            answer = bot.ask(q.question, q.history).to_dict(include_retrieved=True)
            answers[q.id] = answer
            # The item id, then the `ask --json` object (its own id kept as answer_id).
            line = {"id": q.id, **{k: v for k, v in answer.items() if k != "id"}, "answer_id": answer["id"]}
            results.write(json.dumps(line, ensure_ascii=False) + "\n")
            item = metrics.item_scores(q, answer, texts)
            top3 = _bm25_top3(q, bm25)
            if top3 is not None:
                item["bm25_top3_recall"] = top3
            items.append(item)
    report: dict[str, Any] = {
        "run": {
            "name": name or out.name,
            "source": source,
            "started": started,
            "seconds": round(time.time() - started, 2),
            "items": len(questions),
            "skipped": len(skipped or []),
            # A frozen split's skipped lines are not kept: they could quote its questions.
            "skipped_lines": [] if frozen else (skipped or []),
            "frozen": frozen,
            "mode": "llm" if settings.llm else "extractive",
            "model": embedder.model_id,
        },
        "metrics": metrics.summarize(items),
        "by_category": metrics.by_category(items),
        "confusion": metrics.confusion(items),
        "items": items,
    }
    if ingest is not None:
        report["ingest"] = ingest
    if baseline:
        if not corpus_files:
            raise ValueError("--baseline needs --corpus: the stock recipe is built from the raw files")
        from .baseline import StockRAG

        with tempfile.TemporaryDirectory(prefix="monobot-stock-") as tmp:
            stock = StockRAG.build(corpus_files, embedder, Path(tmp))
            report["baselines"] = {
                StockRAG.name: _baseline_scores(questions, stock),
                BM25Only.name: _baseline_scores(questions, bm25),
            }
    write_ragas(out / "ragas.jsonl", questions, answers)
    if settings.llm:
        from .llm_judge import judge_run

        report["llm_judge"] = judge_run(settings, questions, answers)
    if compare_to is not None:
        from .compare import compare

        report["compare"] = compare(compare_to, report, 0.02)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    if html:
        from .report_html import SplitView, render_page

        view = SplitView(report["run"]["name"], report, questions, answers, thresholds or {})
        (out / "report.html").write_text(render_page([view], title=f"monobot eval: {source}"), encoding="utf-8")
    return report


def write_ragas(path: Path, questions: list[Question], answers: dict[str, dict]) -> None:
    """RAGAS-compatible rows: question, answer, contexts (the cited excerpts), reference (the must-include facts).

    Rows only for items expected to be answered (a refusal has no reference to score against).
    """
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


# ------------------------------------------------------------------------------------------------ corpora
def fresh_settings(settings: Settings, directory: Path) -> Settings:
    """Settings for a temporary store in `directory`, reusing the cached ONNX export instead of exporting again."""
    models = Path(settings.store) / "models"
    if models.exists():
        (directory / "models").symlink_to(models.resolve(), target_is_directory=True)
    return settings.model_copy(update={"store": directory, "chroma_url": None})


def ingest_problems(report: Any, files: list[Path]) -> list[str]:
    """Why a corpus did not fully ingest: pages that failed, files that gave no document, sections lost.

    A warning that names a section (a heading with no text, a dropped section) counts as lost content; a
    source marker with no entry in Sources does not (the page is whole, only one reference is unresolved).
    """
    problems = list(report.failures)
    problems += [w for w in report.warnings if "section" in w.lower()]
    if not report.failures and report.documents < len(files):
        problems.append(f"{len(files)} monograph files found but only {report.documents} documents indexed")
    return problems


@dataclass
class Corpus:
    """One split's corpus, ingested into a fresh temporary index."""

    folders: list[Path]
    settings: Settings
    store: IndexStore
    embedder: Any
    files: list[Path]
    summary: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def ingest_corpus(folders: list[Path], settings: Settings, directory: Path) -> Corpus:
    from bot.index import get_embedder
    from ingest.load import find_files
    from ingest.pipeline import ingest

    settings = fresh_settings(settings, directory)
    embedder = get_embedder(settings)
    store = IndexStore(settings)
    files, missing = find_files(folders)
    report = ingest(folders, settings, store, embedder, progress=False)
    problems = missing + ingest_problems(report, files)
    summary = {
        "folders": [_shown(f) for f in folders],
        "files": len(files),
        "summary": report.summary(),
        "documents": report.documents,
        "sections": report.sections,
        "chunks": report.chunks,
        "failures": report.failures,
        "warnings": report.warnings,
        "problems": problems,
        "ok": not problems,
    }
    return Corpus(folders, settings, store, embedder, files, summary, problems)


@dataclass
class SuiteRun:
    report: dict[str, Any]
    views: list[Any]
    problems: list[str]


def run_suite(
    suite: Suite,
    settings: Settings,
    out: Path,
    *,
    baseline: bool = True,
    ids: list[str] | None = None,
    filters: list[str] | None = None,
    progress: bool = True,
    compare_to: dict[str, Any] | None = None,
    only: list[str] | None = None,
    log: Any = None,
) -> SuiteRun:
    """Every split of `suite` (or those named in `only`), each over its own freshly ingested corpus.

    Splits with the same corpus folders share one index. `log` receives progress lines for the terminal:
    counts and file names only, never a frozen split's questions.
    """
    from .report_html import SplitView

    say = log or (lambda line: None)
    out.mkdir(parents=True, exist_ok=True)
    splits: dict[str, Any] = {}
    views: list[SplitView] = []
    problems: list[str] = []
    with ExitStack() as stack:
        corpora: dict[tuple[str, ...], Corpus] = {}
        for split in suite.splits:
            if only and split.name not in only:
                continue
            key = tuple(str(f) for f in split.corpus)
            if key not in corpora:
                tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"monobot-eval-{suite.name}-")))
                corpora[key] = ingest_corpus(split.corpus, settings, tmp)
                say(f"ingested {' + '.join(map(_shown, split.corpus))}: {corpora[key].summary['summary']}")
                # Listed once per corpus, however many splits share it.
                problems += [f"{' + '.join(map(_shown, split.corpus))}: {line}" for line in corpora[key].problems]
            corpus = corpora[key]
            report, view = _run_split(
                suite, split, corpus, out / split.name, baseline, ids, filters, progress, compare_to, say
            )
            splits[split.name] = report
            views.append(view)
    suite_report = {
        "suite": suite.name,
        "description": suite.description,
        "run": {"name": out.name, "started": time.time()},
        "splits": splits,
        "problems": problems,
    }
    return SuiteRun(suite_report, views, problems)


def _shown(path: Path) -> str:
    """A path as the report shows it: relative to the repository when it is inside it."""
    from bot.settings import REPO_ROOT

    try:
        return str(Path(path).resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def _run_split(
    suite: Suite,
    split: Split,
    corpus: Corpus,
    out: Path,
    baseline: bool,
    ids: list[str] | None,
    filters: list[str] | None,
    progress: bool,
    compare_to: dict[str, Any] | None,
    say: Any,
) -> tuple[dict[str, Any], Any]:
    from .report_html import SplitView

    questions, errors = load_many(split.questions)
    if errors:
        # Counts only for a frozen split: a malformed line's message may quote the question.
        detail = "" if split.frozen else ": " + "; ".join(errors[:5])
        say(f"{split.name}: {len(errors)} lines skipped{detail}")
    questions = select(questions, ids, filters)
    previous = None
    if compare_to is not None:
        previous = compare_to.get("splits", {}).get(split.name) if "splits" in compare_to else compare_to
    report = run(
        questions,
        corpus.settings,
        out,
        store=corpus.store,
        embedder=corpus.embedder,
        corpus_files=corpus.files,
        baseline=baseline,
        skipped=errors,
        source=" + ".join(_shown(p) for p in split.questions),
        progress=progress,
        name=f"{suite.name}/{split.name}",
        frozen=split.frozen,
        compare_to=previous,
        ingest=corpus.summary,
    )
    answers = {}
    with open(out / "results.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            answers[row["id"]] = row
    return report, SplitView(split.name, report, questions, answers)


__all__ = ["corpus_texts", "ingest_corpus", "ingest_problems", "run", "run_suite", "write_ragas"]
