"""uvicorn as monobot runs it: header and body deadlines, a connection cap, no forwarded headers by default.

uvicorn closes idle keep-alive connections but has no deadline for a request in progress: a client
sending one header byte every few seconds (slowloris) holds its connection, and its file descriptor,
forever. `DeadlineProtocol` (uvicorn's httptools protocol) closes a connection whose headers are not
complete within MONOBOT_HEADER_TIMEOUT seconds of its first byte (or of the connection opening), or
whose body is not complete within MONOBOT_BODY_TIMEOUT seconds after its headers, with a 408 when no
response has started. Past MONOBOT_MAX_CONNECTIONS open connections, a new one gets a 503 and is closed
at once, so a flood cannot starve the worker of descriptors. The values travel on `ServerConfig`, which
uvicorn pickles into each worker process.

uvicorn's own X-Forwarded-For handling (on by default, trusting 127.0.0.1) is switched off: with a
proxy on the same host, any client could rotate its address past the rate limit. The app believes
forwarded headers only from MONOBOT_TRUSTED_PROXIES (bot.web.app).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from pydantic import SecretStr
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..slack.identity import slack_salt

log = logging.getLogger("monobot.web")


def _raw_response(status: str, code: str, message: str) -> bytes:
    body = f'{{"error": {{"code": "{code}", "message": "{message}", "request_id": ""}}}}'.encode()
    head = (
        f"HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return head.encode() + body


TIMEOUT_RESPONSE = _raw_response("408 Request Timeout", "request_timeout", "The request was not sent in time.")
BUSY_RESPONSE = _raw_response("503 Service Unavailable", "busy", "Too many connections; try again shortly.")


class ServerConfig(uvicorn.Config):
    """uvicorn's Config plus the deadlines and the connection cap read by DeadlineProtocol."""

    def __init__(
        self,
        *args: Any,
        header_timeout: float = 10.0,
        body_timeout: float = 30.0,
        max_connections: int = 500,
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("http", DeadlineProtocol)
        kwargs.setdefault("proxy_headers", False)
        super().__init__(*args, **kwargs)
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.max_connections = max_connections


class DeadlineProtocol(HttpToolsProtocol):
    """HttpToolsProtocol with a deadline on each request's headers and on its body, and a connection cap."""

    def __init__(self, config: uvicorn.Config, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self.header_timeout: float = getattr(config, "header_timeout", 10.0)
        self.body_timeout: float = getattr(config, "body_timeout", 30.0)
        self.max_connections: int = getattr(config, "max_connections", 0)
        self._deadline: asyncio.TimerHandle | None = None
        self._in_headers = True  # no response to the request being read can have started yet

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if self.max_connections and len(self.connections) > self.max_connections:
            log.warning("connection refused: %d open connections (the cap)", len(self.connections) - 1)
            transport.write(BUSY_RESPONSE)
            transport.close()
            return
        self._arm(self.header_timeout)  # the first request's headers

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True
        if self._deadline is None:  # a keep-alive connection's next request
            self._arm(self.header_timeout)

    def on_headers_complete(self) -> None:
        self._in_headers = False
        self._disarm()
        self._arm(self.body_timeout)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._in_headers or self.cycle is None or not self.cycle.response_started:
            self.transport.write(TIMEOUT_RESPONSE)
        self.transport.close()


def config(app: Any, settings: Any, **kwargs: Any) -> ServerConfig:
    """The server configuration `monobot serve` and the tests use: the deadlines and the cap from Settings."""
    return ServerConfig(
        app,
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        max_connections=settings.max_connections,
        **kwargs,
    )


def worker_settings(settings: Any) -> Any:
    """The Settings every worker gets: one onnxruntime thread per inference (many questions at once), and
    one client salt for all of them, so a client is one client in every worker (rate limits, votes).

    Without MONOBOT_CLIENT_SALT the salt is the Slack fallback (derived from the bot token, so Slack
    hashes stay stable across restarts), else random for this run.
    """
    update: dict[str, Any] = {}
    if settings.onnx_threads == 0:
        update["onnx_threads"] = 1
    if settings.client_salt is None:
        update["client_salt"] = SecretStr(slack_salt(settings))
    return settings.model_copy(update=update) if update else settings
