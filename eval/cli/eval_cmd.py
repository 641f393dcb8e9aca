"""monobot eval run|compare|gate — run the question set through the chain, compare runs, gate CI on thresholds."""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from bot.cli.common import add_store_option, fail, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("eval", help="evaluate answers on a labelled question set")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    run = actions.add_parser("run", help="run QUESTIONS.jsonl through the same chain as `ask`")
    run.add_argument("questions", type=Path)
    source = run.add_mutually_exclusive_group()
    source.add_argument("--corpus", type=Path, help="ingest this folder into a fresh temporary store first")
    add_store_option(source)
    run.add_argument("--out", type=Path, required=True, help="folder for results.jsonl, report.json, report.html")
    run.add_argument(
        "--baseline",
        action="store_true",
        help="also run the stock LangChain RAG recipe and BM25 alone (needs --corpus)",
    )
    run.add_argument("--thresholds", type=Path, help="exit 1 if the run falls below these (e.g. eval/thresholds.json)")
    run.add_argument("--no-progress", action="store_true")
    run.set_defaults(handler=run_cmd)

    cmp = actions.add_parser("compare", help="two runs side by side, with the items that flipped")
    cmp.add_argument("run_a", type=Path)
    cmp.add_argument("run_b", type=Path)
    cmp.add_argument(
        "--fail-on-regression", action="store_true", help="exit 1 when a metric is worse by more than the tolerance"
    )
    cmp.add_argument("--tolerance", type=float, default=0.02)
    cmp.add_argument("--json", action="store_true")
    cmp.set_defaults(handler=compare_cmd)

    gate = actions.add_parser("gate", help="check a run against thresholds")
    gate.add_argument("run", type=Path)
    gate.add_argument("thresholds", type=Path)
    gate.set_defaults(handler=gate_cmd)


def run_cmd(args: argparse.Namespace) -> int:
    from bot.index import IndexStore, get_embedder
    from eval.questions import load
    from eval.run import run
    from ingest.load import find_files
    from ingest.pipeline import ingest

    if not args.questions.exists():
        return fail(f"{args.questions}: no such file")
    questions, errors = load(args.questions)
    for line in errors:
        print(f"monobot: {line} (skipped)", file=sys.stderr)
    if not questions:
        return fail("no valid questions to run")
    settings = settings_from(args)
    tmp = None
    if args.corpus:
        if not args.corpus.exists():
            return fail(f"{args.corpus}: no such folder")
        tmp = tempfile.TemporaryDirectory(prefix="monobot-eval-")
        models = Path(settings.store) / "models"
        settings = settings.model_copy(update={"store": Path(tmp.name), "chroma_url": None})
        if models.exists():  # reuse the cached ONNX export instead of exporting again
            (Path(tmp.name) / "models").symlink_to(models.resolve(), target_is_directory=True)
    embedder = get_embedder(settings)
    store = IndexStore(settings)
    corpus_files = None
    if args.corpus:
        report = ingest([args.corpus], settings, store, embedder, progress=False)
        for line in report.failures:
            print(f"monobot: {line}", file=sys.stderr)
        print(f"monobot: ingested {args.corpus}: {report.summary()}", file=sys.stderr)
        corpus_files, _ = find_files([args.corpus])
    elif args.baseline:
        return fail("--baseline needs --corpus (the stock recipe is built from the raw files)")
    try:
        result = run(
            questions,
            settings,
            args.out,
            store=store,
            embedder=embedder,
            corpus_files=corpus_files,
            baseline=args.baseline,
            skipped=errors,
            source=str(args.questions),
            progress=not args.no_progress,
        )
    finally:
        if tmp is not None:
            tmp.cleanup()
    m = result["metrics"]
    keys = (
        "status_accuracy",
        "hit@1_doc",
        "hit@5_doc",
        "mrr_doc",
        "hit@5_section",
        "must_include_recall",
        "citation_excerpts_verbatim",
        "refusal_recall",
        "false_refusal_rate",
        "abstention_precision",
        "abstention_recall",
    )
    print(f"{m['passed']}/{m['items']} passed ({len(errors)} lines skipped); report: {args.out / 'report.html'}")
    for key in keys:
        value = m.get(key)
        line = f"  {key:28} {value:.3f}" if value is not None else f"  {key:28} –"
        for name, scores in result.get("baselines", {}).items():
            if scores.get(key) is not None:
                line += f"   {name}: {scores[key]:.3f}"
        print(line)
    total = m["latency_ms"].get("total")
    if total:
        print(f"  latency total p50 {total['p50']:.1f} ms, p95 {total['p95']:.1f} ms")
    if args.thresholds:
        return _gate(result, args.thresholds)
    return 0


def _gate(report: dict, thresholds_path: Path) -> int:
    from eval.compare import gate

    failures = gate(report, json.loads(thresholds_path.read_text()))
    for line in failures:
        print(f"monobot: eval gate: {line}", file=sys.stderr)
    print("eval gate: " + ("FAILED" if failures else "passed"))
    return 1 if failures else 0


def compare_cmd(args: argparse.Namespace) -> int:
    from eval.compare import compare, load_report, render

    try:
        a, b = load_report(args.run_a), load_report(args.run_b)
    except FileNotFoundError as exc:
        return fail(str(exc))
    result = compare(a, b, args.tolerance)
    print(json.dumps(result, indent=2) if args.json else render(result))
    return 1 if args.fail_on_regression and result["regressions"] else 0


def gate_cmd(args: argparse.Namespace) -> int:
    from eval.compare import load_report

    try:
        report = load_report(args.run)
    except FileNotFoundError as exc:
        return fail(str(exc))
    return _gate(report, args.thresholds)
