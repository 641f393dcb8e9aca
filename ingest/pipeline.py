"""load → parse → chunk → embed → index, incrementally, never touching the live generation.

Which documents a run covers: every file under the given paths. A document whose file lived under a
given folder (or was a given file) and is gone is removed; documents from elsewhere are kept, so
`monobot ingest new.txt` adds one monograph without dropping the rest. `replace_all` makes the given
paths the whole index. A file that fails to parse keeps its previous version serving.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.embedding import Embedder
from bot.index import SCHEMA_VERSION, ChunkRecord, IndexStore, LiveInfo
from bot.settings import Settings

from .blocks import headings, unresolved_citations
from .generation import GenerationWriter
from .chunk import chunk_document
from .load import find_files, parse_file
from .model import Document, ParseError
from .tokens import TokenCounting


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


def fingerprint(settings: Settings, embedder: TokenCounting) -> str:
    """What, besides file contents, decides the chunks: when it changes every file is parsed again."""
    raw = json.dumps([SCHEMA_VERSION, index_model_id(settings, embedder), settings.chunk_tokens, settings.site_url])
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def index_model_id(settings: Settings, embedder: TokenCounting) -> str:
    """The model and the way sentence vectors were made: chunks share vectors only when both match."""
    return embedder.model_id + ("|pooled" if settings.sentence_vectors == "pooled" else SENTENCE_SCHEME)


@dataclass
class _Parsed:
    document: Document
    records: list[ChunkRecord]
    sha256: str
    path: str


def parse_and_chunk(path: Path, raw: bytes | None, settings: Settings, embedder: TokenCounting) -> _Parsed:
    raw = path.read_bytes() if raw is None else raw
    sha = hashlib.sha256(raw).hexdigest()
    document = parse_file(path, settings.site_url)
    records = chunk_document(document, embedder.count_tokens, settings.chunk_tokens, index_model_id(settings, embedder), doc_hash=sha)
    if not records:
        raise ParseError("no text to index")
    return _Parsed(document, records, sha, str(path.resolve()))


def preview(paths: list[Path], settings: Settings, embedder: TokenCounting) -> tuple[dict, list[str]]:
    """The dry-run view: how each file would be split, with no index touched.

    Only token counts are needed, so `embedder` may be a tokens.TokenCounter: nothing is loaded into,
    exported to or created in the store.
    """
    files, failures = find_files(paths)
    documents = []
    for path in files:
        try:
            parsed = parse_and_chunk(path, None, settings, embedder)
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
                        {"text": r.text, "kind": r.kind, "tokens": embedder.count_tokens(r.embed_text), "sources": r.sources} for r in chunks
                    ],
                }
            )
        documents.append(
            {
                "doc": doc.doc,
                "title": doc.title,
                "subject": doc.subject,
                "url": doc.url,
                "path": str(path),
                "headings": headings(doc) + ([doc.sources_heading] if doc.sources_heading else []),
                "sections": sections,
                "sources": [s.to_dict() for s in doc.sources.values()],
            }
        )
    return {"documents": documents}, failures


def _in_scope(doc_path: str, scope: list[Path], files: set[str]) -> bool:
    if doc_path in files:
        return True
    p = Path(doc_path)
    return any(root.is_dir() and p.is_relative_to(root) for root in scope) or any(str(root) == doc_path for root in scope)


def ingest(
    paths: Iterable[Path],
    settings: Settings,
    store: IndexStore,
    embedder: Embedder,
    *,
    replace_all: bool = False,
    progress: bool | None = None,
    embed_batch: int = 256,
) -> IngestReport:
    started = time.perf_counter()
    paths = [Path(p) for p in paths]
    report = IngestReport()
    files, missing = find_files(paths)
    report.failures.extend(missing)
    scope = [p.resolve() for p in paths]
    fp = fingerprint(settings, embedder)

    with store.lock():
        live = store.read_live()
        manifest = store.load_manifest(live) if live else {"docs": {}}
        old_docs: dict[str, dict] = manifest.get("docs", {})
        same_fp = manifest.get("fingerprint") == fp
        by_path = {entry["path"]: doc for doc, entry in old_docs.items()}

        desired: dict[str, dict] = {}
        doc_info: dict[str, dict[str, str]] = {}
        failed_paths: set[str] = set()
        seen_files: set[str] = set()
        old_ids = {i for e in old_docs.values() for i in e["keys"].values()}
        generation = (live.generation if live else 0) + 1
        writer: GenerationWriter | None = None
        try:
            for path in files:
                resolved = str(path.resolve())
                seen_files.add(resolved)
                try:
                    raw = path.read_bytes()
                except OSError as exc:
                    report.failures.append(f"{path}: cannot read: {exc.strerror or exc}")
                    failed_paths.add(resolved)
                    continue
                sha = hashlib.sha256(raw).hexdigest()
                old_doc = by_path.get(resolved)
                if same_fp and old_doc and old_docs[old_doc]["sha256"] == sha:
                    desired[old_doc] = old_docs[old_doc]
                    report.files_skipped += 1
                    continue
                try:
                    item = parse_and_chunk(path, raw, settings, embedder)
                except (ParseError, ValueError) as exc:
                    report.failures.append(f"{path}: {exc}")
                    failed_paths.add(resolved)
                    continue
                doc = item.document.doc
                owner = desired.get(doc) or old_docs.get(doc)
                if owner and owner["path"] != resolved and (doc in desired or Path(owner["path"]).exists()):
                    report.failures.append(f"{path}: document slug '{doc}' is already used by {owner['path']}")
                    failed_paths.add(resolved)
                    continue
                report.files_parsed += 1
                for n in unresolved_citations(item.document):
                    report.warnings.append(f"{path}: citation [{n}] has no entry in Sources")
                desired[doc] = {"path": item.path, "sha256": item.sha256, "keys": {r.key: r.id for r in item.records}}
                doc_info[doc] = {"title": item.document.title, "subject": item.document.subject or "", "url": item.document.url}
                fresh = [r for r in item.records if r.id not in old_ids]
                if fresh:
                    # New text is embedded as files are read, so only a batch of chunks is ever held.
                    writer = writer or GenerationWriter(store, live, generation, embedder, pooled=settings.sentence_vectors == "pooled", embed_batch=embed_batch, progress=progress)
                    writer.queue(fresh)

            # Documents this run does not speak for stay as they are; removed files in scope go.
            for doc, entry in old_docs.items():
                if doc in desired:
                    continue
                if entry["path"] in failed_paths:
                    desired[doc] = entry
                elif not replace_all and not _in_scope(entry["path"], scope, seen_files):
                    desired[doc] = entry

            _count(report, old_docs, desired)
            report.documents = len(desired)
            report.sections = len({k.rsplit("#", 1)[0] for e in desired.values() for k in e["keys"]})
            report.chunks = sum(len(e["keys"]) for e in desired.values())
            new_ids = {i for e in desired.values() for i in e["keys"].values()}
            if live and new_ids == old_ids and set(desired) == set(old_docs):
                if writer is not None:
                    writer.discard()
                report.generation = live.generation
                if not same_fp or any(old_docs[d].get("sha256") != e.get("sha256") for d, e in desired.items()):
                    store.save_manifest(live.collection, {**manifest, "fingerprint": fp, "docs": desired})
                report.seconds = time.perf_counter() - started
                return report
            if not desired:
                if writer is not None:
                    writer.discard()
                report.seconds = time.perf_counter() - started
                if report.failures:
                    return report
                raise RuntimeError("nothing to index: no monographs were found and none are indexed")

            writer = writer or GenerationWriter(store, live, generation, embedder, pooled=settings.sentence_vectors == "pooled", embed_batch=embed_batch, progress=progress)
            writer.copy([i for e in desired.values() for i in e["keys"].values() if i in old_ids])
            lexical = writer.finish()
            report.embedded = writer.embedded
            for doc in desired:
                if doc not in doc_info and live and doc in live.docs:
                    doc_info[doc] = live.docs[doc]
            info = LiveInfo(
                collection=writer.name,
                generation=generation,
                model_id=embedder.model_id,
                dim=embedder.dim,
                docs={doc: doc_info[doc] for doc in desired if doc in doc_info},
                chunks=writer.written,
                created=time.time(),
            )
            store.publish(info, lexical, {"generation": generation, "fingerprint": fp, "docs": desired}, writer.records)
        except BaseException:
            if writer is not None:
                writer.discard()
            raise
        report.generation = generation
        report.changed = True
        report.seconds = time.perf_counter() - started
        return report


def _count(report: IngestReport, old_docs: dict[str, dict], desired: dict[str, dict]) -> None:
    old = {k: i for e in old_docs.values() for k, i in e["keys"].items()}
    new = {k: i for e in desired.values() for k, i in e["keys"].items()}
    for key, cid in new.items():
        if key not in old:
            report.added += 1
        elif old[key] != cid:
            report.updated += 1
        else:
            report.unchanged += 1
    report.removed = sum(1 for key in old if key not in new)
