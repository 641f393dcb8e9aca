"""/docs and /redoc from assets installed with the app, so the API documentation works with no network.

FastAPI's default pages load Swagger UI and ReDoc from cdn.jsdelivr.net; offline they stay blank. The
`fastapi-offline` package ships current Swagger UI (5.x, which reads FastAPI's OpenAPI 3.1) and ReDoc
builds as plain files. When it is installed we serve those files ourselves through FastAPI's own
`get_swagger_ui_html` / `get_redoc_html`; when it is not, FastAPI's CDN pages stay in place and
/openapi.json remains the offline contract. (`swagger-ui-bundle` on PyPI was not used: it ships Swagger
UI 4.15, which cannot render OpenAPI 3.1.)
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from fastapi import FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse

ASSET_PREFIX = "/docs-assets"
ASSETS = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "redoc.standalone.js": "text/javascript; charset=utf-8",
    "favicon.png": "image/png",
}
_REQUIRED = ("swagger-ui-bundle.js", "swagger-ui.css")


def asset_dir() -> Path | None:
    """The installed Swagger UI files (fastapi-offline's static folder), or None when not installed."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "static"
    return folder if all((folder / name).is_file() for name in _REQUIRED) else None


def install(app: FastAPI, folder: Path) -> None:
    """/docs, /redoc and their assets from `folder`; call on an app created with docs_url=None, redoc_url=None."""

    def prefix(request: Request) -> str:
        return request.scope.get("root_path", "").rstrip("/")  # as FastAPI's own docs routes do

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = prefix(request)
        favicon = f"{root}{ASSET_PREFIX}/favicon.png" if (folder / "favicon.png").is_file() else "data:,"
        return get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - API docs",
            swagger_js_url=f"{root}{ASSET_PREFIX}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSET_PREFIX}/swagger-ui.css",
            swagger_favicon_url=favicon,
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = prefix(request)
        if not (folder / "redoc.standalone.js").is_file():
            raise HTTPException(404, "ReDoc is not installed; use /docs")
        return get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSET_PREFIX}/redoc.standalone.js",
            with_google_fonts=False,
        )

    @app.get(ASSET_PREFIX + "/{name}", include_in_schema=False)
    async def asset(name: str) -> FileResponse:
        media_type = ASSETS.get(name)  # a fixed list: no path from the request ever reaches the file system
        if media_type is None or not (folder / name).is_file():
            raise HTTPException(404, "no such documentation asset")
        return FileResponse(folder / name, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
