"""monobot guardrail eval [FILE] — refusal recall, false refusals and latency on the labelled guardrail set."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bot.cli.common import add_store_option, fail, settings_from
from bot.settings import REPO_ROOT

DEFAULT_SET = REPO_ROOT / "eval" / "guardrail" / "prompts.jsonl"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("guardrail", help="measure the guardrail on its labelled prompt set")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ev = actions.add_parser("eval", help="per-category refusal recall, false-refusal rate and latency")
    ev.add_argument(
        "file",
        nargs="?",
        type=Path,
        default=DEFAULT_SET,
        help=f"JSONL set (default {DEFAULT_SET.relative_to(REPO_ROOT)})",
    )
    ev.add_argument("--split", default="all", help="only items of this split (dev, holdout, audit, blind; default all)")
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
    ev.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
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
    guard = Guardrail(Prompts(settings.prompts_dir), embed=embedder.embed)
    result = evaluate(items, guard, embedder.embed_query)
    result["skipped"] = len(errors)
    print(
        json.dumps(result, indent=2, ensure_ascii=False)
        if args.json
        else render(result, show_errors=not args.no_errors)
    )
    overall = result["metrics"]["overall"]
    if args.min_recall is not None and overall.get("refusal_recall", 1.0) < args.min_recall:
        return 1
    if args.max_false_refusals is not None and overall.get("false_refusal_rate", 0.0) > args.max_false_refusals:
        return 1
    return 0
