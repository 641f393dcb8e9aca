"""Liveness (/healthz: the process answers) and readiness (/readyz: the index is loaded and the store answers)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..contract import Health, Readiness
from ..index import IndexUnavailable
from .deps import Services, services

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health()


@router.get(
    "/readyz",
    response_model=Readiness,
    summary="The index is loaded and the store is reachable (503 otherwise)",
    responses={503: {"model": Readiness, "description": "Not ready; `reason` says why."}},
)
async def readyz(svc: Annotated[Services, Depends(services)]) -> JSONResponse:
    try:
        with anyio.fail_after(2):
            info = await anyio.to_thread.run_sync(svc.bot.store.ping, abandon_on_cancel=True)
    except (IndexUnavailable, TimeoutError) as exc:
        svc.bot.store.forget()
        reason = str(exc) or "the store did not answer within 2 s"
        body = Readiness(status="unavailable", reason=reason)
        return JSONResponse(body.model_dump(exclude_none=True), status_code=503, headers={"Retry-After": "5"})
    ready = Readiness(status="ready", generation=info.generation, chunks=info.chunks, documents=len(info.docs))
    return JSONResponse(ready.model_dump(exclude_none=True))
