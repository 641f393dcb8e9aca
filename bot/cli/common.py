"""Pieces the commands share: settings with command-line overrides, the first-use ingest of the sample corpus,
reading a question or a history from standard input, and the terminal rendering of an answer.

Nothing heavy is imported here: every command module imports this, and a cold `monobot ask` must stay fast.
"""

from __future__ import annotations

import argparse
import calendar
import json
import sys
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

from bot.settings import Settings, get_settings

LABELS = Path(__file__).with_name("labels.yaml")


def add_store_option(parser: argparse.ArgumentParser | argparse._MutuallyExclusiveGroup) -> None:
    parser.add_argument(
        "--store", type=Path, help="index folder (default: MONOBOT_STORE, else the user data folder's monobot/store)"
    )


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


# ---------------------------------------------------------------------------------------- input
def parse_history(text: str, where: str) -> list[dict]:
    """A history as JSON: a list of {"role": "user"|"assistant", "content": "..."}; ValueError names the item."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})") from None
    if not isinstance(data, list):
        raise ValueError(f"{where}: expected a JSON list of {{role, content}} objects")
    for i, turn in enumerate(data):
        if (
            not isinstance(turn, dict)
            or turn.get("role") not in ("user", "assistant")
            or not isinstance(turn.get("content"), str)
        ):
            raise ValueError(f'{where}: item {i} must be {{"role": "user"|"assistant", "content": "..."}}')
    return data


def read_stdin(stdin: IO[str] | None = None) -> str:
    stream = stdin or sys.stdin
    try:
        return stream.read()
    except UnicodeDecodeError as exc:
        raise ValueError(f"standard input is not valid UTF-8 ({exc.reason})") from None


# ---------------------------------------------------------------------------------------- output
@lru_cache(maxsize=1)
def labels() -> dict[str, Any]:
    import yaml

    return yaml.safe_load(LABELS.read_text(encoding="utf-8"))


def reviewed_label(date: str | None) -> str | None:
    """ "2025-03" or "2025-03-14" → "Monograph reviewed March 2025"; anything else is shown as given."""
    if not date:
        return None
    parts = date.split("-")
    try:
        shown = f"{calendar.month_name[int(parts[1])]} {int(parts[0])}" if len(parts) >= 2 else str(int(parts[0]))
    except (ValueError, IndexError):
        shown = date
    return str(labels()["reviewed"]).format(date=shown)


def render(answer: Any, sources: bool = True) -> str:
    """An answer for a person at a terminal: the text, notices, then (unless `sources` is off) the numbered
    excerpts with their study type, review date and primary sources, then the follow-up suggestions."""
    lab = labels()
    lines = []
    evidence = getattr(answer, "evidence", None)
    if answer.status == "answered" and evidence is not None and evidence.level == "weak":
        lines.append(f"[{lab['weak']}]")
    lines.append(answer.answer)
    for notice in (answer.notice, getattr(answer, "stale_notice", None)):
        if notice:
            lines += ["", notice]
    if sources:
        lines += source_lines(answer)
    suggestions = getattr(answer, "suggestions", None) or []
    if suggestions:
        lines += ["", lab["suggestions"]] + [f"  - {q}" for q in suggestions]
    return "\n".join(lines)


def source_lines(answer: Any) -> list[str]:
    """The numbered excerpts with study type, review date and primary sources (`/sources` shows these alone)."""
    lab = labels()
    lines: list[str] = []
    for c in answer.citations:
        tags = [t for t in (lab["study_types"].get(c.study_type or ""), reviewed_label(c.reviewed)) if t]
        lines += ["", f"[{c.n}] {c.title} — {c.section}" + (f" ({'; '.join(tags)})" if tags else ""), f"    {c.url}"]
        lines += [f"    > {line}" for line in c.excerpt.splitlines()]
        for s in c.sources:
            where = f" PMID {s.pmid}" if s.pmid else ""
            link = f" ({s.url})" if s.url else ""
            lines.append(f"    · [{s.n}] {s.citation.split('. PMID')[0]}{where}{link}")
    return lines
