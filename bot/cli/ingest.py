"""monobot ingest PATH... — add, update or remove monographs in the index (or preview with --dry-run)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .common import add_store_option, fail, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="index monograph files or folders (.txt, .md, .html)")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add_store_option(p)
    p.add_argument("--dry-run", action="store_true", help="parse and chunk only; the index is not touched")
    p.add_argument("--json", action="store_true", help="print machine-readable output")
    p.add_argument("--replace-all", action="store_true", help="make PATHs the whole index: documents not found under them are removed")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from bot.index import IndexStore, get_embedder
    from ingest.pipeline import ingest, preview

    settings = settings_from(args)
    embedder = get_embedder(settings)
    if args.dry_run:
        result, failures = preview(args.paths, settings, embedder)
        for line in failures:
            print(f"monobot: {line}", file=sys.stderr)
        if args.json:
            json.dump(result, sys.stdout, ensure_ascii=False, indent=2)
            print()
        else:
            for doc in result["documents"]:
                print(f"{doc['doc']}: {doc['title']} ({doc['subject']})")
                for section in doc["sections"]:
                    print(f"  § {section['heading']} — {len(section['chunks'])} chunks")
        return 1 if failures else 0
    try:
        report = ingest(args.paths, settings, IndexStore(settings), embedder, replace_all=args.replace_all, progress=False if args.no_progress else None)
    except RuntimeError as exc:
        return fail(str(exc))
    for line in report.failures:
        print(f"monobot: {line}", file=sys.stderr)
    for line in report.warnings:
        print(f"monobot: warning: {line}", file=sys.stderr)
    if args.json:
        json.dump(report.to_dict(), sys.stdout, indent=2)
        print()
    else:
        print(report.summary())
    return 0 if report.ok else 1
