"""The format exemplar itself, ingested end to end: its table-only figure must come back with its header row."""

from __future__ import annotations

import pytest

from bot.factory import build_bot
from bot.index import IndexStore
from ingest.pipeline import ingest

from .conftest import EXEMPLAR

HEADER = "| Category | What the data show | Source / estimate |"


@pytest.fixture(scope="module")
def exemplar_bot(tmp_path_factory, settings_for, embedder):
    if not EXEMPLAR.exists():
        pytest.skip("the format exemplar ../shared/seeds/cerebrolysin-side-effects.txt is not present")
    settings = settings_for(tmp_path_factory.mktemp("exemplar-store"))
    store = IndexStore(settings)
    report = ingest([EXEMPLAR], settings, store, embedder, progress=False)
    assert report.ok, report.failures
    assert report.documents == 1 and report.sections == 6  # the lead and the five headed sections
    return build_bot(settings, store=store, embedder=embedder)


def test_exemplar_table_row_is_retrieved_with_its_header(exemplar_bot):
    answer = exemplar_bot.ask("What was the risk ratio for non-fatal serious adverse events with Cerebrolysin?")
    assert answer.status == "answered"
    rows = [c for c in answer.citations if "RR 2.39" in c.excerpt]
    assert rows, [c.excerpt for c in answer.citations]
    lines = rows[0].excerpt.splitlines()
    assert HEADER in lines, "the row comes with its header row"
    assert any("Non-fatal serious adverse events" in ln and "RR 2.39 (1.10–5.23)" in ln for ln in lines)
    assert lines.index(HEADER) < next(i for i, ln in enumerate(lines) if "RR 2.39" in ln)
    assert rows[0].section == "The porcine source: a real hypersensitivity risk"  # the section the table sits in
    assert rows[0].url.endswith("#the-porcine-source-a-real-hypersensitivity-risk")
