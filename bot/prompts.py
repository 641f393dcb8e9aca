"""Prompts and user-facing messages live as files in prompts/, so wording changes are reviewed as text, not code."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path


class Prompts:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    @lru_cache(maxsize=64)  # noqa: B019 - one instance per process; files are read once
    def text(self, name: str) -> str:
        path = self.directory / f"{name}.txt"
        if not path.exists():
            raise FileNotFoundError(f"prompt file missing: {path}")
        return path.read_text(encoding="utf-8").strip()

    def format(self, name: str, **fields: object) -> str:
        return self.text(name).format(**fields)

    def message(self, name: str, **fields: object) -> str:
        return self.format(f"messages/{name}", **fields)
