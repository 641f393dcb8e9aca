"""Small helpers every layer shares: writing files so a reader never sees half of one, and percentiles."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path


def temp_sibling(path: Path) -> Path:
    """A hidden name beside `path`, unique to this process: renaming it over `path` is atomic (same folder)."""
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yields a temporary path to fill (file or folder); on success it replaces `target` in one rename.

    On any failure the temporary is removed and `target` is left as it was, so a crash mid-write never
    leaves a half-written index file, model export or manifest where a reader would find it.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(target)
    _remove(tmp)
    try:
        yield tmp
        move_into_place(tmp, target)
    except BaseException:
        _remove(tmp)
        raise


def move_into_place(tmp: Path, target: Path) -> None:
    """Rename a finished temporary file or folder over `target` (a folder cannot replace a non-empty one,
    so an old folder is removed first: readers hold memory maps of the files, which outlive the unlink)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if tmp.is_dir() and target.is_dir():
        shutil.rmtree(target, ignore_errors=True)
    os.replace(tmp, target)


def atomic_write_text(path: Path, text: str, fsync: bool = True) -> None:
    """Write a whole text file atomically; `fsync` makes it durable before the rename (pointer files)."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def percentile(values: Sequence[float], q: float) -> float | None:
    """The nearest-rank percentile (q in 0..1) of a sample, or None when it is empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]
