"""A full disk during ingest, for real: the store lives on a small tmpfs that is filled before the second ingest.

What must hold (issue 16): one clear line and a failing exit status, no traceback; nothing published, the previous generation
still live; the half-written generation removed, so the next ingest after freeing space simply works.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bot.index import IndexStore

from ..conftest import CORPUS, REPO_ROOT, VENV_BIN

pytestmark = pytest.mark.slow  # mounts a filesystem and runs the CLI

EXTRA = REPO_ROOT / "eval" / "corpora" / "site-extra"


@pytest.fixture()
def small_disk(tmp_path: Path):
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int = 64 * 1024) -> Path:
    """Take all but `leave` bytes of the filesystem with one file."""
    stat = os.statvfs(disk)
    filler = disk / "filler"
    with filler.open("wb") as f:
        os.posix_fallocate(f.fileno(), 0, max(0, stat.f_bavail * stat.f_frsize - leave))
    return filler


def ingest(store: Path, *paths: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MONOBOT_STORE": str(store)}
    cmd = [str(VENV_BIN / "monobot"), "ingest", "--no-progress", *map(str, paths)]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def test_a_full_disk_is_one_line_nothing_published_and_the_next_ingest_works(small_disk, settings_for):
    settings = settings_for(small_disk / "store")  # the model files stay outside, linked in
    first = ingest(settings.store, CORPUS)
    assert first.returncode == 0, first.stderr
    filler = fill(small_disk)

    full = ingest(settings.store, CORPUS, EXTRA)
    assert full.returncode != 0
    assert "Traceback" not in full.stderr
    errors = [line for line in full.stderr.splitlines() if line.startswith("monobot: ingest failed")]
    assert len(errors) == 1, full.stderr
    assert "is full or read-only" in errors[0] and "still serves generation 1" in errors[0]
    assert "Free some space and run ingest again" in errors[0]

    live = IndexStore(settings).read_live()
    assert live is not None and live.generation == 1 and len(live.docs) == 7

    filler.unlink()
    again = ingest(settings.store, CORPUS, EXTRA)
    assert again.returncode == 0, again.stderr
    assert "generation 2" in again.stdout
    live = IndexStore(settings).read_live()
    assert live is not None and live.generation == 2 and len(live.docs) == 13
