"""Slack Web API retries through slack_sdk's own retry handlers (slack_sdk.http_retry).

The SDK's handlers sleep with `time.sleep`; these subclasses take the sleep as a function so the app
(and its tests) decide how to wait, and they log each retry. `ratelimited` (HTTP 429) waits exactly
its Retry-After, capped at a minute; server errors (5xx) and dropped connections back off. Everything
else (invalid_auth, channel_not_found, ...) is final at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk.http_retry import RetryHandler, RetryState
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import BackoffRetryIntervalCalculator
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse

log = logging.getLogger("monobot.slack")
MAX_RETRIES = 2  # three attempts in all
MAX_WAIT = 60.0
Sleep = Callable[[float], None]


def _method(request: HttpRequest) -> str:
    return request.url.rsplit("/", 1)[-1]


def _retry_after(response: HttpResponse) -> float:
    for name, values in response.headers.items():
        if name.lower() == "retry-after" and values:
            try:
                return min(max(float(values[0]), 0.0), MAX_WAIT)
            except ValueError:
                break
    return 1.0


class RateLimited(RateLimitErrorRetryHandler):
    """HTTP 429 `ratelimited`: wait the Retry-After Slack asked for (capped at a minute), then retry."""

    def __init__(self, sleep: Sleep, max_retry_count: int = MAX_RETRIES) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.sleep = sleep

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        if response is None:  # pragma: no cover - _can_retry needs a response
            raise error  # type: ignore[misc]
        state.next_attempt_requested = True
        delay = _retry_after(response)
        log.warning("slack %s ratelimited, retrying in %.1f s", _method(request), delay)
        self.sleep(delay)
        state.increment_current_attempt()


class _BackingOff(RetryHandler):
    def __init__(self, sleep: Sleep, max_retry_count: int = MAX_RETRIES) -> None:
        super().__init__(max_retry_count, BackoffRetryIntervalCalculator(backoff_factor=0.5))
        self.sleep = sleep

    def prepare_for_next_attempt(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> None:
        state.next_attempt_requested = True
        delay = self.interval_calculator.calculate_sleep_duration(state.current_attempt)
        cause = response.status_code if response is not None else type(error).__name__
        log.warning("slack %s failed (%s), retrying in %.1f s", _method(request), cause, delay)
        self.sleep(delay)
        state.increment_current_attempt()


class ServerError(_BackingOff):
    """Any 5xx from Slack (the SDK's own handler retries only 500 and 503)."""

    def _can_retry(self, *, state: RetryState, request: HttpRequest, response: Any = None, error: Any = None) -> bool:
        return response is not None and response.status_code >= 500


class ConnectionFailed(_BackingOff, ConnectionErrorRetryHandler):
    """A connection reset or refused: the SDK's own test of the error, our sleep."""

    def __init__(self, sleep: Sleep, max_retry_count: int = MAX_RETRIES) -> None:
        ConnectionErrorRetryHandler.__init__(self, max_retry_count=max_retry_count)
        _BackingOff.__init__(self, sleep, max_retry_count)


def handlers(sleep: Sleep) -> list[RetryHandler]:
    return [RateLimited(sleep), ServerError(sleep), ConnectionFailed(sleep)]
