"""HTTP mode: POST /slack/events inside the web app, with Slack's request signature checked first.

Checks run before Bolt sees a request, in the order that leaks least: a missing or non-numeric
X-Slack-Request-Timestamp, a stale one, or a bad signature is a 401 (and nothing of the body is read
into a log); a validly signed body that is not the JSON or form Slack sends is a 400. Bolt checks the
signature again itself. The Slack app is built on the first request from the web app's own Bot and
feedback store, so both surfaces share one chain and one log.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from slack_sdk.signature import SignatureVerifier

from ..settings import Settings

log = logging.getLogger("monobot.slack")
_lock = threading.Lock()


def _refusal(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


def _unsigned(verifier: SignatureVerifier, body: bytes, headers: Any) -> JSONResponse | None:
    """A 401 for a request Slack did not sign (or signed more than five minutes ago), else None."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    if not timestamp.isascii() or not timestamp.isdigit():
        return _refusal(401, "invalid_signature", "X-Slack-Request-Timestamp is missing or not a number")
    signature = headers.get("x-slack-signature", "")
    try:
        valid = verifier.is_valid(body.decode("utf-8"), timestamp, signature)
    except UnicodeDecodeError:  # never from Slack; signed anyway, it is a malformed body (400), else a 401
        expected = _raw_signature(verifier, timestamp, body)
        valid = bool(expected) and hmac.compare_digest(expected, signature)
    if not valid:
        return _refusal(401, "invalid_signature", "the request signature is invalid or too old")
    return None


def _raw_signature(verifier: SignatureVerifier, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature over raw bytes (SignatureVerifier only signs text), freshness checked too."""
    if abs(verifier.clock.now() - int(timestamp)) > 60 * 5:
        return ""
    digest = hmac.new(verifier.signing_secret.encode(), b"v0:" + timestamp.encode() + b":" + body, hashlib.sha256)
    return "v0=" + digest.hexdigest()


def _malformed(body: bytes, content_type: str) -> JSONResponse | None:
    """A 400 for a signed body that is not what Slack sends (a JSON object, or a form with a JSON payload)."""
    try:
        text = body.decode("utf-8")
        if content_type.startswith("application/json"):
            if not isinstance(json.loads(text), dict):
                raise ValueError("not an object")
        else:
            form = parse_qs(text, strict_parsing=bool(text), errors="strict")
            if "payload" in form and not isinstance(json.loads(form["payload"][0]), dict):
                raise ValueError("payload is not an object")
    except (ValueError, UnicodeDecodeError):
        return _refusal(400, "invalid_request", "the body is not a Slack event, command or action")
    return None


def build_router(settings: Settings, web_app: FastAPI, client: Any | None = None) -> APIRouter:
    router = APIRouter(include_in_schema=False)
    handler: dict[str, Any] = {}
    signing = settings.slack_signing_secret
    verifier = SignatureVerifier(signing.get_secret_value()) if signing is not None else None

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
        body = await request.body()
        if verifier is not None and (refused := _unsigned(verifier, body, request.headers)) is not None:
            log.info("slack request refused: %s", refused.status_code)
            return refused
        if (bad := _malformed(body, request.headers.get("content-type", ""))) is not None:
            log.info("slack request refused: malformed body")
            return bad
        return await get_handler().handle(request)

    # Tests reach the SlackBot (to swap its sleep) through these.
    router.slack = handler  # type: ignore[attr-defined]
    router.get_handler = get_handler  # type: ignore[attr-defined]
    return router
