"""POST /api/chat and /api/chat/stream: the `ask --json` answer object, whole or as Server-Sent Events."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from concurrent.futures import Future
from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import AfterValidator, BaseModel, Field

from ..contract import Answer
from ..feedback import DatabaseUnavailable
from ..index import IndexUnavailable
from .deps import Services, services
from .errors import ApiError, error_responses, request_id

log = logging.getLogger("monobot.web")
router = APIRouter(prefix="/api", tags=["chat"])
# One Server-Sent Event: its name, and JSON data (`done` carries the answer object, `error` the error detail).
_SSE_EVENT = {
    "type": "object",
    "properties": {
        "event": {"type": "string", "enum": ["status", "guardrail", "delta", "citations", "done", "error"]},
        "data": {"type": "string", "description": "JSON"},
    },
    "required": ["event", "data"],
}


def encodable(value: str) -> str:
    """Refuse text that is not valid Unicode (a lone surrogate such as "\\ud800" in the JSON).

    JSON allows escaping half a surrogate pair; Python then holds a string no encoder accepts, and the
    question log, the logs or the response would fail with a 500 far from the cause.
    """
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("contains a lone surrogate (not valid Unicode)") from None
    return value


Text = Annotated[str, AfterValidator(encodable)]


class HistoryTurn(BaseModel):
    role: Literal["user", "assistant"]
    content: Text = Field(max_length=20_000)


class ChatRequest(BaseModel):
    message: Text = Field(description="The reader's question.")
    history: list[HistoryTurn] = Field(
        default_factory=list, description="Earlier turns of this conversation, oldest first."
    )


async def _validate(body: ChatRequest, request: Request, svc: Services) -> list[dict]:
    settings = svc.settings
    await svc.limiter.check(svc.client_hash(request))
    message = body.message.strip()
    if not message:
        raise ApiError(422, "invalid_request", "message: the question is empty")
    if len(message) > settings.max_message_chars:
        raise ApiError(
            413, "message_too_long", f"message: {len(message)} characters; the limit is {settings.max_message_chars}"
        )
    if len(body.history) > settings.max_history_turns:
        raise ApiError(
            413, "history_too_long", f"history: {len(body.history)} turns; the limit is {settings.max_history_turns}"
        )
    return [t.model_dump() for t in body.history]


async def _ask(svc: Services, message: str, history: list[dict], request: Request) -> Answer:
    """The chain is synchronous CPU work of a few milliseconds: run it off the event loop."""
    answer = await anyio.to_thread.run_sync(svc.bot.ask, message, history, limiter=svc.thread_limiter)
    await _logged(svc, svc.feedback.log_answer(answer, "web", svc.client_hash(request)))
    log.info(
        "answered",
        extra={
            "request_id": request_id(request),
            "status": answer.status,
            "answer_id": answer.id,
            "total_ms": round(answer.timings_ms.get("total", 0), 2),
        },
    )
    return answer


async def _logged(svc: Services, written: Future[None]) -> None:
    """Wait for the question-log row to be committed: an answer whose log row was lost is a 503, not a 200
    (unless MONOBOT_QUESTION_LOG_REQUIRED is off). Batched by the log's writer thread, so this costs one
    shared commit, not one per reader."""
    if not svc.settings.question_log_required:
        return
    try:
        with anyio.fail_after(svc.feedback.write_timeout):
            await asyncio.wrap_future(written)
    except (DatabaseUnavailable, TimeoutError):
        raise ApiError(
            503,
            "log_unavailable",
            "The question log can't be written right now, so no answer is given. Please try again shortly.",
            {"Retry-After": "5"},
        ) from None


async def _require_log(svc: Services) -> None:
    """Before a stream commits to 200: the last log write failed and the database still refuses one."""
    if svc.settings.question_log_required and svc.feedback.failure is not None:
        reason = await anyio.to_thread.run_sync(svc.feedback.check)
        if reason is not None:
            raise ApiError(
                503,
                "log_unavailable",
                "The question log can't be written right now, so no answer is given. Please try again shortly.",
                {"Retry-After": "5"},
            )


@router.post(
    "/chat",
    response_model=Answer,
    summary="Ask a question; returns the answer object of `monobot ask --json`",
    responses=error_responses(413, 422, 429, 503),
)
async def chat(body: ChatRequest, request: Request, svc: Annotated[Services, Depends(services)]) -> Answer:
    history = await _validate(body, request, svc)
    return await _ask(svc, body.message.strip(), history, request)


def _event(name: str, data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


def _pieces(text: str, size: int = 24) -> list[str]:
    """The answer in word-aligned pieces: the widget shows it growing, as readers expect of a chat."""
    pieces, current = [], ""
    for word in text.split(" "):
        current = f"{current} {word}" if current else word
        if len(current) >= size:
            pieces.append(current + " ")
            current = ""
    if current:
        pieces.append(current)
    return pieces


async def _require_index(svc: Services) -> None:
    """Raise IndexUnavailable (a 503 JSON error) unless the index can be opened within 2 s.

    Checked before the stream starts: once the 200 and the first event are sent, a failure can only be
    an `error` event, which clients and proxies treat as a success. The snapshot is cached, so this
    costs a file stat (or, against a Chroma server, one pointer read per second) when all is well.
    """
    try:
        with anyio.fail_after(2):
            await anyio.to_thread.run_sync(svc.bot.store.snapshot, abandon_on_cancel=True)
    except TimeoutError:
        raise IndexUnavailable("the store did not answer within 2 s") from None


@router.post(
    "/chat/stream",
    summary="Ask a question; Server-Sent Events: status, delta, guardrail, citations, done (or error)",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "Server-Sent Events: status, guardrail, delta (repeated), citations, done (the answer object), or error",
            "content": {"text/event-stream": {"schema": _SSE_EVENT}},
        },
        **error_responses(413, 422, 429, 503),
    },
)
async def chat_stream(
    body: ChatRequest, request: Request, svc: Annotated[Services, Depends(services)]
) -> StreamingResponse:
    history = await _validate(body, request, svc)
    rid = request_id(request)
    await _require_index(svc)
    await _require_log(svc)

    async def events() -> AsyncIterator[bytes]:
        yield _event("status", {"stage": "searching", "request_id": rid})
        try:
            answer = await _ask(svc, body.message.strip(), history, request)
        except ApiError as exc:  # the question log failed after the stream began
            yield _event("error", {"code": exc.code, "message": exc.message, "request_id": rid})
            return
        except IndexUnavailable:  # the store went away after the check above: the stream has begun
            yield _event(
                "error",
                {
                    "code": "unavailable",
                    "message": "The monograph index is not reachable right now. Please try again shortly.",
                    "request_id": rid,
                },
            )
            return
        except Exception:
            log.exception("stream failed", extra={"request_id": rid})
            yield _event(
                "error",
                {
                    "code": "internal_error",
                    "message": "Something went wrong on our side. Please try again.",
                    "request_id": rid,
                },
            )
            return
        data = answer.to_dict()
        yield _event("guardrail", data["guardrail"])
        for piece in _pieces(answer.answer):
            yield _event("delta", {"text": piece})
        yield _event("citations", data["citations"])
        yield _event("done", data)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no", "X-Request-ID": rid},
    )
