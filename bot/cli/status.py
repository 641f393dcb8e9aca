"""monobot status — what is indexed and how questions will be answered: store, generation, documents, chunks,
model, thresholds, last ingest. Reads the live pointer only (no chromadb for an embedded store), so it is fast."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any

from .common import add_store_option, fail, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "status",
        help="show what is indexed: store, generation, documents, chunks, model, thresholds, last ingest",
        description="What the bot answers from right now. Exit code 1 when the index is empty or unreachable.",
    )
    add_store_option(p)
    p.add_argument("--json", action="store_true", help="print the status as JSON (default: text)")
    p.set_defaults(handler=run)


def when(timestamp: float | None) -> str:
    if not timestamp:
        return "–"
    age = max(0.0, time.time() - timestamp)
    ago = f"{age / 86400:.0f} days" if age >= 86400 else f"{age / 3600:.0f} h" if age >= 3600 else f"{age / 60:.0f} min"
    return f"{time.strftime('%Y-%m-%d %H:%M %Z', time.localtime(timestamp))} ({ago} ago)"


def quarantined(store: Any) -> list[dict[str, str]]:
    """Chunks holding instruction-like corpus text (never quoted in answers): where they are and what they say."""
    from bot.instructions import find

    try:
        records = store.snapshot().records
    except Exception:
        return []
    out = []
    for row in range(records.rows if records is not None else 0):
        record = records.record(row)
        out += [
            {"doc": record.doc, "section": record.section, "kind": h.kind, "sentence": h.sentence}
            for h in find(record.text)
        ]
    return out


def status(settings: Any) -> dict[str, Any]:
    from bot.index import IndexStore, IndexUnavailable

    store = IndexStore(settings)
    out: dict[str, Any] = {
        "store": settings.chroma_url or str(settings.store),
        "store_kind": "chroma server" if settings.chroma_url else "embedded",
        "database": settings.database_url.split("://", 1)[0] if settings.db_url else settings.database_url,
        "answers": f"LLM ({settings.llm})" if settings.llm else "extractive (no LLM configured)",
        "embed_model": settings.embed_model,
        "thresholds": {
            "abstain_below": settings.abstain_threshold,
            "weak_below": settings.weak_threshold,
            "top_k": settings.top_k,
        },
    }
    try:
        info = store.read_live()
    except IndexUnavailable as exc:
        return {**out, "ready": False, "reason": str(exc)}
    if info is None:
        return {**out, "ready": False, "reason": "the index is empty: run `monobot ingest PATH`"}
    return {
        **out,
        "ready": True,
        "quarantined": quarantined(store),
        "generation": info.generation,
        "collection": info.collection,
        "documents": len(info.docs),
        "subjects": len(info.subjects),
        "chunks": info.chunks,
        "model": info.model_id,
        "last_ingest": info.created,
    }


def run(args: argparse.Namespace) -> int:
    data = status(settings_from(args))
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        print()
        return 0 if data["ready"] else 1
    print(f"store:        {data['store']} ({data['store_kind']})")
    if not data["ready"]:
        print(f"index:        not ready: {data['reason']}")
    else:
        print(f"generation:   {data['generation']} ({data['collection']})")
        print(f"documents:    {data['documents']} ({data['subjects']} subjects)")
        print(f"chunks:       {data['chunks']}")
        print(f"model:        {data['model']}")
        print(f"last ingest:  {when(data['last_ingest'])}")
        flagged = data["quarantined"]
        print(f"quarantined:  {len(flagged)} instruction-like sentences, never quoted")
        for item in flagged[:10]:
            print(f"  - {item['doc']} › {item['section']}: {item['sentence'][:90]!r}")
    t = data["thresholds"]
    abstain, weak = (v if v is not None else "the model's default" for v in (t["abstain_below"], t["weak_below"]))
    print(f"thresholds:   abstain below {abstain}, weak below {weak}, top {t['top_k']} excerpts")
    print(f"answers:      {data['answers']}")
    print(f"question log: {data['database']}")
    if not data["ready"]:
        return fail("the index is not ready", code=1)
    return 0
