"""One JSON error shape for every failure, and no stack traces to clients.

{"error": {"code": "...", "message": "...", "request_id": "..."}} — the request id is also in the
X-Request-ID header and in the server's logs, so a reader's report can be matched to a log line.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..contract import ErrorResponse
from ..index import IndexUnavailable

log = logging.getLogger("monobot.web")
# After a 413 the rest of the body is unread: closing the connection stops the server from reading
# (and discarding) whatever the client still sends.
TOO_LARGE_HEADERS = {"Connection": "close"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.headers = status, code, message, headers or {}


_MEANING = {
    400: "The request is malformed (for example, not JSON).",
    404: "No such resource (for feedback: no logged answer with this id).",
    413: "The body, the message or the history is longer than the limit.",
    422: "A field is missing or invalid; `message` names it.",
    429: "Too many requests from this client; Retry-After says when to try again.",
    503: "The index (or the feedback store) is not reachable right now; Retry-After says when to try again.",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the errors a route can return, all with the one error shape."""
    return {status: {"model": ErrorResponse, "description": _MEANING[status]} for status in statuses}


def request_id(request: Request) -> str:
    return getattr(request.state, "request_id", "") or uuid.uuid4().hex


def error_response(
    request: Request, status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    rid = request_id(request)
    return JSONResponse(
        {"error": {"code": code, "message": message, "request_id": rid}},
        status_code=status,
        headers={"X-Request-ID": rid, **(headers or {})},
    )


def _describe(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors()[:5]:
        where = ".".join(str(p) for p in err.get("loc", []) if p != "body") or "body"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(request, 422, "invalid_request", _describe(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        # 413 comes from middleware.BodyTooLarge: the bytes received (chunked or not) passed the limit.
        code = {400: "invalid_request", 404: "not_found", 405: "method_not_allowed", 413: "request_too_large"}.get(
            exc.status_code, "http_error"
        )
        return error_response(
            request, exc.status_code, code, str(exc.detail), TOO_LARGE_HEADERS if exc.status_code == 413 else None
        )

    @app.exception_handler(IndexUnavailable)
    async def _unavailable(request: Request, exc: IndexUnavailable) -> JSONResponse:
        log.warning("index unavailable", extra={"request_id": request_id(request), "error": str(exc)})
        return error_response(
            request,
            503,
            "unavailable",
            "The monograph index is not reachable right now. Please try again shortly.",
            {"Retry-After": "5"},
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> JSONResponse:
        # Last resort only: middleware.Guard answers route crashes itself, inside CORS.
        log.exception("unhandled error", extra={"request_id": request_id(request)})
        return error_response(request, 500, "internal_error", "Something went wrong on our side. Please try again.")
