"""Slack resends events it thinks were lost (X-Slack-Retry-Num) and can deliver one message as two events
(app_mention and message): a bounded TTL memory of what was already answered makes each answer happen once."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class Seen:
    def __init__(self, ttl: float = 3600.0, size: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._items: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def first(self, key: str) -> bool:
        """True the first time a key is offered within the TTL (atomic: two threads cannot both win)."""
        now = self.clock()
        with self._lock:
            while self._items:
                oldest, at = next(iter(self._items.items()))
                if now - at < self.ttl and len(self._items) < self.size:
                    break
                self._items.popitem(last=False)
            if key in self._items:
                return False
            self._items[key] = now
            return True
