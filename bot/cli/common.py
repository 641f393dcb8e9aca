"""Pieces the commands share: settings with command-line overrides, and the first-use ingest of the sample corpus."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.settings import Settings, get_settings


def add_store_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--store", type=Path, help="index folder (default: MONOBOT_STORE or the user data folder)")


def settings_from(args: argparse.Namespace) -> Settings:
    settings = get_settings()
    if getattr(args, "store", None):
        settings = settings.model_copy(update={"store": args.store})
    return settings


def fail(message: str, code: int = 2) -> int:
    print(f"monobot: {message}", file=sys.stderr)
    return code


def ensure_index(settings: Settings, store: Any, embedder: Any) -> None:
    """An empty index is filled from the bundled sample corpus, so a fresh clone answers at once."""
    if store.read_live() is not None:
        return
    corpus = Path(settings.corpus)
    if not corpus.exists():
        return
    from ingest.pipeline import ingest

    print(f"monobot: the index is empty; ingesting {corpus} first", file=sys.stderr)
    report = ingest([corpus], settings, store, embedder, progress=False)
    print(f"monobot: {report.summary()}", file=sys.stderr)
    for line in report.failures:
        print(f"monobot: {line}", file=sys.stderr)
