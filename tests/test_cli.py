"""The `monobot` command as a user runs it: real subprocesses, real files, a fresh store."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from .conftest import CORPUS, FIXTURES, VENV_BIN

pytestmark = pytest.mark.slow  # runs the CLI in subprocesses

MONOBOT = str(VENV_BIN / "monobot")
CONTRACT = {"question", "status", "answer", "citations", "timings_ms", "guardrail"}


@pytest.fixture()
def run(tmp_path, settings_for):
    settings = settings_for(tmp_path / "store")  # links the session's ONNX export into the new store

    def _run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, "MONOBOT_STORE": str(settings.store), "MONOBOT_CORPUS": str(CORPUS)}
        return subprocess.run([MONOBOT, *args], input=stdin, capture_output=True, text=True, env=env, timeout=300)

    _run.store = settings.store
    return _run


def test_ask_json_ingests_the_sample_corpus_on_first_use(run):
    proc = run("ask", "Is Cerebrolysin safe?", "--json")
    assert proc.returncode == 0, proc.stderr
    assert "ingesting" in proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) >= CONTRACT
    assert data["status"] == "answered"
    citation = data["citations"][0]
    assert {"n", "doc", "title", "section", "url", "excerpt", "sources"} <= set(citation)
    assert all({"n", "citation", "pmid"} <= set(s) for c in data["citations"] for s in c["sources"])


def test_ask_for_a_person_lists_numbered_sources(run):
    proc = run("ask", "Is Cerebrolysin safe?")
    assert proc.returncode == 0, proc.stderr
    assert "[1] " in proc.stdout and "https://example.org/monographs/" in proc.stdout


def test_history_file_and_bad_history(run, tmp_path):
    history = tmp_path / "history.json"
    history.write_text(
        json.dumps([{"role": "user", "content": "Tell me about BPC-157"}, {"role": "assistant", "content": "…"}])
    )
    proc = run("ask", "is there any human evidence?", "--history", str(history), "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert "BPC-157" in data["standalone_question"]
    history.write_text('{"role": "user"}')
    bad = run("ask", "hello", "--history", str(history))
    assert bad.returncode == 2 and "history file" in bad.stderr and "JSON list" in bad.stderr


def test_dry_run_previews_without_touching_the_index(run):
    proc = run("ingest", "--dry-run", "--json", str(CORPUS / "semax.txt"))
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    (doc,) = data["documents"]
    assert {"doc", "title", "url", "sections"} <= set(doc) and doc["doc"] == "semax"
    section = doc["sections"][1]
    assert {"heading", "url", "chunks"} <= set(section)
    assert {"text", "sources"} <= set(section["chunks"][0])
    assert not list(Path(run.store).glob("*-live.json"))


def test_bad_files_get_one_line_each_and_the_rest_ingests(run, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    for bad in sorted((FIXTURES / "bad").iterdir()):
        (batch / bad.name).write_bytes(bad.read_bytes())
    (batch / "semax.txt").write_bytes((CORPUS / "semax.txt").read_bytes())
    proc = run("ingest", str(batch))
    assert proc.returncode == 1
    lines = [line for line in proc.stderr.splitlines() if line.startswith("monobot: ") and "warning" not in line]
    expected = {
        "empty.txt": "empty",
        "whitespace.txt": "empty",
        "binary.txt": "binary",
        "latin1.txt": "UTF-8",
        "no-title.md": "no title",
        "broken-table.txt": "broken table",
        "heading-without-text.txt": "line 4: 'What the pooled data show' reads as a section heading but has no text under it",
        "table-title.txt": "no title: line 1 is a table row",
    }
    for name, reason in expected.items():
        matching = [line for line in lines if name in line]
        assert len(matching) == 1, (name, proc.stderr)
        assert reason in matching[0], matching[0]
    assert "1 documents" in proc.stdout
    ask = run("ask", "Is Semax approved by the FDA?", "--json")
    assert json.loads(ask.stdout)["status"] == "answered"


def test_missing_path_is_named(run):
    proc = run("ingest", "/nonexistent/monographs")
    assert proc.returncode != 0
    assert "/nonexistent/monographs: no such file or directory" in proc.stderr


def test_chat_keeps_history(run):
    proc = run("chat", stdin="Is Cerebrolysin safe?\nwhat about allergic reactions?\n\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("monobot> ") == 2
    assert "anaphyla" in proc.stdout.lower() or "allerg" in proc.stdout.lower()


def test_empty_question_is_refused_with_a_message(run):
    proc = run("ask", "   ")
    assert proc.returncode == 2 and "empty" in proc.stderr


def test_dry_run_does_not_create_the_store_or_export_the_model(run, tmp_path):
    absent = tmp_path / "no-such-store"
    proc = run("ingest", "--dry-run", "--json", "--store", str(absent), str(CORPUS / "semax.txt"))
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["documents"][0]["doc"] == "semax"
    assert not absent.exists()


SUMMARY = re.compile(
    r"(\d+) documents, (\d+) sections, (\d+) chunks: (\d+) added, (\d+) updated, (\d+) removed, (\d+) unchanged; .* (\d+\.\d) s \("
)


def test_ingest_prints_the_summary_and_a_forced_progress_bar(run):
    first = run("ingest", "--progress", str(CORPUS / "semax.txt"))
    assert first.returncode == 0, first.stderr
    match = SUMMARY.search(first.stdout)
    assert match, first.stdout
    documents, sections, chunks, added, updated, removed, unchanged = map(int, match.groups()[:7])
    assert (documents, updated, removed, unchanged) == (1, 0, 0, 0) and added == chunks > 0 and sections >= 2
    assert re.search(rf"embedding: 100%\|.*\| {chunks}/{chunks} ", first.stderr), (
        first.stderr
    )  # tqdm, though stderr is a pipe

    again = run("ingest", str(CORPUS / "semax.txt"))
    assert again.returncode == 0, again.stderr
    assert "embedding:" not in again.stderr  # no bar by default when stderr is not a terminal
    assert SUMMARY.search(again.stdout).groups()[3:7] == ("0", "0", "0", str(chunks))

    as_json = json.loads(run("ingest", "--json", "--no-progress", str(CORPUS / "semax.txt")).stdout)
    assert {"documents", "sections", "added", "updated", "removed", "unchanged", "seconds"} <= set(as_json)
    assert as_json["unchanged"] == chunks and as_json["documents"] == 1
