"""Re-ingest: unchanged files embed nothing, changed sections are replaced, removed ones disappear."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.factory import build_bot
from bot.index import IndexStore
from ingest.pipeline import ingest

from .conftest import CORPUS


class CountingEmbedder:
    """The real embedder, counting what it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.texts = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def embed(self, texts, batch_size: int = 32):
        self.texts += len(texts)
        return self.inner.embed(texts, batch_size)


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def quiet(paths, settings, store, embedder, **kw):
    return ingest(paths, settings, store, embedder, progress=False, **kw)


def test_unchanged_changed_removed(tmp_path, corpus_copy, settings_for, embedder):
    settings = settings_for(tmp_path / "store")
    store = IndexStore(settings)
    counting = CountingEmbedder(embedder)

    first = quiet([corpus_copy], settings, store, counting)
    assert first.ok and first.changed and first.added == first.chunks > 0
    assert first.removed == first.updated == 0
    generation = store.read_live().generation

    counting.texts = 0
    again = quiet([corpus_copy], settings, store, counting)
    assert again.ok and not again.changed
    assert counting.texts == 0 and again.embedded == 0
    assert again.unchanged == first.chunks and again.added == again.updated == again.removed == 0
    assert store.read_live().generation == generation

    # Change one paragraph of one section: only that chunk is re-embedded.
    target = corpus_copy / "semax.txt"
    lines = target.read_text().splitlines()
    i = next(k for k, line in enumerate(lines) if k > 2 and len(line) > 200)
    lines[i] = lines[i] + " This sentence was added to test incremental ingest of a changed section."
    target.write_text("\n".join(lines) + "\n")
    counting.texts = 0
    changed = quiet([corpus_copy], settings, store, counting)
    assert changed.ok and changed.changed
    assert changed.updated >= 1 and changed.embedded == changed.updated + changed.added
    assert changed.embedded <= 3
    assert store.read_live().generation == generation + 1
    bot = build_bot(settings, store=store, embedder=embedder)
    excerpt_texts = [c.excerpt for c in bot.ask("Semax changed section test incremental ingest sentence").citations]
    assert any("added to test incremental ingest" in t for t in excerpt_texts)

    # Remove a section (its heading and paragraphs) and a whole document.
    lines = target.read_text().splitlines()
    headings = [
        k
        for k, line in enumerate(lines)
        if k > 2
        and len(line) < 80
        and not line.endswith(".")
        and not line.startswith(("|", "-", "Reviewed", "Sources"))
    ]
    start, end = headings[1], headings[2]
    removed_heading = lines[start]
    del lines[start:end]
    target.write_text("\n".join(lines) + "\n")
    (corpus_copy / "selank.txt").unlink()
    removed = quiet([corpus_copy], settings, store, counting)
    assert removed.ok and removed.removed > 0
    live = store.read_live()
    assert "selank" not in live.docs
    snapshot = store.snapshot()
    sections = {
        m["section"] for m in snapshot.collection.get(where={"doc": "semax"}, include=["metadatas"])["metadatas"]
    }
    assert removed_heading not in sections
    assert not snapshot.collection.get(where={"doc": "selank"})["ids"]


def test_single_file_ingest_keeps_other_documents(tmp_path, corpus_copy, settings_for, embedder):
    settings = settings_for(tmp_path / "store")
    store = IndexStore(settings)
    quiet([corpus_copy / "semax.txt"], settings, store, embedder)
    quiet([corpus_copy / "bpc-157.txt"], settings, store, embedder)
    assert set(store.read_live().docs) == {"semax", "bpc-157"}
    replaced = quiet([corpus_copy / "bpc-157.txt"], settings, store, embedder, replace_all=True)
    assert replaced.ok and set(store.read_live().docs) == {"bpc-157"}
