"""The generation's local record copy: written by ingest, read by id, rebuilt from the store when absent."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from bot.features import FEATURES_VERSION
from bot.index import ChunkRecord, IndexStore, iter_collection
from bot.instructions import vocabulary_hash
from ingest.pipeline import ingest

from .conftest import CORPUS


def _chroma_rows(store: IndexStore) -> dict[str, tuple[ChunkRecord, np.ndarray]]:
    snap = store.snapshot()
    out = {}
    for ids, docs, metas, embeddings in iter_collection(
        snap.collection, include=["documents", "metadatas", "embeddings"]
    ):
        for i, d, m, e in zip(ids, docs, metas, embeddings):
            out[i] = (ChunkRecord.from_chroma(i, d, m), np.asarray(e, dtype=np.float32))
    return out


def _same(local: tuple[ChunkRecord, np.ndarray], chroma: tuple[ChunkRecord, np.ndarray]) -> None:
    a, b = local[0], chroma[0]
    assert (a.text, a.doc, a.section, a.url, a.sources, a.sentences, a.kind) == (
        b.text,
        b.doc,
        b.section,
        b.url,
        b.sources,
        b.sentences,
        b.kind,
    )
    assert float(np.dot(local[1], chroma[1])) > 0.999  # float16 copy of the same unit vector
    if b.sentence_vectors is None:
        assert a.sentence_vectors is None
    else:
        assert a.sentence_vectors.shape == b.sentence_vectors.shape and np.allclose(
            a.sentence_vectors, b.sentence_vectors, atol=2e-3
        )


def test_every_chunk_is_read_locally_as_the_store_has_it(sample_store):
    snap = sample_store.snapshot()
    assert snap.records is not None and snap.records.rows == snap.info.chunks
    chroma = _chroma_rows(sample_store)
    local = snap.rows(list(chroma))
    assert set(local) == set(chroma)
    for chunk_id in chroma:
        _same(local[chunk_id], chroma[chunk_id])

    for chunk_id, (record, _) in local.items():  # the precomputed sentences are those the answer step would work out
        assert record.precomputed is not None and record.terms()
        fresh = ChunkRecord.from_chroma(chunk_id, chroma[chunk_id][0].text, chroma[chunk_id][0].metadata())
        assert record.infos() == fresh.infos()


def test_an_unknown_id_is_fetched_from_the_store(sample_store):
    snap = sample_store.snapshot()
    some = next(iter(_chroma_rows(sample_store)))
    assert snap.records.row_of([some, "not-a-chunk"])[1] is None
    assert set(snap.rows([some, "not-a-chunk"])) == {some}


def test_a_generation_without_its_copy_builds_it_from_the_store(tmp_path, settings_for, embedder):
    settings = settings_for(tmp_path / "store")
    store = IndexStore(settings)
    assert ingest([CORPUS], settings, store, embedder, progress=False).ok
    live = store.read_live()
    shutil.rmtree(store.records_dir(live.collection))  # as on a web worker on another host, or an older index
    fresh = IndexStore(settings)
    snap = fresh.snapshot()
    assert snap.records is not None and store.records_dir(live.collection).exists()
    chroma = _chroma_rows(fresh)
    for chunk_id, row in snap.rows(list(chroma)).items():
        _same(row, chroma[chunk_id])


def test_superseded_and_failed_generations_leave_no_copy_behind(tmp_path, settings_for, embedder):
    settings = settings_for(tmp_path / "store")
    store = IndexStore(settings)
    corpus = tmp_path / "corpus"
    shutil.copytree(CORPUS, corpus)
    assert ingest([corpus], settings, store, embedder, progress=False).ok
    first = store.read_live().collection
    for path in sorted(corpus.glob("*.txt"))[:2]:
        path.write_text(path.read_text().replace("trial", "study"))
        assert ingest([corpus], settings, store, embedder, progress=False).ok
    names = {p.name.split("~")[0] for p in (store.root / "records").iterdir()}  # "<generation>~f<features>~a<analyser>"
    live = store.read_live().collection
    assert live in names and first not in names and len(names) <= 2  # the live one and the one before it


@pytest.mark.slow
def test_a_worker_on_another_host_builds_its_copies_from_the_chroma_server(server_store, tmp_path):
    elsewhere = IndexStore(server_store.settings.model_copy(update={"store": tmp_path / "other-host"}))
    snap = elsewhere.snapshot()
    assert snap.records is not None and elsewhere.records_dir(snap.info.collection).exists()
    assert elsewhere.lexical_dir(snap.info.collection).exists()
    chroma = _chroma_rows(server_store)
    for chunk_id, row in snap.rows(list(chroma)).items():
        _same(row, chroma[chunk_id])


def test_a_search_within_one_drug_matches_chromas_filtered_query(sample_store, embedder):
    from bot.retrieve import Retriever

    snap = sample_store.snapshot()
    retriever = Retriever(sample_store, embedder)
    qvec = embedder.embed_query("Is Semax safe for memory?")
    local = retriever._within(snap, qvec, ["Semax"])
    filtered = snap.query(
        query_embeddings=[qvec], n_results=retriever.k_dense, where={"subject": "Semax"}, include=["distances"]
    )
    assert local and all(h.record.subject == "Semax" for h in local)
    assert [h.record.id for h in local][:5] == filtered["ids"][0][:5]
    assert abs(local[0].cosine - (1 - filtered["distances"][0][0])) < 2e-3
    assert len(snap.records.subject_rows(["Semax", "BPC-157"])) > len(snap.records.subject_rows(["Semax"])) > 0
    assert not len(snap.records.subject_rows(["No Such Drug"]))


def test_the_quarantine_vocabulary_names_the_stored_features(sample_store):
    """Chunks are flagged as instruction-like at ingest and the flag is kept in the record copy, so a change to
    bot/instructions.yaml must change the features version: the copy is then rebuilt (it is named by that
    version) and the next ingest re-parses, instead of quarantining with stale flags."""
    assert vocabulary_hash() in str(FEATURES_VERSION)
    info = sample_store.read_live()
    assert info is not None and info.current
    assert f"~f{FEATURES_VERSION}~" in sample_store.records_dir(info.collection).name
