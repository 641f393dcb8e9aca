"""monobot eval run|compare|gate — run a question set or a named suite through the chain, compare runs, gate CI.

The terminal shows metrics only for a frozen test split, never its questions, answers or item ids (a
malformed line is counted, not quoted); the HTML report and results.jsonl hold the items for evaluators.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from bot.cli.common import add_store_option, fail, settings_from
from bot.settings import REPO_ROOT

SUITES = REPO_ROOT / "eval" / "suites.yaml"
SHOWN = (
    "status_accuracy",
    "hit@1_doc",
    "hit@5_doc",
    "mrr_doc",
    "hit@5_section",
    "must_include_in_answer",
    "must_include_recall",
    "bm25_top3_must_include",
    "citation_markers_resolve",
    "citation_excerpts_verbatim",
    "refusal_recall",
    "false_refusal_rate",
    "abstention_precision",
    "abstention_recall",
    "weak_on_passed",
    "offtopic_answered_rate",
    "warm_answer_p50_ms",
)


def register(sub: argparse._SubParsersAction) -> None:
    fmt = argparse.ArgumentDefaultsHelpFormatter
    p = sub.add_parser("eval", help="evaluate answers on a labelled question set", formatter_class=fmt)
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    run = actions.add_parser(
        "run",
        help="run QUESTIONS.jsonl, or a suite's dev and test splits, through the same chain as `ask`",
        formatter_class=fmt,
        description="Either QUESTIONS.jsonl (with --corpus or --store) or --suite NAME (splits from --suites).",
    )
    run.add_argument("questions", type=Path, nargs="?", help="a question file (JSONL); omit with --suite")
    run.add_argument("--suite", help="a named suite from --suites, e.g. site or real: every split, side by side")
    run.add_argument("--suites", type=Path, default=SUITES, help="the suites file")
    run.add_argument(
        "--split", action="append", metavar="NAME", help="run only this split of the suite (repeatable; default: all)"
    )
    source = run.add_mutually_exclusive_group()
    source.add_argument(
        "--corpus",
        type=Path,
        action="append",
        metavar="DIR",
        help="ingest this folder (repeatable) into a fresh temporary store first",
    )
    add_store_option(source)
    run.add_argument("--out", type=Path, required=True, help="folder for results.jsonl, report.json, report.html")
    run.add_argument("--name", help="the run's name in reports and comparisons (default: the --out folder's name)")
    run.add_argument(
        "--baseline",
        action="store_true",
        help="also run the stock LangChain RAG recipe and BM25 alone (needs --corpus or --suite)",
    )
    run.add_argument(
        "--thresholds",
        type=Path,
        help="exit 1 if the run falls below these (default with --suite: the suite's own thresholds file)",
    )
    run.add_argument("--no-gate", action="store_true", help="with --suite: report the thresholds, do not exit 1")
    run.add_argument(
        "--compare-to", type=Path, metavar="RUN", help="an earlier run folder: its diff goes in the report"
    )
    run.add_argument(
        "--junit", type=Path, metavar="FILE", help="also write JUnit XML (one case per item and threshold)"
    )
    run.add_argument("--ids", action="append", metavar="ID[,ID...]", help="rerun only these item ids (repeatable)")
    run.add_argument(
        "--filter",
        action="append",
        metavar="FIELD=GLOB",
        help="rerun only items matching (repeatable, all must match); FIELD is id, category, expect, doc or section",
    )
    run.add_argument(
        "--show-failures", action="store_true", help="list failed dev items in the terminal (never a frozen split's)"
    )
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    run.set_defaults(handler=run_cmd)

    cmp = actions.add_parser("compare", help="two runs side by side, with the items that flipped", formatter_class=fmt)
    cmp.add_argument("run_a", type=Path, help="the earlier run (folder or report.json)")
    cmp.add_argument("run_b", type=Path, help="the later run")
    cmp.add_argument("--names", metavar="A,B", help="names for the two runs (default: their recorded names)")
    cmp.add_argument(
        "--fail-on-regression", action="store_true", help="exit 1 when a metric is worse by more than the tolerance"
    )
    cmp.add_argument("--tolerance", type=float, default=0.02, help="largest tolerated drop of a gated metric")
    cmp.add_argument("--json", action="store_true", help="print the comparison as JSON")
    cmp.set_defaults(handler=compare_cmd)

    gate = actions.add_parser("gate", help="check a run against thresholds", formatter_class=fmt)
    gate.add_argument("run", type=Path, help="a run folder or report.json")
    gate.add_argument("thresholds", type=Path, help="thresholds JSON (per split for a suite run)")
    gate.set_defaults(handler=gate_cmd)

    # Issue 18: the study-type rules measured on the labelled citations (eval/citations/, eval/citations.py).
    cit = actions.add_parser(
        "citations", help="accuracy of the study-type rules on the labelled citations", formatter_class=fmt
    )
    cit.add_argument("--split", choices=("dev", "test", "all"), default="all", help="which split to report")
    cit.add_argument("--data", type=Path, default=REPO_ROOT / "eval" / "citations", help="folder of dev/test.jsonl")
    cit.add_argument("--min-accuracy", type=float, default=0.95, help="exit 1 below this accuracy on any split")
    cit.add_argument("--show-errors", action="store_true", help="list misclassified dev citations (never test's)")
    cit.add_argument("--json", action="store_true", help="print the reports as JSON")
    cit.add_argument("--out", type=Path, help="also write the reports as JSON to this file")
    cit.set_defaults(handler=citations_cmd)


def _ids(args: argparse.Namespace) -> list[str] | None:
    return [i.strip() for chunk in args.ids for i in chunk.split(",") if i.strip()] if args.ids else None


def _load_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def run_cmd(args: argparse.Namespace) -> int:
    if args.suite and args.questions:
        return fail("give either QUESTIONS.jsonl or --suite, not both")
    if not args.suite and not args.questions:
        return fail("give QUESTIONS.jsonl or --suite NAME (suites are in eval/suites.yaml)")
    compare_to = None
    if args.compare_to:
        from eval.compare import load_report

        try:
            compare_to = load_report(args.compare_to)
        except FileNotFoundError as exc:
            return fail(str(exc))
    if args.suite:
        return _suite_cmd(args, compare_to)
    return _file_cmd(args, compare_to)


def _file_cmd(args: argparse.Namespace, compare_to: dict[str, Any] | None) -> int:
    from bot.index import IndexStore, get_embedder
    from eval.questions import QuestionError, load, select
    from eval.run import fresh_settings, ingest_problems, run
    from ingest.load import find_files
    from ingest.pipeline import ingest

    if not args.questions.exists():
        return fail(f"{args.questions}: no such file")
    questions, errors = load(args.questions)
    for line in errors:
        print(f"monobot: {line} (skipped)", file=sys.stderr)
    try:
        questions = select(questions, _ids(args), args.filter)
    except QuestionError as exc:
        return fail(str(exc))
    if not questions:
        return fail("no valid questions to run")
    thresholds = None
    if args.thresholds:
        try:
            thresholds = _load_json(args.thresholds)
        except ValueError as exc:
            return fail(str(exc))
    settings = settings_from(args)
    tmp = None
    corpus_files = None
    ingest_summary = None
    if args.corpus:
        missing = [str(c) for c in args.corpus if not c.exists()]
        if missing:
            return fail(f"{', '.join(missing)}: no such folder")
        tmp = tempfile.TemporaryDirectory(prefix="monobot-eval-")
        settings = fresh_settings(settings, Path(tmp.name))
    elif args.baseline:
        return fail("--baseline needs --corpus (the stock recipe is built from the raw files)")
    embedder = get_embedder(settings)
    store = IndexStore(settings)
    try:
        if args.corpus:
            corpus_files, _ = find_files(args.corpus)
            report = ingest(args.corpus, settings, store, embedder, progress=False)
            for line in report.failures:
                print(f"monobot: {line}", file=sys.stderr)
            print(f"monobot: ingested {' + '.join(map(str, args.corpus))}: {report.summary()}", file=sys.stderr)
            problems = ingest_problems(report, corpus_files)
            ingest_summary = {
                "folders": [str(c) for c in args.corpus],
                "files": len(corpus_files),
                "summary": report.summary(),
                "problems": problems,
                "ok": not problems,
            }
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
            name=args.name or args.out.name,
            compare_to=compare_to,
            ingest=ingest_summary,
            thresholds=thresholds,
        )
    finally:
        if tmp is not None:
            tmp.cleanup()
    m = result["metrics"]
    print(f"{m['passed']}/{m['items']} passed ({len(errors)} lines skipped); report: {args.out / 'report.html'}")
    print(_table({"run": result}))
    if args.show_failures:
        _print_failures("run", result)
    code = 0
    if ingest_summary and not ingest_summary["ok"]:
        for line in ingest_summary["problems"]:
            print(f"monobot: corpus not fully ingested: {line}", file=sys.stderr)
        code = 1
    if args.junit:
        from eval.junit import write

        write(args.junit, result["run"]["name"], {"run": result}, {"run": thresholds} if thresholds else None)
    if thresholds is not None:
        code = max(code, _gate(result, thresholds))
    return code


def _suite_cmd(args: argparse.Namespace, compare_to: dict[str, Any] | None) -> int:
    from eval.questions import QuestionError, load_suites
    from eval.report_html import render_page
    from eval.run import run_suite

    try:
        suites = load_suites(args.suites, REPO_ROOT)
    except QuestionError as exc:
        return fail(str(exc))
    suite = suites.get(args.suite)
    if suite is None:
        return fail(f"no suite {args.suite!r} in {args.suites} (there are: {', '.join(suites) or 'none'})")
    unknown = [s for s in args.split or [] if s not in {x.name for x in suite.splits}]
    if unknown:
        return fail(f"suite {suite.name} has no split {', '.join(unknown)}")
    missing = [str(p) for s in suite.splits if not args.split or s.name in args.split for p in s.questions + s.corpus]
    missing = [p for p in missing if not Path(p).exists()]
    if missing:
        return fail(f"suite {suite.name}: {', '.join(missing)}: not found")
    thresholds_path = args.thresholds or suite.thresholds
    try:
        thresholds = _load_json(thresholds_path) if thresholds_path else {}
    except ValueError as exc:
        return fail(str(exc))
    settings = settings_from(args)
    try:
        done = run_suite(
            suite,
            settings,
            args.out,
            baseline=args.baseline,
            ids=_ids(args),
            filters=args.filter,
            progress=not args.no_progress,
            compare_to=compare_to,
            only=args.split,
            log=lambda line: print(f"monobot: {line}", file=sys.stderr),
        )
    except QuestionError as exc:
        return fail(str(exc))
    report = done.report
    report["run"]["name"] = args.name or args.out.name
    report["thresholds"] = thresholds
    for view in done.views:
        view.thresholds = thresholds.get(view.name, {})
    if compare_to is not None:
        from eval.compare import compare

        report["compare"] = compare(compare_to, report, 0.02)
    (args.out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    page = render_page(done.views, title=f"monobot eval: suite {suite.name}", problems=done.problems)
    (args.out / "report.html").write_text(page, encoding="utf-8")
    splits = report["splits"]
    counts = ", ".join(f"{s} {r['metrics']['passed']}/{r['metrics']['items']} passed" for s, r in splits.items())
    print(f"suite {suite.name}: {counts}; report: {args.out / 'report.html'}")
    print(_table(splits))
    if args.show_failures:
        for name, split_report in splits.items():
            if not split_report["run"].get("frozen"):
                _print_failures(name, split_report)
    if args.junit:
        from eval.junit import write

        write(args.junit, suite.name, splits, thresholds)
    code = 0
    for line in done.problems:
        print(f"monobot: corpus not fully ingested: {line}", file=sys.stderr)
        code = 1
    if thresholds and not args.no_gate:
        code = max(code, _gate(report, thresholds))
    return code


def _table(splits: dict[str, dict[str, Any]]) -> str:
    """Metrics only: one column per split, then each split's baselines."""
    names = list(splits)
    base_cols = [(s, b) for s in names for b in splits[s].get("baselines", {})]
    short = {"stock_langchain_rag": "stock", "bm25_only": "bm25"}
    header = f"  {'metric':26}" + "".join(f"{n:>10}" for n in names)
    header += "".join(f"{s + ':' + short.get(b, b):>16}" for s, b in base_cols)
    lines = [header]
    for key in SHOWN:
        values = [splits[s]["metrics"].get(key) for s in names]
        if all(v is None for v in values):
            continue
        line = f"  {key:26}" + "".join(f"{_num(v):>10}" for v in values)
        line += "".join(f"{_num(splits[s]['baselines'][b].get(key)):>16}" for s, b in base_cols)
        lines.append(line)
    return "\n".join(lines)


