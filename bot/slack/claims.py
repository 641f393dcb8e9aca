"""One answer per Slack message across processes: a message is claimed in the shared database.

With `monobot serve --workers N` (or several Socket Mode connections) a Slack retry or the second event
for one message (app_mention and message) can land in another process, whose memory has never seen it.
The claim is a row keyed by the message (channel and ts) in the question-log database (MONOBOT_DB_URL,
SQLite in the store by default, so every worker on the host shares it); the primary key makes exactly
one insert win. The per-process memory is checked first (no database round trip for the common
in-process duplicate) and is the fallback when the database is down: then each process deduplicates on
its own, which is the old behaviour, rather than the bot going silent.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Column, Float, MetaData, String, Table, delete, insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from .dedupe import Seen

log = logging.getLogger("monobot.slack")

metadata = MetaData()

slack_claims = Table(
    "slack_claims",
    metadata,
    Column("key", String(128), primary_key=True),  # "channel:ts" of the message being answered
    Column("created", Float, nullable=False, index=True),
)


class Claims:
    """`first(key)` is True for exactly one caller per key, across every process sharing the database."""

    def __init__(
        self,
        engine: Engine | None,
        ttl: float = 3600.0,
        memory: Seen | None = None,
        clock: Callable[[], float] = time.time,
        prune_every: float = 600.0,
    ) -> None:
        self.engine = engine
        self.ttl = ttl
        self.memory = memory or Seen(ttl=ttl)
        self.clock = clock
        self.prune_every = prune_every
        self._ready = False
        self._last_prune = 0.0
        self._lock = threading.Lock()

    def first(self, key: str) -> bool:
        if not self.memory.first(key):
            return False
        if self.engine is None:
            return True
        now = self.clock()
        try:
            self._ensure()
            with self.engine.begin() as conn:
                conn.execute(insert(slack_claims).values(key=key, created=now))
        except IntegrityError:
            return False  # another process (or an earlier run of this one) claimed it
        except SQLAlchemyError:
            log.warning("slack claims database unavailable; deduplicating in this process only", exc_info=True)
            return True
        self._prune(now)
        return True

    def _ensure(self) -> None:
        if not self._ready:
            with self._lock:
                if not self._ready:
                    assert self.engine is not None
                    try:
                        metadata.create_all(self.engine)
                    except SQLAlchemyError:
                        # Two workers starting at once can both see no table and race to create it;
                        # the loser's second look finds the winner's table.
                        metadata.create_all(self.engine)
                    self._ready = True

    def _prune(self, now: float) -> None:
        """Drop claims older than the TTL now and then; Slack stops retrying long before an hour."""
        if now - self._last_prune < self.prune_every:
            return
        self._last_prune = now
        try:
            assert self.engine is not None
            with self.engine.begin() as conn:
                conn.execute(delete(slack_claims).where(slack_claims.c.created < now - self.ttl))
        except SQLAlchemyError:
            log.warning("could not prune old slack claims", exc_info=True)
