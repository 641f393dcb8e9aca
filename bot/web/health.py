"""Liveness (/healthz: the process answers) and readiness (/readyz: the index is loaded, the store answers
and the question-log database takes a write)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..contract import Health, Readiness
from ..index import IndexUnavailable
from .deps import Services, services

router = APIRouter(tags=["health"])
PROBE_SECONDS = 2


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health()


def _not_ready(reason: str) -> JSONResponse:
    body = Readiness(status="unavailable", reason=reason)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=503, headers={"Retry-After": "5"})


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The index is loaded, the store is reachable and the question log takes writes (503 otherwise)",
    responses={503: {"model": Readiness, "description": "Not ready; `reason` says why."}},
)
async def readyz(svc: Annotated[Services, Depends(services)]) -> JSONResponse:
    try:
        with anyio.fail_after(PROBE_SECONDS):
            info = await anyio.to_thread.run_sync(svc.bot.store.ping, abandon_on_cancel=True)
    except (IndexUnavailable, TimeoutError) as exc:
        svc.bot.store.forget()
        return _not_ready(str(exc) or f"the store did not answer within {PROBE_SECONDS} s")
    try:
        with anyio.fail_after(PROBE_SECONDS):
            failure = await anyio.to_thread.run_sync(svc.feedback.check, abandon_on_cancel=True)
    except TimeoutError:
        failure = f"the question-log database did not answer within {PROBE_SECONDS} s"
    if failure is not None and svc.settings.question_log_required:
        return _not_ready(f"question log: {failure}")
    ready = Readiness(status="ready", generation=info.generation, chunks=info.chunks, documents=len(info.docs))
    return JSONResponse(ready.model_dump(exclude_none=True))
