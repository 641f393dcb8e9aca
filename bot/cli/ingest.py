"""monobot ingest PATH... — add, update or remove monographs in the index (or preview with --dry-run)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from bot.settings import Settings

from .common import add_store_option, fail, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="index monograph files or folders (.txt, .md, .html)")
    p.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    add_store_option(p)
    p.add_argument("--dry-run", action="store_true", help="parse and chunk only; the index is not touched")
    p.add_argument("--json", action="store_true", help="print machine-readable output")
    p.add_argument(
        "--follow-symlinks",
        action="store_true",
        help="follow symbolic links inside a folder when they point to files inside it (default: skip every link)",
    )
    p.add_argument(
        "--reviewed",
        type=reviewed_date,
        metavar="YYYY-MM[-DD]",
        help="when these monographs were last reviewed, for pages that do not say (default: none; a page's own "
        "'Reviewed …' line, front matter or <meta> wins)",
    )
    p.add_argument(
        "--replace-all",
        action="store_true",
        help="make PATHs the whole index: documents not found under them are removed",
    )
    bar = p.add_mutually_exclusive_group()
    bar.add_argument(
        "--progress",
        dest="progress",
        action="store_const",
        const=True,
        default=None,
        help="always show the progress bar (default: only on a terminal, for more than 64 chunks to embed)",
    )
    bar.add_argument("--no-progress", dest="progress", action="store_const", const=False, help="no progress bar")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    if args.dry_run:
        return _dry_run(args, settings)
    from bot.index import IndexStore, get_embedder
    from ingest.pipeline import ingest

    embedder = get_embedder(settings)
    try:
        report = ingest(
            args.paths,
            settings,
            IndexStore(settings),
            embedder,
            replace_all=args.replace_all,
            progress=args.progress,
            follow_symlinks=args.follow_symlinks,
            reviewed=args.reviewed,
        )
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


def _dry_run(args: argparse.Namespace, settings: Settings) -> int:
    """Preview with the tokenizer alone: loading the embedder would export the ONNX model into the store."""
    from bot.embedding import TokenCounter
    from ingest.pipeline import preview

    try:
        counter = TokenCounter(settings.embed_model)
    except ValueError as exc:
        return fail(str(exc))
    result, failures = preview(
        args.paths, settings, counter, follow_symlinks=args.follow_symlinks, reviewed=args.reviewed
    )
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


def reviewed_date(text: str) -> str:
    """`--reviewed`: a month or a day, never in the future (a typo must not mark a corpus fresh or stale)."""
    from bot.badges import parse_reviewed

    parts = parse_reviewed(text)
    if parts is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date: give YYYY-MM or YYYY-MM-DD, e.g. 2025-03")
    if date(parts[0], parts[1], parts[2] or 1) > date.today():
        raise argparse.ArgumentTypeError(f"{text} is in the future")
    return text.strip()
