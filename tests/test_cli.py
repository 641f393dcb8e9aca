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
        if bad.name != "no-title.md":  # a Markdown page without a title now takes it from its file name
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


def test_conversations_continue_with_c_and_cid_and_are_listed(run):
    first = run("ask", "Tell me about BPC-157", "--quiet", stdin="")
    assert first.returncode == 0, first.stderr
    assert "[1] " not in first.stdout.replace("[1]", "")  # --quiet: the answer text only, no source list
    follow = run("ask", "-c", "is there any human evidence?", "--json", stdin="")
    assert follow.returncode == 0, follow.stderr
    assert "BPC-157" in json.loads(follow.stdout)["standalone_question"]
    listed = json.loads(run("logs", "--json").stdout)
    assert len(listed) == 1 and listed[0]["turns"] == 2 and listed[0]["title"] == "Tell me about BPC-157"
    cid = listed[0]["id"]
    shown = run("logs", cid[:5])
    assert shown.returncode == 0 and "you> is there any human evidence?" in shown.stdout
    other = run("ask", "--cid", cid[:6], "and in animals?", "--json", stdin="")
    assert other.returncode == 0, other.stderr
    assert "BPC-157" in json.loads(other.stdout)["standalone_question"]
    missing = run("ask", "--cid", "ffffffffff", "hello")
    assert missing.returncode == 2 and "no conversation" in missing.stderr
    assert json.loads(run("logs", "--json").stdout)[0]["turns"] == 3


def test_question_and_history_from_stdin_and_no_sources(run):
    piped = run("ask", "--no-sources", stdin="Is Cerebrolysin safe?\n")
    assert piped.returncode == 0, piped.stderr
    assert "https://example.org/monographs/" not in piped.stdout and piped.stdout.strip()
    history = json.dumps([{"role": "user", "content": "Tell me about BPC-157"}, {"role": "assistant", "content": "…"}])
    proc = run("ask", "is there any human evidence?", "--history", "-", "--json", stdin=history)
    assert proc.returncode == 0, proc.stderr
    assert "BPC-157" in json.loads(proc.stdout)["standalone_question"]
    both = run("ask", "-", "--history", "-", stdin=history)
    assert both.returncode == 2 and "cannot both" in both.stderr


def test_chat_commands_help_reset_and_sources(run):
    proc = run("chat", stdin="/help\nIs Cerebrolysin safe?\n/sources\n/reset\ny\n/quit\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("monobot> ") == 1  # /help, /sources and /reset are never sent as questions
    assert "/sources" in proc.stdout and "Started a new conversation." in proc.stdout
    assert proc.stdout.count("https://example.org/monographs/") >= 2  # the answer's sources, then /sources


def test_status_docs_list_and_completion(run):
    empty = run("status")
    assert empty.returncode == 1 and "not ready" in empty.stdout
    assert run("ask", "Is Semax safe?", "--quiet", "--no-save").returncode == 0
    status = json.loads(run("status", "--json").stdout)
    assert status["ready"] and status["documents"] == 7 and status["chunks"] > 0 and status["generation"] >= 1
    assert status["model"].startswith("all-minilm") and "abstain_below" in status["thresholds"]
    assert "last ingest:" in run("status").stdout
    docs = json.loads(run("docs", "list", "--json").stdout)
    assert len(docs) == 7 and all(d["sections"] >= 2 and d["chunks"] >= d["sections"] for d in docs)
    assert "7 monographs" in run("docs", "list").stdout
    assert json.loads(run("logs", "--json").stdout) == []  # --no-save stored nothing
    for shell in ("bash", "zsh"):
        script = run("completion", shell)
        assert script.returncode == 0 and "--cid" in script.stdout and "eval" in script.stdout


def test_every_option_has_help():
    from bot.cli import build_parser

    def walk(parser):
        for action in parser._actions:
            if action.choices and isinstance(action.choices, dict):
                for sub in action.choices.values():
                    yield from walk(sub)
            elif action.option_strings and action.dest != "help":
                yield parser.prog, action

    missing = [
        f"{prog} {a.option_strings[0]}"
        for prog, a in walk(build_parser())
        if not a.help and prog.split()[1] in ("ask", "chat", "status", "docs", "logs", "completion", "eval")
    ]
    assert missing == []


def test_a_cold_ask_does_not_import_what_it_does_not_use():
    code = (
        "import sys, bot.cli; bot.cli.build_parser('ask');"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy','shtab','chromadb','torch','eval','yaml'}))"
    )
    proc = subprocess.run([str(VENV_BIN / "python"), "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
