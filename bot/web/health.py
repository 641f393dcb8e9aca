"""Liveness (/healthz: the process answers) and readiness (/readyz: the index is loaded and the store answers)."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from ..index import IndexUnavailable
from .deps import Services, services

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict:
    return {"status": "ok"}


@router.get("/readyz", summary="The index is loaded and the store is reachable (503 otherwise)")
async def readyz(svc: Annotated[Services, Depends(services)]) -> JSONResponse:
    try:
        with anyio.fail_after(2):
            info = await anyio.to_thread.run_sync(svc.bot.store.ping, abandon_on_cancel=True)
    except (IndexUnavailable, TimeoutError) as exc:
        svc.bot.store.forget()
        return JSONResponse(
            {"status": "unavailable", "reason": str(exc) or "the store did not answer within 2 s"},
            status_code=503,
            headers={"Retry-After": "5"},
        )
    return JSONResponse(
        {"status": "ready", "generation": info.generation, "chunks": info.chunks, "documents": len(info.docs)}
    )
