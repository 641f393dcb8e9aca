"""Abuse limits: request size, message and history length, and per-client rate limiting (questions and ratings apart).

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
FEEDBACK_BUDGET_FACTOR = 4  # ratings per minute allowed per question allowed: rating every answer never hits it
FEEDBACK_BUDGET_MIN = 60


class ClientHasher:
    """A reader's identity for limits and the question log: a salted hash of the address, never the address.

    Without a configured salt each process draws its own, so hashes are stable only within one worker.
    """

    def __init__(self, salt: str | None = None) -> None:
        self._salt = salt or os.urandom(16).hex()

    def __call__(self, request: Request) -> str:
        address = request.client.host if request.client else "unknown"
        return hashlib.sha256(f"{self._salt}:{address}".encode()).hexdigest()[:16]


def feedback_budget(questions_per_minute: int) -> int:
    """Ratings per client per minute: a budget of their own, so thumbs never use up a reader's questions."""
    return max(FEEDBACK_BUDGET_MIN, FEEDBACK_BUDGET_FACTOR * questions_per_minute)


class RateLimiter:
    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        window: float = 60.0,
        what: str = "questions",
    ) -> None:
        self.per_minute = per_minute
        self.what = what  # named in the 429 message, so a reader knows which budget ran out
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
                raise ApiError(
                    429, "rate_limited", f"Too many {self.what}; try again in {retry} s.", {"Retry-After": str(retry)}
                )
            hits.append(now)
            if len(self._hits) > 50_000:  # bounded memory under a flood of addresses
                for stale in [k for k, v in self._hits.items() if not v or now - v[-1] >= self.window][:10_000]:
                    del self._hits[stale]
