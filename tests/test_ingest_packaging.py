"""A non-editable install carries every package and the data files the code reads from beside itself."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile

import pytest

from bot.settings import REPO_ROOT

pytestmark = pytest.mark.slow  # builds a wheel

PACKAGES = ("bot", "ingest", "eval", "prompts")


def test_wheel_holds_every_module_and_data_file(tmp_path):
    # Built from a copy, so that setuptools' build/ and egg-info folders never land in the work tree.
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO_ROOT / name, src / name)
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(src),
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(tmp_path / "dist"),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    (wheel,) = (tmp_path / "dist").glob("monobot-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        p.relative_to(src).as_posix() for package in PACKAGES for p in (src / package).rglob("*") if p.is_file()
    }
    assert expected - names == set()
    for needed in (
        "bot/guard/__init__.py",
        "bot/web/app.py",
        "bot/web/static/widget.js",
        "bot/slack/app.py",
        "eval/bench/run.py",
        "bot/index/store.py",
        "prompts/guardrail/policy.yaml",
        "eval/guardrail/prompts.jsonl",
        "eval/thresholds.json",
    ):
        assert needed in names
    assert not any(n.startswith("tests/") for n in names)
    # The developer tools join the command line through entry points, declared in the wheel's metadata.
    (entry_points,) = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
    declared = zipfile.ZipFile(wheel).read(entry_points).decode()
    assert "[monobot.commands]" in declared and "eval.cli.bench:register" in declared
