"""Pure ASGI middleware: the request id, the declared-size check and the last-resort 500.

Pure ASGI rather than BaseHTTPMiddleware because these wrap `receive` and `send` directly: nothing is
buffered, streaming responses pass straight through, and the request id context variable set here is
the one the route (and the chain's threads) see.

Order, outermost first (see app.create_app): RequestContext -> CORS -> BodyGuard -> FastAPI's exception
handlers -> routes. BodyGuard sits inside CORS so that its 413 and 500 answers still carry the CORS headers
an allowed site needs to read them; RequestContext sits outside CORS so that a refused preflight has a
request id too.

The body limit counts the bytes actually received, so a chunked body (no Content-Length) cannot slip
past it. FastAPI's own `max_body_size` does count chunks, but it replaces any response to a request
whose declared Content-Length is too large with a plain-text 413, which would break the one JSON error
shape; hence this small counter.
"""

from __future__ import annotations

import logging
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import logs
from . import errors

log = logging.getLogger("monobot.web")


def _request_id(scope: Scope) -> str:
    incoming = Headers(scope=scope).get("x-request-id", "")
    return incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex


class BodyTooLarge(HTTPException):
    """Raised from `receive` once the body passes the limit.

    An HTTPException, because FastAPI re-raises those from body parsing (anything else becomes a 400
    "error parsing the body"); errors.install turns it into 413 request_too_large.
    """

    def __init__(self, limit: int) -> None:
        super().__init__(status_code=413, detail=f"request body over {limit} bytes")


class RequestContext:
    """A request id on every request, every log line of it (context variable) and every response."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        logs.request_id.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "x-request-id" not in headers:
                    headers["X-Request-ID"] = rid
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyGuard:
    """The body-size limit (declared and received), and the JSON 500 for an unhandled crash.

    A body declared too large is refused before anything reads it; a body that turns out too large
    (chunked, or longer than declared) is refused as soon as the byte that crosses the limit arrives,
    so a 20 MB chunked upload is never read to the end.

    FastAPI hands `Exception` handlers to Starlette's outermost ServerErrorMiddleware, outside CORS, so
    its 500 reaches a browser without Access-Control-Allow-Origin and the site sees an opaque network
    error. Catching here, inside CORS, keeps the one error shape readable cross-origin.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body_bytes):
            response = errors.error_response(
                Request(scope),
                413,
                "request_too_large",
                f"request body over {self.max_body_bytes} bytes",
                errors.TOO_LARGE_HEADERS,
            )
            await response(scope, receive, send)
            return
        started = False
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    raise BodyTooLarge(self.max_body_bytes)
            return message

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, watch)
        except BodyTooLarge as exc:  # read outside a route (routes answer it through errors.install)
            if started:
                raise
            await errors.error_response(
                Request(scope), 413, "request_too_large", str(exc.detail), errors.TOO_LARGE_HEADERS
            )(scope, receive, send)
        except Exception:
            if started:  # too late for an error response; the server closes the connection
                raise
            request = Request(scope)
            log.exception("unhandled error", extra={"request_id": errors.request_id(request)})
            response = errors.error_response(
                request, 500, "internal_error", "Something went wrong on our side. Please try again."
            )
            await response(scope, receive, send)
