"""Abuse limits: request size, message and history length, and per-client rate limiting.

Clients are identified by a salted hash of their address (never stored or logged raw). The rate limiter
is a sliding window in process memory: with several workers each enforces the limit on its own share of
requests, so the effective limit is per worker (a shared store such as Redis would make it global).
"""

from __future__ import annotations

import hashlib
import math
import os
import threading
import time
from collections import deque
from collections.abc import Callable

from fastapi import Request

from .errors import ApiError

MAX_BODY_BYTES = 64_000
_SALT = os.environ.get("MONOBOT_CLIENT_SALT") or os.urandom(16).hex()


def client_hash(request: Request) -> str:
    address = request.client.host if request.client else "unknown"
    return hashlib.sha256(f"{_SALT}:{address}".encode()).hexdigest()[:16]


class RateLimiter:
    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic, window: float = 60.0) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.window = window
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> None:
        """Record a request, or raise 429 with the seconds until the oldest request leaves the window."""
        now = self.clock()
        with self._lock:
            hits = self._hits.setdefault(key, deque())
            while hits and now - hits[0] >= self.window:
                hits.popleft()
            if len(hits) >= self.per_minute:
                retry = max(1, math.ceil(self.window - (now - hits[0])))
                raise ApiError(429, "rate_limited", f"Too many questions; try again in {retry} s.", {"Retry-After": str(retry)})
            hits.append(now)
            if len(self._hits) > 50_000:  # bounded memory under a flood of addresses
                for stale in [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window][:10_000]:
                    del self._hits[stale]
