"""The widget's script and the /demo host page, served by the app itself.

The demo page is served with a strict Content-Security-Policy (no inline script or style), which is how
the widget proves it needs none.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, RedirectResponse, Response

STATIC = Path(__file__).parent / "static"
router = APIRouter(include_in_schema=False)
demo_router = APIRouter(include_in_schema=False)  # left out with `serve --no-demo` (MONOBOT_DEMO_PAGE=false)

DEMO_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; "
    "font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)


def _file(name: str, media_type: str, **headers: str) -> Response:
    return FileResponse(
        STATIC / name, media_type=media_type, headers={"Cache-Control": "public, max-age=300", **headers}
    )


@router.get("/widget.js")
async def widget_js() -> Response:
    # Readable from any site that embeds it; the API itself is restricted by the CORS allowlist.
    return _file("widget.js", "text/javascript; charset=utf-8", **{"Access-Control-Allow-Origin": "*"})


@router.get("/widget.css")
async def widget_css() -> Response:
    return _file("widget.css", "text/css; charset=utf-8", **{"Access-Control-Allow-Origin": "*"})


@demo_router.get("/demo")
async def demo() -> Response:
    return _file(
        "demo.html",
        "text/html; charset=utf-8",
        **{"Content-Security-Policy": DEMO_CSP, "X-Content-Type-Options": "nosniff"},
    )


@demo_router.get("/demo/demo.css")
async def demo_css() -> Response:
    return _file("demo.css", "text/css; charset=utf-8")


def home_router(demo: bool) -> APIRouter:
    """GET / sends a visitor somewhere useful: the demo page, or the API docs when the demo is off."""
    home = APIRouter(include_in_schema=False)
    target = "/demo" if demo else "/docs"

    @home.get("/")
    async def root() -> Response:
        return RedirectResponse(target, status_code=307)

    return home
