"""POST /api/feedback: thumbs up or down on an answer, stored with the question log."""

from __future__ import annotations

from typing import Annotated, Literal

import anyio
from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from ..contract import FeedbackAck
from ..feedback import FeedbackUnavailable, UnknownAnswer
from .chat import Text
from .deps import Services, services
from .errors import ApiError, error_responses

router = APIRouter(prefix="/api", tags=["feedback"])


class FeedbackRequest(BaseModel):
    answer_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    rating: Literal["up", "down"]
    comment: Text | None = Field(default=None, max_length=2000)


@router.post(
    "/feedback",
    response_model=FeedbackAck,
    summary="Record a reader's rating of an answer",
    responses=error_responses(404, 413, 422, 429, 503),
)
async def feedback(body: FeedbackRequest, request: Request, svc: Annotated[Services, Depends(services)]) -> FeedbackAck:
    await svc.feedback_limiter.check(svc.client_hash(request))
    try:
        await anyio.to_thread.run_sync(
            lambda: svc.feedback.record_feedback(
                body.answer_id, body.rating, "web", comment=body.comment, user_hash=svc.client_hash(request)
            )
        )
    except UnknownAnswer:
        raise ApiError(404, "unknown_answer", "answer_id: no answer with this id was logged") from None
    except FeedbackUnavailable:
        raise ApiError(
            503,
            "feedback_unavailable",
            "Feedback can't be saved right now; the answer itself is unaffected.",
            {"Retry-After": "30"},
        ) from None
    return FeedbackAck()
