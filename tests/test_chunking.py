"""Chunks fit the embedding model, never cross sections, and keep every table row with its header."""

from __future__ import annotations

import pytest

from bot.index import embed_text
from bot.text import sentence_spans
from ingest.chunk import chunk_document
from ingest.load import parse_file
from ingest.model import Document, Paragraph
from ingest.parse_text import parse_text

from .conftest import CORPUS, EXEMPLAR


def corpus_files():
    files = sorted(CORPUS.glob("*.txt"))
    if EXEMPLAR.exists():
        files.append(EXEMPLAR)
    return files


@pytest.mark.parametrize("path", corpus_files(), ids=lambda p: p.name)
def test_every_chunk_fits_the_model_and_stays_in_its_section(path, embedder):
    doc = parse_file(path, "https://example.org/m/")
    records = chunk_document(doc, embedder.count_tokens, 200, embedder.model_id)
    section_text = {
        s.anchor: " ".join(b.text if isinstance(b, Paragraph) else "" for b in s.blocks) for s in doc.sections
    }
    for r in records:
        assert embedder.count_tokens(r.embed_text) <= 200
        assert all(embedder.count_tokens(t) <= embedder.max_tokens for t in r.sentence_embed_texts())
        if r.kind == "text":
            for sentence in r.text.split("\n"):
                assert sentence in section_text[r.anchor], "chunk text must come from its own section"
    # Nothing is lost: every sentence of every paragraph is in some chunk.
    joined = "\n".join(r.text for r in records)
    for s in doc.sections:
        for b in s.blocks:
            if isinstance(b, Paragraph):
                assert all(b.text[x:y] in joined for x, y in sentence_spans(b.text))


def test_table_rows_are_chunks_with_header(embedder):
    if not EXEMPLAR.exists():
        pytest.skip("exemplar not present")
    doc = parse_file(EXEMPLAR, "https://example.org/m/")
    records = chunk_document(doc, embedder.count_tokens, 200, embedder.model_id)
    rows = [r for r in records if r.kind == "table"]
    assert len(rows) == 5
    target = next(r for r in rows if "Non-fatal serious adverse events" in r.text)
    assert target.text == (
        "| Category | What the data show | Source / estimate |\n"
        "| Non-fatal serious adverse events | Possible increase — the key signal | Cochrane RR 2.39 (1.10–5.23) |"
    )
    assert target.section == "The porcine source: a real hypersensitivity risk"


def test_chunk_carries_resolved_sources(embedder):
    if not EXEMPLAR.exists():
        pytest.skip("exemplar not present")
    doc = parse_file(EXEMPLAR, "https://example.org/m/")
    records = chunk_document(doc, embedder.count_tokens, 200, embedder.model_id)
    anaphylaxis = next(r for r in records if "anaphylactic reaction" in r.text)
    assert {s["pmid"] for s in anaphylaxis.sources} >= {"39055722"}
    assert all(set(s) >= {"n", "citation", "authors", "year", "title", "journal", "pmid"} for s in anaphylaxis.sources)
    assert anaphylaxis.url.endswith("#the-porcine-source-a-real-hypersensitivity-risk")


def test_overlong_sentence_is_split_not_truncated(embedder):
    words = " ".join(f"word{i}" for i in range(600))
    doc = parse_text(f"Long one\nA dek.\n{words}.\n", "long", "https://example.org/m/long")
    records = chunk_document(doc, embedder.count_tokens, 120, embedder.model_id)
    assert len(records) > 3
    assert all(embedder.count_tokens(r.embed_text) <= 120 for r in records)
    rebuilt = " ".join(r.text for r in records[1:])
    assert "word0" in rebuilt and "word599" in rebuilt


def test_ids_change_only_with_content(embedder):
    def build(text: str) -> Document:
        return parse_text(text, "d", "https://example.org/m/d")

    a = chunk_document(build("T\nDek.\nOne para.\nH\nSecond para.\n"), embedder.count_tokens, 200, embedder.model_id)
    b = chunk_document(
        build("T\nDek.\nOne para.\nH\nSecond para, edited.\n"), embedder.count_tokens, 200, embedder.model_id
    )
    assert a[0].id == b[0].id
    assert a[1].id != b[1].id and a[1].key == b[1].key


def test_embed_text_has_title_and_heading():
    assert embed_text("Title", "Heading", "Body", "heading") == "Title — Heading\nBody"
    assert embed_text("Title", "Summary", "Body", "") == "Title\nBody"


def test_tokenizer_only_counter_splits_exactly_as_the_embedder(embedder, sample_settings):
    """The dry run sizes chunks without the model; its preview must match what ingest would index."""
    from bot.embedding import TokenCounter
    from ingest.pipeline import preview

    counter = TokenCounter(sample_settings.embed_model)
    assert counter.max_tokens == embedder.max_tokens
    assert embedder.model_id.startswith(counter.model_id)
    paths = corpus_files()
    with_counter, failures = preview(paths, sample_settings, counter)
    assert not failures
    assert with_counter == preview(paths, sample_settings, embedder)[0]


def test_a_table_without_outer_pipes_chunks_row_by_row_with_its_header(embedder):
    text = "Widgetide\nA summary.\nLead text.\nNumbers\nOutcome | Finding\n---|---\nAny event | RR 1.01\nSerious events | RR 2.39\n"
    records = chunk_document(
        parse_text(text, "w", "https://example.org/m/w"), embedder.count_tokens, 200, embedder.model_id
    )
    rows = [r.text for r in records if r.kind == "table"]
    assert rows == [
        "| Outcome | Finding |\n| Any event | RR 1.01 |",
        "| Outcome | Finding |\n| Serious events | RR 2.39 |",
    ]
