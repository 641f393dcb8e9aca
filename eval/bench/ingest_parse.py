"""Parse + chunk benchmark for the ingest side (issues 13 and 16): `python -m eval.bench.ingest_parse`.

Measures, per format, the time to parse and chunk every page of the real test corpora, and counts what
a reader would see as markup in an answer (`](`, `![`, a leading `> `, raw tags), rejected pages and
unresolved citation warnings. `--wide-table` also times the 10,000-column table of issue 16 (rejected
with a clear error, or ingested, in under 5 s). Not a timed test: the numbers go in docs/ingest.md.
"""

from __future__ import annotations

import argparse
import json
import re
import time
from collections import defaultdict
from pathlib import Path

from bot.embedding import TokenCounter
from bot.settings import REPO_ROOT, Settings
from ingest.blocks import unresolved_citations
from ingest.chunk import chunk_document
from ingest.load import FORMATS, find_files, parse_bytes
from ingest.model import Limits, ParseError

REAL_CORPORA = [REPO_ROOT / "tests" / "fixtures" / "real", REPO_ROOT / "eval" / "corpora" / "real"]
ARTEFACT_RES = {
    "link ](": re.compile(r"\]\("),
    "image ![": re.compile(r"!\["),
    "quote > ": re.compile(r"(?m)^> "),
    "raw tag": re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>"),
    "ref link (#": re.compile(r"\(#[\w-]+\)|\[\[\d"),
    "list marker": re.compile(r"(?m)^\s*[-*+•] "),
    "heading #": re.compile(r"(?m)^#{1,6} "),
    "back to top": re.compile(r"(?i)\bback to top\b"),
}


def artefacts(text: str) -> dict[str, int]:
    return {name: len(rx.findall(text)) for name, rx in ARTEFACT_RES.items() if rx.search(text)}


def measure(paths: list[Path], counter: TokenCounter, settings: Settings, repeat: int) -> dict:
    files, _ = find_files(paths)
    per_format: dict[str, dict] = defaultdict(
        lambda: {"files": 0, "bytes": 0, "seconds": 0.0, "rejected": [], "chunks": 0, "artefacts": {}, "warnings": 0}
    )
    for path in files:
        fmt = FORMATS[path.suffix.lower()]
        row = per_format[fmt]
        raw = path.read_bytes()
        row["files"] += 1
        row["bytes"] += len(raw)
        best = float("inf")
        records = []
        error = None
        for _ in range(repeat):
            started = time.perf_counter()
            try:
                document = parse_bytes(raw, path, fmt, settings.site_url)
                records = chunk_document(document, counter.count_tokens, settings.chunk_tokens, counter.model_id)
            except (ParseError, ValueError) as exc:
                error = str(exc)
            best = min(best, time.perf_counter() - started)
        row["seconds"] += best
        if error:
            row["rejected"].append(f"{path.name}: {error[:100]}")
            continue
        row["chunks"] += len(records)
        row["warnings"] += len(unresolved_citations(document))
        for record in records:
            for name, n in artefacts(record.text).items():
                row["artefacts"][name] = row["artefacts"].get(name, 0) + n
    return {
        fmt: {**row, "ms_per_file": round(1000 * row["seconds"] / max(row["files"], 1), 2)}
        for fmt, row in per_format.items()
    }


def wide_table(counter: TokenCounter, settings: Settings, columns: int, lift_caps: bool = False) -> dict:
    header = " | ".join(f"c{i}" for i in range(columns))
    rule = " | ".join("---" for _ in range(columns))
    row = " | ".join(f"v{i}" for i in range(columns))
    raw = f"# Wide\n\nLead text.\n\n## Table\n\n| {header} |\n| {rule} |\n| {row} |\n".encode()
    started = time.perf_counter()
    try:
        limits = Limits(max_table_columns=10_000, max_line_chars=10_000_000) if lift_caps else None
        document = parse_bytes(raw, Path("wide.md"), "markdown", settings.site_url, limits)
        chunks = len(chunk_document(document, counter.count_tokens, settings.chunk_tokens, counter.model_id))
        outcome = f"ingested, {chunks} chunks"
    except (ParseError, ValueError) as exc:
        outcome = f"rejected: {exc}"
    return {
        "columns": columns,
        "bytes": len(raw),
        "seconds": round(time.perf_counter() - started, 3),
        "outcome": outcome,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("paths", nargs="*", type=Path, default=REAL_CORPORA)
    parser.add_argument("--repeat", type=int, default=3, help="parse each file this many times, keep the best")
    parser.add_argument("--wide-table", type=int, nargs="*", default=[], metavar="COLUMNS")
    parser.add_argument(
        "--lift-caps", action="store_true", help="time the wide tables with the column/line caps lifted"
    )
    args = parser.parse_args()
    settings = Settings()
    counter = TokenCounter(settings.embed_model)
    out = {"corpus": measure(args.paths, counter, settings, args.repeat) if args.paths else {}}
    out["wide_table"] = [wide_table(counter, settings, n, args.lift_caps) for n in args.wide_table]
    print(json.dumps(out, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
