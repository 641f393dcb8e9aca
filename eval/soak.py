"""A soak run anyone can repeat: start `monobot serve`, load both chat endpoints for a fixed time, watch memory.

Everything targets 127.0.0.1, every loop is bounded in time and count, and the server is stopped at the
end. Memory is judged flat when the median RSS of the last third of a run is within 10% (or 30 MB) of
the median of its middle third: the first third is warm-up (allocator pools, caches).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .loadgen import run_load


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def flat(samples: list[tuple[float, float]]) -> dict[str, Any]:
    values = [mb for _, mb in samples]
    if len(values) < 6:
        return {"flat": None, "reason": "too few samples"}
    third = len(values) // 3
    middle = statistics.median(values[third : 2 * third])
    last = statistics.median(values[2 * third :])
    growth = last - middle
    return {
        "flat": growth <= max(30.0, 0.10 * middle),
        "middle_mb": round(middle, 1),
        "last_mb": round(last, 1),
        "growth_mb": round(growth, 1),
    }


def soak(
    seconds: float = 60.0, clients: int = 16, store: Path | None = None, out: Path | None = None
) -> dict[str, Any]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "MONOBOT_RATE_LIMIT_PER_MINUTE": "100000000", "MONOBOT_LOG_LEVEL": "WARNING"}
    if store is not None:
        env["MONOBOT_STORE"] = str(store)
    monobot = str(Path(sys.executable).parent / "monobot")
    server = subprocess.Popen(
        [monobot, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        import httpx

        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise RuntimeError(f"server exited: {server.stderr.read()[-2000:]}")
            time.sleep(0.3)
        else:
            raise RuntimeError("server not ready within 120 s")
        runs = {}
        for stream in (False, True):
            result = asyncio.run(run_load(url, clients=clients, seconds=seconds, stream=stream, server_pid=server.pid))
            summary = result.summary()
            summary["memory"] = flat(result.rss_mb)
            runs["stream" if stream else "chat"] = summary
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
    report = {"date": time.strftime("%Y-%m-%d %H:%M"), "seconds": seconds, "clients": clients, "runs": runs}
    report["ok"] = all(r["errors"] == 0 and r["memory"].get("flat") is not False for r in runs.values())
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
        (out / "soak.json").write_text(json.dumps(report, indent=2))
    return report


def render(report: dict[str, Any]) -> str:
    lines = [
        f"soak: {report['clients']} clients × {report['seconds']:.0f} s per endpoint",
        "",
        "| endpoint | answers/s | p50 ms | p95 ms | p99 ms | errors | TTFB p50 ms | RSS start → end MB | memory flat |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in report["runs"].values():
        lat, mem = r["latency_ms"], r["memory"]
        lines.append(
            f"| {r['endpoint']} | {r['answers_per_s']} | {lat['p50']} | {lat['p95']} | {lat['p99']} | {r['errors']} | {r['ttfb_ms']['p50']} | "
            f"{r['rss_mb']['first']} → {r['rss_mb']['last']} | {mem.get('flat')} ({mem.get('growth_mb')} MB in the last third) |"
        )
    lines.append("")
    lines.append("verdict: " + ("passed (no errors, memory flat)" if report["ok"] else "FAILED"))
    return "\n".join(lines)
