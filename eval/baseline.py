"""What a user would otherwise build, run on the same questions: the stock LangChain RAG recipe and BM25 alone.

Stock recipe: RecursiveCharacterTextSplitter(1000, 200) over the raw files → Chroma → top-4 similarity,
with the same embedding model (truncating at 256 word pieces, as sentence-transformers does). BM25 alone:
our own lexical index over our own chunks, without dense search, fusion or answer selection. Neither
refuses nor abstains, which is part of what the comparison shows.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.embeddings import Embeddings


class ModelEmbeddings(Embeddings):
    """Our embedder behind LangChain's interface (never chromadb's default, which downloads a model)."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed(texts, truncate=True).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed([text], truncate=True)[0].tolist()


@dataclass
class Hit:
    doc: str
    text: str


class StockRAG:
    name = "stock_langchain_rag"

    def __init__(self, store: Any, directory: tempfile.TemporaryDirectory | None = None) -> None:
        self.store = store
        self._dir = directory

    @classmethod
    def build(cls, files: list[Path], embedder: Any, directory: Path | None = None) -> StockRAG:
        import chromadb
        from chromadb.config import Settings as ChromaSettings
        from langchain_chroma import Chroma
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        texts, metadatas = [], []
        for path in files:
            for chunk in splitter.split_text(path.read_text(encoding="utf-8", errors="replace")):
                texts.append(chunk)
                metadatas.append({"doc": path.stem, "source": str(path)})
        tmp = None
        if directory is None:
            tmp = tempfile.TemporaryDirectory(prefix="monobot-stock-")
            directory = Path(tmp.name)
        client = chromadb.PersistentClient(path=str(directory), settings=ChromaSettings(anonymized_telemetry=False))
        store = Chroma(
            client=client,
            collection_name="stock",
            embedding_function=ModelEmbeddings(embedder),
            collection_metadata={"hnsw:space": "cosine"},
        )
        batch = client.get_max_batch_size()
        for start in range(0, len(texts), batch):  # Chroma caps one add at max_batch_size records
            store.add_texts(texts[start : start + batch], metadatas=metadatas[start : start + batch])
        return cls(store, tmp)

    def search(self, question: str, k: int = 4) -> list[Hit]:
        return [Hit(d.metadata["doc"], d.page_content) for d in self.store.similarity_search(question, k=k)]


class BM25Only:
    name = "bm25_only"

    def __init__(self, snapshot: Any) -> None:
        self.snapshot = snapshot

    def search(self, question: str, k: int = 4) -> list[Hit]:
        ids = [cid for cid, _ in self.snapshot.lexical.search(question, k)]
        records = self.snapshot.get(ids)
        return [Hit(records[i].doc, records[i].text) for i in ids if i in records]
