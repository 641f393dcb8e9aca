"""Starlette's CORS middleware, with refused preflights answered in the API's one JSON error shape.

Starlette answers a refused preflight with a plain-text 400 ("Disallowed CORS origin"); a site's
developer debugging the integration then sees a different shape from every other error. The browser
still enforces the policy from the missing Access-Control-Allow-Origin header; the body only explains.
"""

from __future__ import annotations

from fastapi.responses import JSONResponse
from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response

from .. import logs


class JsonCORSMiddleware(CORSMiddleware):
    """CORSMiddleware whose failed preflight is `{"error": {...}}`: 403 origin_not_allowed, else 400 cors_not_allowed."""

    def preflight_response(self, request_headers: Headers) -> Response:
        response = super().preflight_response(request_headers)
        if response.status_code == 200:
            return response
        origin_refused = not self.is_allowed_origin(origin=request_headers["origin"])
        status, code = (403, "origin_not_allowed") if origin_refused else (400, "cors_not_allowed")
        detail = bytes(response.body).decode("utf-8", "replace")  # e.g. "Disallowed CORS origin, headers"
        rid = logs.request_id.get()  # set by RequestContext, which runs outside this middleware
        headers = {k: v for k, v in response.headers.items() if k.lower() not in {"content-length", "content-type"}}
        body = {
            "error": {
                "code": code,
                "message": f"{detail}: this site may not call the API from a browser.",
                "request_id": rid,
            }
        }
        return JSONResponse(body, status_code=status, headers={**headers, "X-Request-ID": rid})
