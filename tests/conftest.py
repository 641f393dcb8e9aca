"""Shared fixtures: one embedder, one ingested sample index (embedded Chroma) and one Chroma server per session."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from bot.chain import Bot
from bot.factory import build_bot
from bot.index import IndexStore, get_embedder
from bot.settings import REPO_ROOT, Settings
from ingest.pipeline import ingest

CORPUS = REPO_ROOT / "corpus"
FIXTURES = Path(__file__).parent / "fixtures"
EXEMPLAR = REPO_ROOT.parent / "shared" / "seeds" / "cerebrolysin-side-effects.txt"
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def model_cache() -> Path:
    """The ONNX export (and word table) shared by every store of the session, kept between sessions.

    Exporting and quantising the model takes about ten seconds, most of a fast test run; the files are
    named by the model's fingerprint, and a corrupt one is rebuilt (bot/embedding.py), so reusing them
    is safe. MONOBOT_TEST_MODEL_CACHE moves the folder; the export itself is tested in its own test.
    """
    cache = Path(os.environ.get("MONOBOT_TEST_MODEL_CACHE") or REPO_ROOT / ".cache" / "test-models")
    cache.mkdir(parents=True, exist_ok=True)
    return cache


def make_settings(store: Path, model_cache: Path, **extra: object) -> Settings:
    store.mkdir(parents=True, exist_ok=True)
    models = store / "models"
    if not models.exists():
        models.symlink_to(model_cache, target_is_directory=True)
    return Settings(store=store, **extra)


@pytest.fixture(scope="session")
def settings_for(model_cache: Path):
    return lambda store, **extra: make_settings(Path(store), model_cache, **extra)


@pytest.fixture(scope="session")
def embedder(model_cache: Path, tmp_path_factory: pytest.TempPathFactory):
    settings = make_settings(tmp_path_factory.mktemp("embedder-store"), model_cache)
    return get_embedder(settings)


@pytest.fixture(scope="session")
def sample_settings(tmp_path_factory: pytest.TempPathFactory, model_cache: Path) -> Settings:
    return make_settings(tmp_path_factory.mktemp("sample-store"), model_cache)


@pytest.fixture(scope="session")
def sample_store(sample_settings: Settings, embedder) -> IndexStore:
    """The sample corpus ingested once for the whole session (embedded Chroma)."""
    store = IndexStore(sample_settings)
    report = ingest([CORPUS], sample_settings, store, embedder, progress=False)
    assert report.ok, report.failures
    return store


@pytest.fixture(scope="session")
def bot(sample_settings: Settings, sample_store: IndexStore, embedder) -> Bot:
    return build_bot(sample_settings, store=sample_store, embedder=embedder)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory):
    """A real `chroma run` server on 127.0.0.1, for the scale-out mode."""
    exe = shutil.which("chroma", path=str(VENV_BIN)) or shutil.which("chroma")
    if exe is None:
        pytest.fail("the chroma command (from the chromadb package) is not installed")
    data = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    proc = subprocess.Popen(
        [exe, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    url = f"http://127.0.0.1:{port}"
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("chroma server did not start within 60 s")
    yield {"url": url, "proc": proc, "data": data, "port": port}
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def server_store(chroma_server, tmp_path_factory: pytest.TempPathFactory, model_cache: Path, embedder) -> IndexStore:
    """The same sample corpus ingested into the Chroma server."""
    settings = make_settings(tmp_path_factory.mktemp("server-sidecars"), model_cache, chroma_url=chroma_server["url"])
    store = IndexStore(settings)
    report = ingest([CORPUS], settings, store, embedder, progress=False)
    assert report.ok, report.failures
    return store


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.slow)])
def any_bot(request: pytest.FixtureRequest, sample_settings: Settings, embedder) -> Bot:
    """The bot over the embedded store and over the Chroma server: retrieval tests run against both."""
    store = request.getfixturevalue("sample_store" if request.param == "embedded" else "server_store")
    return build_bot(store.settings, store=store, embedder=embedder)
