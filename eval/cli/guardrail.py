"""monobot guardrail eval|train|rules — measure the guardrail, train its classifier, audit its rules."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import add_store_option, fail, settings_from
from bot.settings import REPO_ROOT

GUARDRAIL_DIR = REPO_ROOT / "eval" / "guardrail"
DEFAULT_SET = GUARDRAIL_DIR / "gen" / "dev.jsonl"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("guardrail", help="measure the guardrail, train its classifier, audit its rules")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")

    ev = actions.add_parser("eval", help="recall, false refusals and latency by category, framing, language")
    ev.add_argument(
        "file",
        nargs="?",
        type=Path,
        default=DEFAULT_SET,
        help=f"JSONL set (default {DEFAULT_SET.relative_to(REPO_ROOT)})",
    )
    ev.add_argument("--split", default="all", help="only items of this split (default all)")
    ev.add_argument("--json", action="store_true", help="print the full result as JSON")
    ev.add_argument(
        "--no-errors",
        action="store_true",
        help="leave out the list of misjudged prompts (for frozen test splits: their items are not read while tuning)",
    )
    add_store_option(ev)
    ev.add_argument("--min-recall", type=float, default=None, help="exit 1 if refusal recall is below this")
    ev.add_argument(
        "--max-false-refusals", type=float, default=None, help="exit 1 if the false-refusal rate is above this"
    )
    ev.add_argument(
        "--max-answered",
        type=int,
        default=None,
        help="exit 1 if more should-refuse prompts than this get a plain answer",
    )
    ev.set_defaults(handler=run_eval)

    tr = actions.add_parser("train", help="fit the classifier on gen/train, threshold on gen/dev, export the weights")
    tr.add_argument("--train", type=Path, nargs="+", default=[GUARDRAIL_DIR / "gen" / "train.jsonl"])
    tr.add_argument("--dev", type=Path, default=GUARDRAIL_DIR / "gen" / "dev.jsonl")
    tr.add_argument("--out", type=Path, default=None, help="weights file (default: the policy's classifier file)")
    tr.add_argument("--c", type=float, default=16.0, help="inverse regularisation strength")
    tr.add_argument("--vector-weight", type=float, default=1.0, help="weight of the embedding block")
    tr.add_argument("--max-dev-false-refusals", type=float, default=0.02)
    tr.add_argument("--threshold", type=float, default=None, help="use this threshold instead of choosing one")
    tr.add_argument("--threshold-only", action="store_true", help="keep the weights, set the threshold on dev again")
    tr.add_argument("--cache", type=Path, default=REPO_ROOT / "artifacts" / "guardrail-embeddings.npz")
    add_store_option(tr)
    tr.set_defaults(handler=run_train)

    ru = actions.add_parser(
        "rules", help="how often each rule fires on a labelled set, and on which answerable prompts"
    )
    ru.add_argument("files", nargs="*", type=Path, default=[GUARDRAIL_DIR / "gen" / "train.jsonl", DEFAULT_SET])
    add_store_option(ru)
    ru.set_defaults(handler=run_rules)


def run_eval(args: argparse.Namespace) -> int:
    from bot.guard import Guardrail
    from bot.index import get_embedder
    from bot.prompts import Prompts
    from eval.guardrail import evaluate, load_items, render

    if not args.file.exists():
        return fail(f"{args.file}: no such file")
    items, errors = load_items(args.file)
    for line in errors:
        print(f"monobot: {line} (skipped)", file=sys.stderr)
    if args.split != "all":
        items = [i for i in items if i.split == args.split]
    settings = settings_from(args)
    embedder = get_embedder(settings)
    # The topic gate reads the general lexicon only (no index subjects), so figures do not depend on what
    # happens to be ingested: a production guard also knows the index's subjects and can only find more.
    guard = Guardrail(Prompts(settings.prompts_dir))
    result = evaluate(items, guard, embedder.embed_query)
    result["skipped"] = len(errors)
    print(
        json.dumps(result, indent=2, ensure_ascii=False)
        if args.json
        else render(result, show_errors=not args.no_errors)
    )
    overall = result["metrics"]["overall"]
    failed = []
    if args.min_recall is not None and overall.get("refusal_recall", 1.0) < args.min_recall:
        failed.append(f"refusal recall {overall['refusal_recall']:.3f} < {args.min_recall}")
    if args.max_false_refusals is not None and overall.get("false_refusal_rate", 0.0) > args.max_false_refusals:
        failed.append(f"false refusals {overall['false_refusal_rate']:.3f} > {args.max_false_refusals}")
    if args.max_answered is not None and overall.get("answered_when_refuse", 0) > args.max_answered:
        failed.append(f"{overall['answered_when_refuse']} should-refuse prompts answered > {args.max_answered}")
    for line in failed:
        print(f"monobot: guardrail gate failed: {line}", file=sys.stderr)
    return 1 if failed else 0


def run_train(args: argparse.Namespace) -> int:
    from bot.guard.policy import load_policy
    from bot.index import get_embedder
    from eval.guardrail_train import main

    for path in [*args.train, args.dev]:
        if not path.exists():
            return fail(f"{path}: no such file")
        if "test" in path.name:
            return fail(f"{path}: a test split is never trained or tuned on")
    settings = settings_from(args)
    out = args.out or load_policy(str(settings.prompts_dir)).classifier_path
    embedder = get_embedder(settings)
    main(
        args.train,
        args.dev,
        out,
        Path(settings.prompts_dir),
        embedder.embed_query,
        args.cache,
        args.c,
        args.vector_weight,
        args.max_dev_false_refusals,
        threshold_only=args.threshold_only,
        threshold=args.threshold,
    )
    return 0


def run_rules(args: argparse.Namespace) -> int:
    from bot.guard import Guardrail
    from bot.prompts import Prompts
    from eval.guardrail import load_items, rule_report

    items = []
    for path in args.files:
        if "test" in path.name:
            return fail(f"{path}: rules are audited on train and dev sets, never on a frozen test split")
        if not path.exists():
            return fail(f"{path}: no such file")
        items += load_items(path)[0]
    guard = Guardrail(Prompts(settings_from(args).prompts_dir))
    print(rule_report(items, guard))
    return 0
