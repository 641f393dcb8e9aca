"""monobot soak — start a server, load /api/chat and /api/chat/stream for a fixed time, report memory over time."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("soak", help="load and soak test a local server (127.0.0.1 only, bounded)")
    p.add_argument("--seconds", type=float, default=60.0, help="per endpoint")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--store", type=Path)
    p.add_argument("--out", type=Path, default=Path("artifacts/soak"))
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from eval.soak import render, soak

    report = soak(args.seconds, args.clients, args.store, args.out)
    print(render(report))
    return 0 if report["ok"] else 1
