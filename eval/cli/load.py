"""monobot load — N concurrent clients for a bounded time against a running `monobot serve` on this machine."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from bot.cli.common import fail


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("load", help="load-test a local server (127.0.0.1 only)")
    p.add_argument("--url", default="http://127.0.0.1:8000")
    p.add_argument("--clients", type=int, default=16)
    p.add_argument("--seconds", type=float, default=20.0)
    p.add_argument("--max-requests", type=int, default=100_000)
    p.add_argument("--stream", action="store_true", help="use /api/chat/stream and measure time to first byte")
    p.add_argument("--server-pid", type=int, help="sample this process's RSS once a second")
    p.add_argument("--json", type=Path, help="also write the full result here")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from eval.loadgen import render, run_load, to_json

    try:
        result = asyncio.run(
            run_load(args.url, args.clients, args.seconds, args.stream, args.max_requests, server_pid=args.server_pid)
        )
    except ValueError as exc:
        return fail(str(exc))
    summary = result.summary()
    print(render(summary))
    if args.json:
        args.json.write_text(to_json(summary))
    return 0 if summary["errors"] == 0 else 1
