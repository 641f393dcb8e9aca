"""monobot bench — speed, memory and scale, measured side by side in one run (a benchmark, not a test)."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("bench", help="measure ingest, latency, memory and index size; write JSON, Markdown and a plot")
    p.add_argument(
        "--scale",
        type=int,
        action="append",
        help="synthetic monographs to generate (repeatable; default 1000; 10000 for the full target run)",
    )
    p.add_argument("--out", type=Path, default=Path("artifacts/bench"))
    p.add_argument("--repeat", type=int, default=3, help="passes over the question list for warm latency")
    p.add_argument("--cold-runs", type=int, default=5)
    p.add_argument(
        "--stock-docs", type=int, default=1000, help="documents indexed with the stock LangChain recipe (0: skip)"
    )
    p.add_argument(
        "--st-sample",
        type=int,
        default=2000,
        help="chunks encoded with plain sentence-transformers for the throughput ratio",
    )
    p.add_argument("--no-sample", action="store_true", help="skip the bundled sample corpus")
    p.add_argument("--no-pooled", action="store_true", help="skip the second ingest with pooled sentence vectors")
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny run (100 synthetic monographs, 1 repeat, 2 cold runs) to check the bench itself",
    )
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from eval.bench.report import markdown
    from eval.bench.run import run as bench

    if args.quick:
        scales, repeat, cold, stock, st = [100], 1, 2, 50, 200
    else:
        scales, repeat, cold, stock, st = (
            args.scale or [1000],
            args.repeat,
            args.cold_runs,
            args.stock_docs,
            args.st_sample,
        )
    results = bench(
        scales,
        args.out,
        repeat=repeat,
        cold_runs=cold,
        stock_docs=stock,
        st_sample=st,
        include_sample=not args.no_sample,
        pooled=not args.no_pooled,
    )
    print(markdown(results))
    print(f"written: {args.out / 'bench.json'}, {args.out / 'bench.md'}, {args.out / 'bench.png'}")
    return 0
