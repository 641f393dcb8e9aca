"""The FastAPI app factory: dependencies built once in the lifespan, one router per resource.

`create_app(settings, bot=..., feedback=...)` lets tests pass their own Bot and stores; production and
`uvicorn --factory` build them from settings.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from anyio import CapacityLimiter
from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from .. import logs
from ..chain import Bot
from ..factory import build_bot
from ..feedback import FeedbackStore
from ..settings import Settings, get_settings
from . import assets, chat, docs_ui, errors, feedback_routes, health
from .cors import JsonCORSMiddleware
from .deps import Services
from .limits import MAX_BODY_BYTES, ClientHasher, RateLimiter, feedback_budget, storage_for
from .middleware import BodyGuard, RequestContext

log = logging.getLogger("monobot.web")


def create_app(
    settings: Settings | None = None, bot: Bot | None = None, feedback: FeedbackStore | None = None
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        the_bot = bot or build_bot(settings)
        counts = storage_for(settings.redis_url)  # Redis shared by workers and hosts, or this worker's memory
        app.state.services = Services(
            settings=settings,
            bot=the_bot,
            feedback=feedback or FeedbackStore(settings.database_url),
            limiter=RateLimiter(settings.rate_limit_per_minute, counts),
            feedback_limiter=RateLimiter(feedback_budget(settings.rate_limit_per_minute), counts, what="ratings"),
            thread_limiter=CapacityLimiter(8),
            client_hash=ClientHasher(settings.client_salt.get_secret_value() if settings.client_salt else None),
        )
        try:
            the_bot.store.snapshot()  # load the index now, not on the first reader's question
        except Exception as exc:
            log.warning("index not loaded at start: %s", exc)
        yield

    docs_assets = docs_ui.asset_dir()
    app = FastAPI(
        title="monobot",
        version="0.1.0",
        description="Answers questions from health-evidence monographs with cited excerpts. Refuses dosing, self-injection and sourcing advice.",
        lifespan=lifespan,
        docs_url=None if docs_assets else "/docs",
        redoc_url=None if docs_assets else "/redoc",
    )
    if docs_assets:
        docs_ui.install(app, docs_assets)
    errors.install(app)
    # add_middleware wraps what is already there: the last added runs first (see middleware.py for why this order).
    app.add_middleware(BodyGuard, max_body_bytes=MAX_BODY_BYTES)
    if settings.origins:
        app.add_middleware(
            JsonCORSMiddleware,
            allow_origins=settings.origins,
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Content-Type", "X-Request-ID"],
            expose_headers=["X-Request-ID", "Retry-After"],
            max_age=600,
        )
    app.add_middleware(RequestContext)
    if settings.proxies:
        # X-Forwarded-For believed only from these addresses; outermost, so every layer sees the real client.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.proxies)
    for router in (chat.router, feedback_routes.router, health.router, assets.router):
        app.include_router(router)
    if settings.demo_page:
        app.include_router(assets.demo_router)
    app.include_router(assets.home_router(settings.demo_page))
    if settings.slack_signing_secret is not None:
        try:
            from ..slack.http import build_router
        except ImportError as exc:  # pragma: no cover - the Slack extra is part of the default install
            log.warning("Slack HTTP mode unavailable: %s", exc)
        else:
            app.state.slack_router = build_router(settings, app)
            app.include_router(app.state.slack_router)
    return app


def app_factory(settings: Settings | None = None) -> FastAPI:
    """The app of one worker process: `monobot serve` passes its Settings (a picklable partial), and
    `uvicorn --factory bot.web.app:app_factory` reads them from the environment.

    Each worker process configures monobot's JSON-lines logging here: with `--workers N` uvicorn spawns
    fresh interpreters that never run the parent's `logs.configure`, and their lines would otherwise be
    lost (or printed unmasked by Python's last-resort handler). Not in create_app, so tests keep their
    own capturing handlers.
    """
    settings = settings or get_settings()
    logs.configure(settings.log_level, logs.secrets_of(settings), settings.debug)
    return create_app(settings)
