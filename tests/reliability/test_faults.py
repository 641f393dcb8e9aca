"""Faults, each reproduced for real: a Chroma server killed mid-load, a hanging LLM, re-ingest under traffic."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from bot.factory import build_bot
from bot.feedback import FeedbackStore
from bot.index import IndexStore, iter_collection
from bot.web.app import create_app
from ingest.pipeline import ingest

from ..conftest import CORPUS, VENV_BIN, free_port
from ..stubs.openai_stub import OpenAIStub, Reply
from ..web.conftest import LiveServer

pytestmark = pytest.mark.slow  # starts Chroma servers and live web servers


def start_chroma(data: Path, port: int) -> subprocess.Popen:
    proc = subprocess.Popen(
        [str(VENV_BIN / "chroma"), "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("chroma did not start")


def wait_for(predicate, timeout: float) -> float:
    """Seconds until predicate() held (bounded); raises when it never does."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout} s")


def test_chroma_server_killed_mid_load_then_back(tmp_path, settings_for, embedder):
    port = free_port()
    data = tmp_path / "chroma-data"
    chroma = start_chroma(data, port)
    try:
        settings = settings_for(
            tmp_path / "sidecars", chroma_url=f"http://127.0.0.1:{port}", chroma_timeout=2.0
        ).model_copy(update={"rate_limit_per_minute": 100_000})
        store = IndexStore(settings)
        assert ingest([CORPUS], settings, store, embedder, progress=False).ok
        app = create_app(
            settings,
            bot=build_bot(settings, store=store, embedder=embedder),
            feedback=FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}"),
        )
        with LiveServer(app) as live:
            url = live.url
            assert httpx.get(f"{url}/readyz").status_code == 200
            statuses: list[int] = []
            stop = threading.Event()

            def load() -> None:
                with httpx.Client(timeout=15) as client:
                    for _ in range(2000):  # bounded
                        if stop.is_set():
                            return
                        r = client.post(f"{url}/api/chat", json={"message": "Is Semax approved?"})
                        statuses.append(r.status_code)
                        assert "Traceback" not in r.text

            worker = threading.Thread(target=load)
            worker.start()
            wait_for(lambda: len(statuses) >= 5, 30)
            chroma.kill()
            chroma.wait()
            not_ready = wait_for(lambda: httpx.get(f"{url}/readyz", timeout=5).status_code == 503, 30)
            print(f"/readyz 503 after {not_ready:.2f} s")
            # A request during the outage gets a 503 within its client's timeout rather than hanging.
            down = httpx.post(f"{url}/api/chat", json={"message": "Is Semax approved?"}, timeout=10)
            assert down.status_code == 503
            assert down.json()["error"]["code"] == "unavailable" and "Traceback" not in down.text

            chroma = start_chroma(data, port)
            recovered = wait_for(lambda: httpx.get(f"{url}/readyz", timeout=5).status_code == 200, 30)
            print(f"ready again {recovered:.2f} s after the restart")
            back = httpx.post(f"{url}/api/chat", json={"message": "Is Semax approved?"}, timeout=10)
            assert back.status_code == 200 and back.json()["status"] == "answered"
            stop.set()
            worker.join(timeout=30)
            assert set(statuses) <= {200, 503}, set(statuses)
            assert 503 in statuses and statuses[-1] == 200
    finally:
        chroma.kill()


def test_hanging_llm_falls_back_for_every_concurrent_request(sample_settings, sample_store, embedder, tmp_path):
    stub = OpenAIStub(default=Reply(delay=30, text="late [1]")).start()
    try:
        settings = sample_settings.model_copy(
            update={"llm": stub.url, "llm_timeout": 1.0, "rate_limit_per_minute": 100_000}
        )

        bot = build_bot(settings, store=sample_store, embedder=embedder)
        app = create_app(settings, bot=bot, feedback=FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}"))
        with LiveServer(app) as live:
            results: list[dict] = []

            def ask(q: str) -> None:
                results.append(httpx.post(f"{live.url}/api/chat", json={"message": q}, timeout=20).json())

            # The stub answers after 30 s and each client gives up after 20 s: only a fallback at the
            # 1 s LLM timeout gets all eight answers back.
            threads = [
                threading.Thread(target=ask, args=(q,))
                for q in ["Is Semax approved?", "Is Selank safe?", "What did CASTA find?", "Does BPC-157 work?"] * 2
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=30)
            assert len(results) == 8
            assert all(r["mode"] == "extractive" and r["status"] == "answered" for r in results), [
                r.get("mode") for r in results
            ]
    finally:
        stub.stop()


def _chunk_texts(store: IndexStore) -> dict[str, str]:
    snapshot = store.snapshot()
    parts: dict[str, list[tuple[int, str]]] = {}
    for _, docs, metas, _ in iter_collection(snapshot.collection, include=["documents", "metadatas"]):
        for d, m in zip(docs, metas):
            parts.setdefault(m["doc"], []).append((m["ordinal"], d))
    return {k: "\n".join(t for _, t in sorted(v)) for k, v in parts.items()}


def test_reingest_while_serving_never_mixes_generations(tmp_path, settings_for, embedder):
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    settings = settings_for(tmp_path / "store").model_copy(update={"rate_limit_per_minute": 100_000})
    store = IndexStore(settings)
    assert ingest([corpus], settings, store, embedder, progress=False).ok
    old = _chunk_texts(store)
    app = create_app(
        settings,
        bot=build_bot(settings, store=IndexStore(settings), embedder=embedder),
        feedback=FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}"),
    )
    with LiveServer(app) as live:
        for path in corpus.glob("*.txt"):  # every "trial" becomes "study": two recognisable editions
            path.write_text(path.read_text().replace("trial", "study"))
        env = {**os.environ, "MONOBOT_STORE": str(settings.store)}
        ingest_proc = subprocess.Popen(
            [str(VENV_BIN / "monobot"), "ingest", str(corpus), "--no-progress"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        answers: list[dict] = []
        questions = [
            "What did the CASTA trial find?",
            "How long did CARS give Cerebrolysin?",
            "Does Cerebrolysin help dementia?",
            "Is Cerebrolysin safe?",
        ]
        with httpx.Client(timeout=15) as client:
            for i in range(3000):  # bounded: until the ingest ends, then a few more
                r = client.post(f"{live.url}/api/chat", json={"message": questions[i % 4]})
                assert r.status_code == 200, r.text
                answers.append(r.json())
                if ingest_proc.poll() is not None and len(answers) > 20:
                    break
        ingest_proc.wait(timeout=300)
        assert ingest_proc.returncode == 0, ingest_proc.stderr.read()[-2000:]
        for q in questions:
            answers.append(httpx.post(f"{live.url}/api/chat", json={"message": q}, timeout=15).json())
    new = _chunk_texts(IndexStore(settings))

    def edition(excerpt: str, doc: str) -> str:
        lines = excerpt.split("\n")  # line by line: table rows share one header row in an excerpt
        in_old, in_new = all(x in old.get(doc, "") for x in lines), all(x in new.get(doc, "") for x in lines)
        return "both" if in_old and in_new else "old" if in_old else "new" if in_new else "neither"

    editions_seen = set()
    for answer in answers:
        kinds = {edition(c["excerpt"], c["doc"]) for c in answer["citations"]} - {"both"}
        assert "neither" not in kinds, answer
        assert len(kinds) <= 1, f"an answer mixed two index generations: {answer['question']}"
        editions_seen |= kinds
    assert "new" in editions_seen  # the new generation took over while serving
