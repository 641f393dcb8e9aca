"""HTTP mode: POST /slack/events inside the web app, with Slack's request signature checked by Bolt.

Bolt answers 401 to a bad signature or a timestamp older than five minutes. The Slack app is built on the
first request from the web app's own Bot and feedback store, so both surfaces share one chain and one log.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from ..settings import Settings

_lock = threading.Lock()


def build_router(settings: Settings, web_app: FastAPI, client: Any | None = None) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    handler: dict[str, Any] = {}

    def get_handler() -> Any:
        with _lock:
            if "h" not in handler:
                from slack_bolt.adapter.fastapi import SlackRequestHandler

                from .app import SlackBot

                services = web_app.state.services
                slack = SlackBot(settings, services.bot, services.feedback, client=client)
                handler["bot"] = slack
                handler["h"] = SlackRequestHandler(slack.build_app())
            return handler["h"]

    @router.post("/slack/events")
    async def slack_events(request: Request) -> Response:
        return await get_handler().handle(request)

    # Tests reach the SlackBot (to swap its sleep) through these.
    router.slack = handler  # type: ignore[attr-defined]
    router.get_handler = get_handler  # type: ignore[attr-defined]
    return router
