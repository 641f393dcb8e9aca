"""Token counting with the embedding model's own tokenizer, without loading (or exporting) the model.

Chunk sizes depend only on the tokenizer, so `ingest --dry-run` needs nothing else. Loading the full
embedder would export the ~90 MB ONNX model into the store's cache folder (creating the store), and a
preview must leave the store exactly as it found it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from bot.embedding import _fingerprint, _max_seq_length, resolve_model_path


class TokenCounting(Protocol):
    """What chunking needs from a model: its word-piece count and its identity (for chunk ids)."""

    model_id: str
    max_tokens: int

    def count_tokens(self, text: str) -> int: ...


class TokenCounter:
    """The tokenizer half of bot.embedding.Embedder: same tokenizer.json, same counts, no weights."""

    def __init__(self, model_name: str) -> None:
        from tokenizers import Tokenizer

        path = resolve_model_path(model_name)
        self.path: Path = path
        self.max_tokens = _max_seq_length(path)
        self._tokenizer = Tokenizer.from_file(str(path / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        # Same form as Embedder.model_id minus the runtime variant, which only a loaded model knows;
        # previews show no chunk ids, so nothing compares this with an index.
        self.model_id = f"{Path(model_name).name.lower()}@{_fingerprint(path)}"

    def count_tokens(self, text: str) -> int:
        """Word pieces the model would read, special tokens included (as Embedder.count_tokens)."""
        return len(self._tokenizer.encode(text).ids)
