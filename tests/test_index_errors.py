"""Which ingest failures count as a full or read-only disk (bot/index/writer.py), without filling a disk."""

from __future__ import annotations

import errno

from bot.index.writer import storage_problem


def test_os_errors_for_a_full_or_read_only_disk_are_recognised_through_the_cause_chain():
    full = OSError(errno.ENOSPC, "No space left on device")
    try:
        try:
            raise full
        except OSError as exc:
            raise RuntimeError("batch failed") from exc
    except RuntimeError as wrapped:
        assert storage_problem(wrapped) == "No space left on device"
    assert storage_problem(OSError(errno.EROFS, "Read-only file system")) == "Read-only file system"


def test_chromas_sqlite_wording_is_recognised_and_other_errors_are_not():
    class InternalError(Exception):  # chromadb.errors.InternalError's shape: only a message
        pass

    chroma = InternalError("Query error: Database error: (code: 13) database or disk is full")
    assert storage_problem(chroma) == "database or disk is full"
    assert storage_problem(OSError(errno.EACCES, "Permission denied")) is None
    assert storage_problem(ValueError("embedding failed")) is None


def test_a_cause_chain_that_loops_back_ends():
    first, second = RuntimeError("a"), RuntimeError("b")
    first.__cause__, second.__cause__ = second, first
    assert storage_problem(first) is None