def _num(value: Any) -> str:
    if value is None:
        return "–"
    return f"{value:.3f}" if isinstance(value, float) and value <= 1.0 else f"{value:.1f}"


def _print_failures(name: str, report: dict[str, Any]) -> None:
    from eval.metrics import reasons

    if report["run"].get("frozen"):
        return
    for item in report["items"]:
        if not item["passed"]:
            print(f"  {name} {item['id']} ({item['category']}): {'; '.join(reasons(item))}")


def _gate(report: dict, thresholds: dict[str, Any]) -> int:
    from eval.compare import gate

    failures = gate(report, thresholds)
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
    names = None
    if args.names:
        parts = [n.strip() for n in args.names.split(",")]
        if len(parts) != 2 or not all(parts):
            return fail("--names takes two names separated by a comma, e.g. --names before,after")
        names = (parts[0], parts[1])
    result = compare(a, b, args.tolerance, names)
    print(json.dumps(_counted(result), indent=2) if args.json else render(result))
    return 1 if args.fail_on_regression and result["regressions"] else 0


def _counted(result: dict[str, Any]) -> dict[str, Any]:
    """A frozen split's flipped items as a count only, for the terminal."""
    if "splits" in result:
        return {**result, "splits": {s: _counted(p) for s, p in result["splits"].items()}}
    if result.get("frozen"):
        return {**result, "flipped": len(result["flipped"]), "not_in_both": len(result["not_in_both"])}
    return result


def gate_cmd(args: argparse.Namespace) -> int:
    from eval.compare import load_report

    try:
        report = load_report(args.run)
        thresholds = _load_json(args.thresholds)
    except (FileNotFoundError, ValueError) as exc:
        return fail(str(exc))
    return _gate(report, thresholds)


def citations_cmd(args: argparse.Namespace) -> int:
    from eval.citations import cli

    return cli(args)
