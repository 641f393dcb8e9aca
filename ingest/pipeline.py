"""load → parse → chunk, then hand each document to the index writer (bot.index.IndexUpdate).

Ingest owns reading files and turning them into chunk records; the index owns what happens to them
(incremental reuse, the new generation, the switch). Each file is read once: the bytes that are hashed
are the bytes that are parsed, so the manifest never records content that was not indexed.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from bot.embedding import Embedder, TokenCounter
from bot.features import FEATURES_VERSION
from bot.index import SCHEMA_VERSION, ChunkRecord, IndexStore
from bot.index.writer import DocumentEntry, IndexUpdate, UpdateResult
from bot.instructions import find as find_instructions
from bot.settings import Settings
from bot.suggest import sections_from_records
from bot.text import ANALYZER_VERSION
from bot.vocab import Commonness, lexicon_cache

from .aliases import version as aliases_version
from .blocks import headings
from .chrome import version as chrome_version
from .chunk import chunk_document
from .enrich import enrich
from .enrich import version as enrich_version
from .load import FORMATS, find_files, parse_bytes, read_file
from .model import PARSER_VERSION, Document, Limits, ParseError


@dataclass
class IngestReport:
    documents: int = 0
    sections: int = 0
    chunks: int = 0
    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0
    embedded: int = 0
    files_parsed: int = 0
    files_skipped: int = 0
    generation: int | None = None
    changed: bool = False
    seconds: float = 0.0
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        state = f"generation {self.generation}" if self.changed else "index unchanged"
        return (
            f"{self.documents} documents, {self.sections} sections, {self.chunks} chunks: "
            f"{self.added} added, {self.updated} updated, {self.removed} removed, {self.unchanged} unchanged; "
            f"{self.embedded} embedded; {len(self.failures)} failed; {self.seconds:.1f} s ({state})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {**self.__dict__, "ok": self.ok, "peak_rss_mb": peak_rss_mb()}


def peak_rss_mb() -> float | None:
    """This process's own peak memory (VmHWM). A parent's wait4 figure is no use: Linux counts the memory
    the child inherited at fork, so a child of a large process looks as large as its parent."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


# How sentence vectors are made (subject prefix; none for table rows and one-sentence chunks). A new
# scheme changes every vector key, so an index built the old way is re-embedded rather than mixed.
SENTENCE_SCHEME = "|s2"


def fingerprint(settings: Settings, embedder: TokenCounter, reviewed: str | None = None) -> str:
    """What, besides file contents, decides the chunks and their stored features: when it changes every
    file is parsed again (and every chunk gets its features worked out again). Issue 18: the study-type
    and review-date rules, and the `--reviewed` default, are part of it."""
    parts = [
        SCHEMA_VERSION,
        FEATURES_VERSION,
        ANALYZER_VERSION,
        index_model_id(settings, embedder),
        settings.chunk_tokens,
        settings.site_url,
        PARSER_VERSION,
        chrome_version(),
        enrich_version(),
        aliases_version(),
        reviewed,
    ]
    return hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:16]


def index_model_id(settings: Settings, embedder: TokenCounter) -> str:
    """The model and the way sentence vectors were made: chunks share vectors only when both match."""
    return embedder.model_id + ("|pooled" if settings.sentence_vectors == "pooled" else SENTENCE_SCHEME)


@dataclass
class _Parsed:
    document: Document
    records: list[ChunkRecord]
    sha256: str
    path: str


# --- issue 13/16: file caps from Settings, symlinks not followed inside folders, parse notes as warnings ---
def limits_from(settings: Settings) -> Limits:
    return Limits(
        max_bytes=settings.max_file_bytes,
        max_table_columns=settings.max_table_columns,
        max_line_chars=settings.max_line_chars,
    )


def _read(path: Path, settings: Settings, named: set[Path], follow_symlinks: bool) -> bytes:
    """A file named on the command line is read as given; one found in a folder never through a symlink
    unless --follow-symlinks (find_files has already kept only links that stay inside the folder)."""
    return read_file(path, limits_from(settings), follow_symlinks=follow_symlinks or path in named)


# --- end issue 13/16 ---


def parse_and_chunk(
    path: Path, raw: bytes, settings: Settings, embedder: TokenCounter, reviewed: str | None = None
) -> _Parsed:
    """One file's bytes, parsed and chunked: the hash is of exactly these bytes. `reviewed` is the
    folder's review date for a page that states none (`monobot ingest --reviewed`)."""
    sha = hashlib.sha256(raw).hexdigest()
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ParseError(
            f"unsupported file type '{path.suffix or '(none)'}'; expected one of {', '.join(sorted(FORMATS))}"
        )
    document = parse_bytes(raw, path, fmt, settings.site_url, limits_from(settings))
    document = enrich(document, raw, fmt, reviewed_default=reviewed, today=date.today())  # issue 18
    records = chunk_document(
        document, embedder.count_tokens, settings.chunk_tokens, index_model_id(settings, embedder), doc_hash=sha
    )
    if not records:
        raise ParseError("no text to index")
    return _Parsed(document, records, sha, str(path.resolve()))


