"""The index: the one package that knows its format.

- `schema`: the chunk record and the keys that decide re-embedding;
- `lexical`: the BM25 index built beside each generation;
- `records`: the memory-mapped copy of each generation's rows that questions read;
- `store`: generations, the live pointer, and opening one for reading;
- `writer`: writing a new generation and publishing it (imported by ingest as `bot.index.writer`, so the
  read path never loads it);
- `model`: the embedding model both sides share.

Ingest hands it parsed records; retrieval reads it. Nothing above it touches collection names or files.
"""

from .lexical import LexicalIndex
from .model import get_embedder
from .schema import SCHEMA_VERSION, ChunkRecord, IndexUnavailable, chunk_id, embed_text, vector_key
from .store import IndexStore, LiveInfo, Snapshot, iter_collection

__all__ = [
    "SCHEMA_VERSION",
    "ChunkRecord",
    "IndexStore",
    "IndexUnavailable",
    "LexicalIndex",
    "LiveInfo",
    "Snapshot",
    "chunk_id",
    "embed_text",
    "get_embedder",
    "iter_collection",
    "vector_key",
]
