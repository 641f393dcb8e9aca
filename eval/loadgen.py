"""A bounded load generator for the chat API: N concurrent clients for a fixed time, on this machine only.

Used by `monobot load` for the speed benchmark and by the reliability tests for soak runs. Every run is
bounded in time and in request count, and it refuses targets that are not loopback addresses.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from bot.util import percentile as pct

QUESTIONS = [
    "Is Cerebrolysin safe?",
    "What did the CASTA trial find?",
    "Does Semax improve memory?",
    "Has BPC-157 been tested in humans?",
    "Is Selank approved by the FDA?",
    "What was the risk ratio for non-fatal serious adverse events with Cerebrolysin?",
    "Can Cerebrolysin cause an allergic reaction?",
    "How much Semax should I take?",
]


def check_loopback(url: str) -> None:
    host = urlparse(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"{url}: load runs target this machine only (127.0.0.0/8, ::1 or localhost)")


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process in MB, from /proc (Linux)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


@dataclass
class LoadResult:
    endpoint: str
    clients: int
    seconds: float
    ok: int = 0
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)
    latencies_ms: list[float] = field(default_factory=list)
    ttfb_ms: list[float] = field(default_factory=list)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)

    def summary(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "clients": self.clients,
            "seconds": round(self.seconds, 2),
            "requests": self.ok + self.errors,
            "answers": self.ok,
            "errors": self.errors,
            "error_kinds": self.error_kinds,
            "answers_per_s": round(self.ok / self.seconds, 2) if self.seconds else 0.0,
            "latency_ms": {
                k: round(v, 2) if v is not None else None
                for k, v in (
                    ("p50", pct(self.latencies_ms, 0.5)),
                    ("p95", pct(self.latencies_ms, 0.95)),
                    ("p99", pct(self.latencies_ms, 0.99)),
                    ("max", max(self.latencies_ms, default=None)),
                )
            },
            "ttfb_ms": {
                "p50": round(pct(self.ttfb_ms, 0.5), 2) if self.ttfb_ms else None,
                "p95": round(pct(self.ttfb_ms, 0.95), 2) if self.ttfb_ms else None,
            },
            "rss_mb": {
                "first": self.rss_mb[0][1] if self.rss_mb else None,
                "last": self.rss_mb[-1][1] if self.rss_mb else None,
                "max": max((m for _, m in self.rss_mb), default=None),
                "samples": self.rss_mb,
            },
        }


async def _client(
    client: Any,
    url: str,
    stream: bool,
    questions: list[str],
    deadline: float,
    budget: list[int],
    result: LoadResult,
    offset: int,
) -> None:
    i = offset
    while time.monotonic() < deadline and budget[0] > 0:
        budget[0] -= 1
        body = {"message": questions[i % len(questions)], "history": []}
        i += 1
        started = time.perf_counter()
        try:
            if stream:
                first = None
                async with client.stream("POST", url, json=body) as response:
                    async for chunk in response.aiter_bytes():
                        if first is None:
                            first = time.perf_counter()
                        if b"event: error" in chunk:
                            raise RuntimeError("stream error event")
                    if response.status_code != 200:
                        raise RuntimeError(f"HTTP {response.status_code}")
                if first is not None:
                    result.ttfb_ms.append((first - started) * 1000)
            else:
                response = await client.post(url, json=body)
                if response.status_code != 200:
                    raise RuntimeError(f"HTTP {response.status_code}")
                response.json()
            result.latencies_ms.append((time.perf_counter() - started) * 1000)
            result.ok += 1
        except Exception as exc:
            result.errors += 1
            kind = str(exc) if str(exc).startswith(("HTTP", "stream")) else type(exc).__name__
            result.error_kinds[kind] = result.error_kinds.get(kind, 0) + 1


async def run_load(
    base_url: str,
    clients: int = 16,
    seconds: float = 20.0,
    stream: bool = False,
    max_requests: int = 100_000,
    questions: list[str] | None = None,
    server_pid: int | None = None,
    sample_every: float = 1.0,
) -> LoadResult:
    import httpx

    check_loopback(base_url)
    endpoint = "/api/chat/stream" if stream else "/api/chat"
    result = LoadResult(endpoint=endpoint, clients=clients, seconds=seconds)
    budget = [max_requests]
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, limits=limits) as client:
        start = time.monotonic()
        deadline = start + seconds

        async def sampler() -> None:
            while time.monotonic() < deadline and server_pid:
                mb = rss_mb(server_pid)
                if mb is not None:
                    result.rss_mb.append((round(time.monotonic() - start, 2), round(mb, 1)))
                await asyncio.sleep(sample_every)

        tasks = [
            _client(client, endpoint, stream, questions or QUESTIONS, deadline, budget, result, k)
            for k in range(clients)
        ]
        await asyncio.gather(sampler(), *tasks)
        result.seconds = time.monotonic() - start
    return result


def render(summary: dict[str, Any]) -> str:
    lat, ttfb = summary["latency_ms"], summary["ttfb_ms"]
    rows = [
        "| endpoint | clients | seconds | answers/s | p50 ms | p95 ms | p99 ms | errors | TTFB p50 ms |",
        "|---|---|---|---|---|---|---|---|---|",
        f"| {summary['endpoint']} | {summary['clients']} | {summary['seconds']} | {summary['answers_per_s']} | {lat['p50']} | {lat['p95']} | {lat['p99']} | {summary['errors']} | {ttfb['p50']} |",
    ]
    if summary["rss_mb"]["first"] is not None:
        rows.append(
            f"\nserver RSS: {summary['rss_mb']['first']} MB at start, {summary['rss_mb']['last']} MB at end, max {summary['rss_mb']['max']} MB"
        )
    return "\n".join(rows)


def to_json(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2)


__all__ = ["LoadResult", "check_loopback", "render", "rss_mb", "run_load", "statistics"]
