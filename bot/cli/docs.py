"""monobot docs list — the monographs in the live index: slug, subject, title, sections and chunks."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from .common import add_store_option, fail, settings_from


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("docs", help="list the indexed monographs", description="The monographs in the live index.")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    ls = actions.add_parser("list", help="one line per monograph: slug, subject, sections, chunks, title")
    add_store_option(ls)
    ls.add_argument("--json", action="store_true", help="print the list as JSON (default: a table)")
    ls.set_defaults(handler=run_list)


def documents(settings: Any) -> list[dict[str, Any]]:
    """From the live pointer and its manifest (chunk keys are doc#anchor#n), so no chromadb is opened."""
    from bot.index import IndexStore

    store = IndexStore(settings)
    info = store.read_live()
    if info is None:
        raise LookupError("the index is empty: run `monobot ingest PATH`")
    manifest = store.load_manifest(info).get("docs", {})
    out = []
    for slug, meta in sorted(info.docs.items()):
        keys = manifest.get(slug, {}).get("keys", {})
        out.append(
            {
                "doc": slug,
                "subject": meta.get("subject", ""),
                "title": meta.get("title", ""),
                "url": meta.get("url", ""),
                "path": manifest.get(slug, {}).get("path", ""),
                "sections": len({k.split("#")[1] for k in keys if k.count("#") >= 2}),
                "chunks": len(keys),
            }
        )
    return out


def run_list(args: argparse.Namespace) -> int:
    from bot.index import IndexUnavailable

    try:
        docs = documents(settings_from(args))
    except (LookupError, IndexUnavailable) as exc:
        return fail(str(exc), code=1)
    if args.json:
        json.dump(docs, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    width = max([len(d["doc"]) for d in docs] + [3])
    sub_w = max([len(d["subject"]) for d in docs] + [7])
    print(f"{'doc':{width}}  {'subject':{sub_w}}  sections  chunks  title")
    for d in docs:
        print(f"{d['doc']:{width}}  {d['subject']:{sub_w}}  {d['sections']:>8}  {d['chunks']:>6}  {d['title']}")
    print(f"{len(docs)} monographs")
    return 0