def preview(
    paths: list[Path],
    settings: Settings,
    embedder: TokenCounter,
    follow_symlinks: bool = False,
    reviewed: str | None = None,
) -> tuple[dict, list[str]]:
    """The dry-run view: how each file would be split, with no index touched.

    Only token counts are needed, so `embedder` may be a bot.embedding.TokenCounter: nothing is loaded into,
    exported to or created in the store.
    """
    files, failures = find_files(paths, follow_symlinks)
    named = {p for p in paths if p.is_file()}
    documents = []
    for path in files:
        try:
            raw = _read(path, settings, named, follow_symlinks)
            parsed = parse_and_chunk(path, raw, settings, embedder, reviewed)
        except (ParseError, OSError) as exc:
            failures.append(f"{path}: {exc}")
            continue
        doc = parsed.document
        sections = []
        for section in doc.sections:
            chunks = [r for r in parsed.records if r.anchor == section.anchor]
            sections.append(
                {
                    "heading": section.heading,
                    "url": doc.url + (f"#{section.anchor}" if section.anchor else ""),
                    "chunks": [
                        {
                            "text": r.text,
                            "kind": r.kind,
                            "tokens": embedder.count_tokens(r.embed_text),
                            "sources": r.sources,
                        }
                        for r in chunks
                    ],
                }
            )
        documents.append(
            {
                "doc": doc.doc,
                "title": doc.title,
                "subject": doc.subject,
                "url": doc.url,
                "reviewed": doc.reviewed,
                "path": str(path),
                "headings": headings(doc) + ([doc.sources_heading] if doc.sources_heading else []),
                "sections": sections,
                "sources": [s.to_dict() for s in doc.sources.values()],
                "notes": doc.notes,
            }
        )
    return {"documents": documents}, failures


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    store: IndexStore,
    embedder: Embedder,
    *,
    replace_all: bool = False,
    progress: bool | None = None,
    embed_batch: int = 256,
    follow_symlinks: bool = False,
    reviewed: str | None = None,
) -> IngestReport:
    """Index every monograph file under `paths`; one line per file that fails, the rest still indexed."""
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    report = IngestReport()
    files, missing = find_files(paths, follow_symlinks)
    report.failures.extend(missing)
    named = {p for p in paths if p.is_file()}
    update = IndexUpdate(
        store,
        embedder,
        fingerprint(settings, embedder, reviewed),
        scope=[p.resolve() for p in paths],
        replace_all=replace_all,
        pooled=settings.sentence_vectors == "pooled",
        embed_batch=embed_batch,
        progress=progress,
    )
    with update:
        for path in files:
            raw = _read_or_fail(path, settings, named, follow_symlinks)
            _ingest_file(path, update, report, settings, embedder, raw, reviewed)
        result = update.commit(failures=bool(report.failures))
    _fill(report, result)
    report.seconds = time.perf_counter() - started
    Commonness.load(lexicon_cache(settings))  # the word table questions read, built here once (not timed as ingest)
    return report


def _read_or_fail(path: Path, settings: Settings, named: set[Path], follow_symlinks: bool) -> bytes | ParseError:
    try:
        return _read(path, settings, named, follow_symlinks)
    except ParseError as exc:
        return exc


def _ingest_file(
    path: Path,
    update: IndexUpdate,
    report: IngestReport,
    settings: Settings,
    embedder: Embedder,
    raw: bytes | ParseError,
    reviewed: str | None = None,
) -> None:
    resolved = str(path.resolve())
    if isinstance(raw, ParseError):
        report.failures.append(f"{path}: {raw}")
        update.failed(resolved)
        return
    if update.unchanged(resolved, hashlib.sha256(raw).hexdigest()):
        report.files_skipped += 1
        return
    try:
        item = parse_and_chunk(path, raw, settings, embedder, reviewed)
    except (ParseError, ValueError) as exc:
        report.failures.append(f"{path}: {exc}")
        update.failed(resolved)
        return
    doc = item.document.doc
    owner = update.owner(doc, resolved)
    if owner is not None:
        report.failures.append(f"{path}: document slug '{doc}' is already used by {owner}")
        update.failed(resolved)
        return
    report.files_parsed += 1
    for note in item.document.notes:  # one line per kind of loss (unresolved citations listed once), not per marker
        report.warnings.append(f"{path}: {note}")
    flagged = [hit for record in item.records for hit in find_instructions(record.text)]
    for hit in flagged[:3]:  # corpus text that instructs the reader or the assistant is never quoted (bot/retrieve.py)
        report.warnings.append(f"{path}: quarantined {hit.kind} instruction, never quoted: {hit.sentence[:100]!r}")
    if len(flagged) > 3:
        report.warnings.append(f"{path}: {len(flagged) - 3} more instruction-like sentences quarantined")
    info = {
        "title": item.document.title,
        "subject": item.document.subject or "",
        "url": item.document.url,
        "reviewed": item.document.reviewed or "",  # issue 18: "YYYY-MM[-DD]", "" when unknown
        "aliases": item.document.aliases,
        "cased_aliases": item.document.cased_aliases,
        # headings in document order, for follow-up suggestions (bot/chain.py), so no question scans every record
        "sections": sections_from_records(item.records).get(doc, []),
    }
    update.put(doc, DocumentEntry(item.path, item.sha256, {r.key: r.id for r in item.records}, info), item.records)


def _fill(report: IngestReport, result: UpdateResult) -> None:
    for name in (
        "documents",
        "sections",
        "chunks",
        "added",
        "updated",
        "removed",
        "unchanged",
        "embedded",
        "generation",
        "changed",
    ):
        setattr(report, name, getattr(result, name))
