"""Issue 16, ingest side: linear-time chunking, caps with clear errors, size checked before reading,
symlinks not followed, and one summary line per kind of loss. Each test fails on the code before the issue."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bot.cli import main
from bot.embedding import TokenCounter
from bot.settings import Settings
from ingest.chunk import chunk_document
from ingest.load import find_files, parse_bytes, parse_file
from ingest.model import Document, Limits, Paragraph, ParseError, Section, Table
from ingest.pipeline import preview

SITE = "https://example.org/monographs/"
SECRET_LINES = ["root:x:0:0:root:/root:/bin/bash", "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin"]


@pytest.fixture(scope="module")
def counter() -> TokenCounter:
    return TokenCounter(Settings().embed_model)


class CountingTokenizer:
    """Counts the characters handed to the tokenizer: linear chunking keeps that proportional to the text."""

    def __init__(self, counter: TokenCounter) -> None:
        self.counter = counter
        self.chars = 0

    def __call__(self, text: str) -> int:
        self.chars += len(text)
        return self.counter.count_tokens(text)


def _document(block) -> Document:
    section = Section(heading="Data", anchor="data", blocks=[block])
    return Document(doc="w", title="Widgetide", dek="", url=SITE + "w", sections=[section], sources={})


def test_a_1000_column_table_is_tokenised_in_linear_time(counter):
    table = Table(header=[f"column {i}" for i in range(1000)], rows=[[f"value {i}" for i in range(1000)]])
    tokenizer = CountingTokenizer(counter)
    records = chunk_document(_document(table), tokenizer, 200, counter.model_id)
    size = sum(len(c) for c in table.header + table.rows[0])
    assert tokenizer.chars < 10 * size  # re-encoding the growing row per word handed over ~500x the text
    assert all(counter.count_tokens(r.embed_text) <= 200 for r in records)
    rows = [r.text.split("\n") for r in records]
    assert sum(line[1].count("value") for line in rows) == 1000  # every cell kept, once
    assert all(line[0].count("column") == line[1].count("value") for line in rows)  # each under its own header


def test_a_long_unpunctuated_paragraph_is_tokenised_in_linear_time(counter):
    words = " ".join(f"word{i}" for i in range(5000))
    tokenizer = CountingTokenizer(counter)
    records = chunk_document(_document(Paragraph(words)), tokenizer, 120, counter.model_id)
    assert tokenizer.chars < 10 * len(words)
    assert " ".join(r.text for r in records) == words


def test_chunks_are_the_same_as_packing_by_exact_counts(counter):
    """Adding sentence counts gives the chunks that re-counting the whole chunk gave."""
    text = " ".join(f"Sentence number {i} says something about widgetide and its {i * 7} effects." for i in range(60))
    records = chunk_document(_document(Paragraph(text)), counter.count_tokens, 64, counter.model_id)
    for record in records:
        assert counter.count_tokens(record.embed_text) <= 64
        # the next sentence would not have fitted
    for a, b in zip(records, records[1:]):
        first_next = b.text[b.sentences[0][0] : b.sentences[0][1]]
        assert counter.count_tokens(a.embed_text + " " + first_next) > 64


@pytest.mark.parametrize(
    "fmt,raw,message",
    [
        ("markdown", "# W\n\n| " + " | ".join(f"c{i}" for i in range(10_000)) + " |\n", "MONOBOT_MAX_LINE_CHARS"),
        (
            "markdown",
            "# W\n\n| " + " | ".join("c" for _ in range(100)) + " |\n|" + "-|" * 100 + "\n",
            "has 100 columns",
        ),
        ("text", "W\nDek.\nTable\n" + "|".join("c" for _ in range(100)) + "\n", "MONOBOT_MAX_TABLE_COLUMNS"),
        ("text", "W\nDek.\n" + "word " * 5000 + "\n", "line 3 has 25,000 characters; the limit is 20,000"),
    ],
)
def test_caps_give_a_clear_error(fmt, raw, message):
    with pytest.raises(ParseError, match=message):
        parse_bytes(raw.encode(), Path("w.md" if fmt == "markdown" else "w.txt"), fmt, SITE)


def test_the_size_is_checked_before_the_file_is_read(tmp_path, monkeypatch):
    big = tmp_path / "big.md"
    with big.open("wb") as handle:
        handle.truncate(200_000_000)  # sparse: 200 MB on paper, nothing on disk

    def no_read(*args, **kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr(Path, "read_bytes", no_read)
    monkeypatch.setattr(os, "fdopen", no_read)
    with pytest.raises(
        ParseError, match=r"file is 200,000,000 bytes; the limit is 5,000,000 \(MONOBOT_MAX_FILE_BYTES\)"
    ):
        parse_file(big, SITE)
    with pytest.raises(ParseError, match="the limit is 1,000,000"):
        parse_file(big, SITE, Limits(max_bytes=1_000_000))


@pytest.fixture
def linked_folder(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = outside / "secret.txt"
    secret.write_text("\n".join(SECRET_LINES) + "\n")
    folder = tmp_path / "corpus"
    (folder / "sub").mkdir(parents=True)
    (folder / "good.md").write_text("# Good\n\nGood text.\n")
    (folder / "sub" / "inside.md").write_text("# Inside\n\nInside text.\n")
    (folder / "passwd.txt").symlink_to(secret)
    (folder / "etc.txt").symlink_to("/etc/passwd")
    (folder / "alias.md").symlink_to(folder / "sub" / "inside.md")
    (folder / "out").symlink_to(outside, target_is_directory=True)
    return folder


def test_symlinks_in_a_folder_are_not_followed_by_default(linked_folder):
    files, errors = find_files([linked_folder])
    assert [p.name for p in files] == ["good.md", "inside.md"]
    assert sorted(Path(e.split(":")[0]).name for e in errors) == ["alias.md", "etc.txt", "out", "passwd.txt"]
    assert all("symbolic link, not followed" in e for e in errors)


def test_follow_symlinks_follows_only_links_that_stay_inside(linked_folder):
    files, errors = find_files([linked_folder], follow_symlinks=True)
    assert [p.name for p in files] == ["alias.md", "good.md", "inside.md"]
    assert sorted(Path(e.split(":")[0]).name for e in errors) == ["etc.txt", "out", "passwd.txt"]
    assert all("outside the folder" in e for e in errors)


def test_a_link_to_a_secret_never_echoes_it(linked_folder, counter, capsys):
    result, failures = preview([linked_folder], Settings(), counter, follow_symlinks=True)
    shown = json.dumps(result) + "\n".join(failures)
    assert not any(line in shown or line.split(":")[0] + ":x" in shown for line in SECRET_LINES)
    assert [d["doc"] for d in result["documents"]] == ["alias", "good", "inside"]


def test_the_cli_flag(linked_folder, capsys):
    assert main(["ingest", "--dry-run", "--json", str(linked_folder)]) == 1
    assert [d["doc"] for d in json.loads(capsys.readouterr().out)["documents"]] == ["good", "inside"]
    assert main(["ingest", "--dry-run", "--json", "--follow-symlinks", str(linked_folder)]) == 1
    captured = capsys.readouterr()
    assert [d["doc"] for d in json.loads(captured.out)["documents"]] == ["alias", "good", "inside"]
    assert "root:x" not in captured.err and "passwd.txt: symbolic link to a target outside the folder" in captured.err


def test_unresolved_citations_are_one_summary_line_per_page(tmp_path, counter):
    page = tmp_path / "w.md"
    page.write_text("# W\n\n" + "".join(f"Claim {i}.[[{i % 7 + 1}]](#ref{i % 7 + 1})\n\n" for i in range(260)))
    result, failures = preview([page], Settings(), counter)
    assert not failures
    notes = result["documents"][0]["notes"]
    assert notes == [
        "7 inline citation(s) have no entry in the reference list, kept as plain text: [1], [2], [3], [4], [5], [6], [7]"
    ]
    texts = [c["text"] for s in result["documents"][0]["sections"] for c in s["chunks"]]
    assert all("](" not in t for t in texts)


def test_a_link_named_on_the_command_line_is_not_followed_either(linked_folder, counter):
    """`monobot ingest corpus/*.txt` names each link as a path of its own."""
    named = [linked_folder / "etc.txt", linked_folder / "passwd.txt", linked_folder / "alias.md"]
    files, errors = find_files(named)
    assert files == [] and len(errors) == 3
    files, errors = find_files(named, follow_symlinks=True)
    assert files == [linked_folder / "alias.md"] and len(errors) == 2
    result, failures = preview(named, Settings(), counter, follow_symlinks=True)
    assert "root:x" not in json.dumps(result) + "\n".join(failures)
