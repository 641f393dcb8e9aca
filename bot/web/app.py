"""The FastAPI app factory: dependencies built once in the lifespan, one router per resource.

`create_app(settings, bot=..., feedback=...)` lets tests pass their own Bot and stores; production and
`uvicorn --factory` build them from settings.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import CapacityLimiter
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from starlette.middleware.base import BaseHTTPMiddleware

from .. import logs
from ..chain import Bot, build_bot
from ..feedback import FeedbackStore
from ..settings import Settings, get_settings
from . import assets, chat, errors, feedback_routes, health
from .deps import Services
from .limits import MAX_BODY_BYTES, RateLimiter

log = logging.getLogger("monobot.web")


class RequestContext(BaseHTTPMiddleware):
    """A request id on every request and response, and a body-size limit checked before any parsing."""

    async def dispatch(self, request: Request, call_next):  # type: ignore[no-untyped-def]
        incoming = request.headers.get("x-request-id", "")
        request.state.request_id = incoming if incoming.isalnum() and len(incoming) <= 64 else uuid.uuid4().hex
        logs.request_id.set(request.state.request_id)  # every log line of this request carries it
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > MAX_BODY_BYTES):
            return errors.error_response(request, 413, "request_too_large", f"request body over {MAX_BODY_BYTES} bytes")
        response = await call_next(request)
        response.headers.setdefault("X-Request-ID", request.state.request_id)
        return response


def create_app(settings: Settings | None = None, bot: Bot | None = None, feedback: FeedbackStore | None = None) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        the_bot = bot or build_bot(settings)
        app.state.services = Services(
            settings=settings,
            bot=the_bot,
            feedback=feedback or FeedbackStore(settings.database_url),
            limiter=RateLimiter(settings.rate_limit_per_minute),
            thread_limiter=CapacityLimiter(8),
        )
        try:
            the_bot.store.snapshot()  # load the index now, not on the first reader's question
        except Exception as exc:  # noqa: BLE001 - start anyway; /readyz reports it
            log.warning("index not loaded at start: %s", exc)
        yield

    app = FastAPI(
        title="monobot",
        version="0.1.0",
        description="Answers questions from health-evidence monographs with cited excerpts. Refuses dosing, self-injection and sourcing advice.",
        lifespan=lifespan,
    )
    errors.install(app)
    app.add_middleware(RequestContext)
    if settings.origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    for router in (chat.router, feedback_routes.router, health.router, assets.router):
        app.include_router(router)
    if settings.slack_signing_secret is not None:
        try:
            from ..slack.http import build_router
        except ImportError as exc:  # pragma: no cover - the Slack extra is part of the default install
            log.warning("Slack HTTP mode unavailable: %s", exc)
        else:
            app.state.slack_router = build_router(settings, app)
            app.include_router(app.state.slack_router)
    return app


def app_factory() -> FastAPI:
    """For `uvicorn --factory bot.web.app:app_factory` (several workers each build their own)."""
    return create_app()
