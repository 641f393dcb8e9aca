"""What the routes need, built once in the app's lifespan and reached through one dependency."""

from __future__ import annotations

from dataclasses import dataclass

from anyio import CapacityLimiter
from fastapi import Request

from ..chain import Bot
from ..feedback import FeedbackStore
from ..settings import Settings
from .limits import ClientHasher, RateLimiter


@dataclass
class Services:
    settings: Settings
    bot: Bot
    feedback: FeedbackStore
    limiter: RateLimiter  # questions (chat and stream)
    feedback_limiter: RateLimiter  # ratings: a separate budget, so rating answers never costs a question
    thread_limiter: CapacityLimiter
    client_hash: ClientHasher


def services(request: Request) -> Services:
    return request.app.state.services
