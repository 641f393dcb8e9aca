"""A failed or killed ingest leaves the previous index intact and serving."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from bot.factory import build_bot
from bot.index import IndexStore
from ingest.pipeline import ingest

from .conftest import CORPUS

pytestmark = pytest.mark.slow  # kills ingest subprocesses

QUESTION = "Is Cerebrolysin safe?"

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from bot.settings import Settings
    from bot.index import IndexStore, get_embedder
    from ingest.pipeline import ingest

    settings = Settings(store=sys.argv[1])
    real = get_embedder(settings)

    class DiesMidway:
        calls = 0
        def __getattr__(self, name):
            return getattr(real, name)
        def embed(self, texts, batch_size=32):
            DiesMidway.calls += 1
            if DiesMidway.calls == 2:
                print("killing myself mid-ingest", flush=True)
                os.kill(os.getpid(), signal.SIGKILL)
            return real.embed(texts, batch_size)

    ingest([Path(sys.argv[2])], settings, IndexStore(settings), DiesMidway(), progress=False, embed_batch=16)
    """
)


def _answer(store: IndexStore, settings, embedder) -> dict:
    data = build_bot(settings, store=store, embedder=embedder).ask(QUESTION).to_dict()
    return {
        "status": data["status"],
        "answer": data["answer"],
        "citations": [(c["doc"], c["excerpt"]) for c in data["citations"]],
    }


def _touch_every_file(corpus: Path) -> None:
    for path in corpus.glob("*.txt"):
        path.write_text(path.read_text().replace("trial", "study"))


def test_killed_ingest_leaves_old_index_serving(tmp_path, settings_for, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = settings_for(tmp_path / "store")
    ingest([corpus], settings, IndexStore(settings), embedder, progress=False)
    before_live = IndexStore(settings).read_live()
    before = _answer(IndexStore(settings), settings, embedder)

    _touch_every_file(corpus)  # every chunk changes, so the run needs many embedding batches
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(settings.store), str(corpus)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    assert "killing myself" in proc.stdout

    store = IndexStore(settings)
    assert store.read_live() == before_live
    assert _answer(store, settings, embedder) == before
    names = {c.name for c in store.client.list_collections()}
    assert f"monobot-g{before_live.generation + 1:06d}" in names  # the half-written generation is there, not live

    # The next run recovers: it rebuilds the generation and removes the leftover.
    report = ingest([corpus], settings, store, embedder, progress=False)
    assert report.ok and report.changed
    after = IndexStore(settings)
    assert after.read_live().generation == before_live.generation + 1
    assert json.dumps(_answer(after, settings, embedder)) != json.dumps(before)


def test_failing_ingest_rolls_back(tmp_path, settings_for, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = settings_for(tmp_path / "store")
    store = IndexStore(settings)
    ingest([corpus], settings, store, embedder, progress=False)
    live = store.read_live()

    class Broken:
        def __getattr__(self, name):
            return getattr(embedder, name)

        def embed(self, texts, batch_size=32):
            raise RuntimeError("embedding backend crashed")

    _touch_every_file(corpus)
    with pytest.raises(RuntimeError, match="embedding backend crashed"):
        ingest([corpus], settings, store, Broken(), progress=False)
    assert store.read_live() == live
    names = {c.name for c in store.client.list_collections()}
    assert names == {live.collection, "monobot-meta"} or names == {live.collection}
    assert build_bot(settings, store=store, embedder=embedder).ask(QUESTION).status == "answered"
