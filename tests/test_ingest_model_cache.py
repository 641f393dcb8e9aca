"""The ONNX export cache: one export per cache folder however many processes start at once; a corrupt file is rebuilt."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.embedding import load_embedder, onnx_path_for, resolve_model_path
from bot.settings import REPO_ROOT

pytestmark = pytest.mark.slow  # exports the model in subprocesses

MODEL = "all-MiniLM-L6-v2"

# Loads the embedder into the cache folder argv[1], logging each export and quantisation to argv[2].
WORKER = """
import sys
from pathlib import Path
import bot.embedding as be

log = Path(sys.argv[2])
real_export, real_quantize = be.export_onnx, be.quantize_int8

def export(*args):
    with log.open("a") as f:
        f.write("export\\n")
    return real_export(*args)

def quantize(*args):
    with log.open("a") as f:
        f.write("quantize\\n")
    return real_quantize(*args)

be.export_onnx, be.quantize_int8 = export, quantize
embedder = be.load_embedder("all-MiniLM-L6-v2", "auto", Path(sys.argv[1]))
print(embedder.backend, embedder.model_id)
"""


def cache_files(cache: Path) -> tuple[Path, Path]:
    fp32 = onnx_path_for(resolve_model_path(MODEL), cache)
    return fp32, fp32.with_name(fp32.stem + "-int8.onnx")


def test_two_processes_exporting_into_one_empty_cache_export_once(tmp_path):
    cache, log = tmp_path / "models", tmp_path / "calls.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "MONOBOT_ONNX_THREADS": "1"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, str(cache), str(log)],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=900) for p in procs]
    for proc, (out, err) in zip(procs, outputs):
        assert proc.returncode == 0, err
        assert out.split()[0] == "onnx-int8", (out, err)
        assert "unavailable" not in err and "does not load" not in err, err
    assert outputs[0][0] == outputs[1][0], "both processes must load the same model"
    assert sorted(log.read_text().split()) == ["export", "quantize"], (
        "the second process must reuse the first one's export"
    )
    fp32, int8 = cache_files(cache)
    assert sorted(p.name for p in cache.iterdir() if not p.name.startswith(".")) == sorted([fp32.name, int8.name])
    assert not [p for p in cache.iterdir() if p.name.endswith(".tmp")]


def test_a_corrupt_cached_int8_model_is_rebuilt_not_replaced_by_another_backend(
    tmp_path, embedder, model_cache, caplog
):
    cache = tmp_path / "models"
    cache.mkdir()
    fp32, int8 = cache_files(cache)
    shutil.copyfile(model_cache / fp32.name, fp32)  # the session's float32 export: only quantisation is redone
    int8.write_bytes(b"not an onnx model")
    rebuilt = load_embedder(MODEL, "auto", cache)
    assert rebuilt.backend == "onnx-int8" and rebuilt.model_id == embedder.model_id
    assert int8.stat().st_size > 1_000_000
    assert "does not load" in caplog.text
    probe = ["Cerebrolysin is a peptide mixture."]
    assert float(rebuilt.embed(probe)[0] @ embedder.embed(probe)[0]) > 0.999
