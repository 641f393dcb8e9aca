"""Abuse limits: request size, message and history length, and per-client rate limits (questions and ratings apart).

Who the client is: the TCP peer, hashed with a salt (never stored or logged raw). X-Forwarded-For is
believed only from the proxies in MONOBOT_TRUSTED_PROXIES (app.create_app adds uvicorn's
ProxyHeadersMiddleware for them, which takes the nearest address no trusted proxy added); with none
configured, a rotating X-Forwarded-For changes nothing.

How requests are counted: the `limits` library's moving window. With MONOBOT_REDIS_URL every worker
and every host shares the counts in Redis, so N workers allow the budget once, not N times; without
it each worker counts in its own memory. If Redis stops answering, the worker falls back to its own
memory (logged) rather than refusing or waving everyone through.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import time

from fastapi import Request
from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from .errors import ApiError

log = logging.getLogger("monobot.web")
MAX_BODY_BYTES = 64_000
FEEDBACK_BUDGET_FACTOR = 4  # ratings per minute allowed per question allowed: rating every answer never hits it
FEEDBACK_BUDGET_MIN = 60
REDIS_TIMEOUT = 0.5  # seconds; a slow Redis must not hold up every question
WARN_EVERY = 60.0


class ClientHasher:
    """A reader's identity for limits, votes and the question log: a salted hash of the address, never the address.

    The salt must be the same in every worker (and host) for a client to be one client: `monobot serve`
    passes one to its workers (bot.web.server.worker_settings); several hosts need MONOBOT_CLIENT_SALT.
    """

    def __init__(self, salt: str | None = None) -> None:
        self._salt = salt or os.urandom(16).hex()

    def __call__(self, request: Request) -> str:
        address = request.client.host if request.client else "unknown"
        return hashlib.sha256(f"{self._salt}:{address}".encode()).hexdigest()[:16]


def feedback_budget(questions_per_minute: int) -> int:
    """Ratings per client per minute: a budget of their own, so thumbs never use up a reader's questions."""
    return max(FEEDBACK_BUDGET_MIN, FEEDBACK_BUDGET_FACTOR * questions_per_minute)


def storage_for(redis_url: str | None) -> Storage:
    """Redis (shared by workers and hosts) when configured, else this worker's memory."""
    if not redis_url:
        return MemoryStorage()
    url = redis_url if redis_url.startswith("async+") else f"async+{redis_url}"
    storage = storage_from_string(
        url, implementation="redispy", socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
    )
    assert isinstance(storage, Storage)  # an async+ URL always gives an asyncio storage
    return storage


class RateLimiter:
    def __init__(self, per_minute: int, storage: Storage | None = None, what: str = "questions") -> None:
        self.per_minute = per_minute
        self.what = what  # named in the 429 message, so a reader knows which budget ran out
        self.item = RateLimitItemPerMinute(per_minute, namespace=f"monobot-{what}")
        self.shared = MovingWindowRateLimiter(storage or MemoryStorage())
        self.local = MovingWindowRateLimiter(MemoryStorage())  # the fallback while a shared store is down
        self._warned = 0.0

    async def check(self, key: str) -> None:
        """Count a request, or raise 429 with the seconds until the window lets the client in again."""
        strategy = self.shared
        try:
            allowed = await strategy.hit(self.item, key)
        except Exception as exc:  # Redis unreachable or timing out
            self._warn(exc)
            strategy = self.local
            allowed = await strategy.hit(self.item, key)
        if allowed:
            return
        try:
            reset = (await strategy.get_window_stats(self.item, key)).reset_time
        except Exception:
            reset = time.time() + 60
        retry = min(60, max(1, math.ceil(reset - time.time())))
        raise ApiError(
            429, "rate_limited", f"Too many {self.what}; try again in {retry} s.", {"Retry-After": str(retry)}
        )

    def _warn(self, exc: Exception) -> None:
        now = time.monotonic()
        if now - self._warned >= WARN_EVERY:
            self._warned = now
            log.warning("rate-limit store unavailable (%s); counting in this worker only", type(exc).__name__)
