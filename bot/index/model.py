"""The embedding model the index was built with: ingest and every question must load the same one."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from ..embedding import Embedder, load_embedder
from ..settings import Settings


@lru_cache(maxsize=4)
def _embedder(model: str, backend: str, cache_dir: str, threads: int, workers: int) -> Embedder:
    return load_embedder(model, backend, Path(cache_dir), threads=threads, bulk_workers=workers)


def get_embedder(settings: Settings) -> Embedder:
    """One embedder per process and configuration; the ONNX export is cached in the store's models folder."""
    return _embedder(
        settings.embed_model,
        settings.embed_backend,
        str(Path(settings.store) / "models"),
        settings.onnx_threads,
        settings.embed_workers,
    )
