"""API edge cases found by the web audit: chunked bodies, CORS errors, stream readiness, feedback budget, offline docs."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from bot.chain import AllowAll, Bot
from bot.factory import build_bot
from bot.feedback import FeedbackStore
from bot.index import IndexStore, IndexUnavailable
from bot.web import docs_ui
from bot.web.app import create_app

from .conftest import LiveServer, make_client
from .test_api import parse_sse

ORIGIN = "https://example.org"
PREFLIGHT = {
    "Origin": ORIGIN,
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "content-type",
}


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["request_id"] == response.headers["x-request-id"]
    return error


# ---- 1. body limit on the bytes received, not only on Content-Length
def test_chunked_body_over_the_limit_is_refused_without_reading_it(sample_settings, bot, tmp_path):
    settings = sample_settings.model_copy(update={"rate_limit_per_minute": 10_000})
    sent = {"bytes": 0, "exhausted": False}

    def body():  # no Content-Length: httpx sends Transfer-Encoding: chunked; never valid JSON
        for _ in range(320):  # 20 MB in 64 kB chunks
            sent["bytes"] += 65_536
            yield b"a" * 65_536
        sent["exhausted"] = True

    with LiveServer(
        create_app(settings, bot=bot, feedback=FeedbackStore(f"sqlite:///{tmp_path / 'f.sqlite3'}"))
    ) as live:
        response = httpx.post(
            f"{live.url}/api/chat", content=body(), headers={"Content-Type": "application/json"}, timeout=30
        )
        assert response.request.headers["transfer-encoding"] == "chunked"
        assert_error(response, 413, "request_too_large")
        assert not sent["exhausted"], f"the server read all {sent['bytes']} bytes"
        small = httpx.post(
            f"{live.url}/api/chat",
            content=iter([b'{"message": "Is Semax ', b'approved?"}']),
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
        assert (
            small.status_code == 200 and small.json()["status"] == "answered"
        )  # chunked bodies under the limit still work


def test_chunked_stream_request_over_the_limit_in_process(client):
    big = client.post(
        "/api/chat/stream", content=iter([b"b" * 40_000, b"b" * 40_000]), headers={"Content-Type": "application/json"}
    )
    assert "content-length" not in big.request.headers
    assert_error(big, 413, "request_too_large")


# ---- 8. CORS: a refused preflight in the JSON error shape; 500s readable by allowed sites
def test_refused_preflight_is_a_json_error(sample_settings, bot, tmp_path):
    with make_client(sample_settings, bot, tmp_path, allowed_origins=ORIGIN) as c:
        evil = c.options("/api/chat", headers={**PREFLIGHT, "Origin": "https://evil.example"})
        assert_error(evil, 403, "origin_not_allowed")
        assert "access-control-allow-origin" not in evil.headers
        bad_header = c.options("/api/chat", headers={**PREFLIGHT, "Access-Control-Request-Headers": "x-custom-thing"})
        assert_error(bad_header, 400, "cors_not_allowed")
        assert c.options("/api/chat", headers=PREFLIGHT).status_code == 200


def test_crash_500_still_carries_cors_headers_for_allowed_origins(sample_settings, sample_store, embedder):
    class Exploding(Bot):
        def ask(self, question, history=None):
            raise RuntimeError("boom")

    settings = sample_settings.model_copy(update={"allowed_origins": ORIGIN, "rate_limit_per_minute": 10_000})
    bot = Exploding(settings, sample_store, embedder, guard=AllowAll())
    with TestClient(create_app(settings, bot=bot), raise_server_exceptions=False) as c:
        allowed = c.post("/api/chat", json={"message": "Is Semax approved?"}, headers={"Origin": ORIGIN})
        assert_error(allowed, 500, "internal_error")
        assert allowed.headers["access-control-allow-origin"] == ORIGIN
        assert "x-request-id" in allowed.headers["access-control-expose-headers"].lower()
        evil = c.post("/api/chat", json={"message": "Is Semax approved?"}, headers={"Origin": "https://evil.example"})
        assert evil.status_code == 500 and "access-control-allow-origin" not in evil.headers


def test_413_carries_cors_headers_for_allowed_origins(sample_settings, bot, tmp_path):
    with make_client(sample_settings, bot, tmp_path, allowed_origins=ORIGIN) as c:
        big = c.post(
            "/api/chat",
            content=b"{" + b" " * 70_000 + b"}",
            headers={"Content-Type": "application/json", "Origin": ORIGIN},
        )
        assert_error(big, 413, "request_too_large")
        assert big.headers["access-control-allow-origin"] == ORIGIN


# ---- 9. the stream checks the index before it commits to HTTP 200
def test_stream_answers_503_before_streaming_when_the_store_is_gone(tmp_path, settings_for, embedder):
    settings = settings_for(tmp_path / "empty-store").model_copy(update={"rate_limit_per_minute": 1000})
    with TestClient(create_app(settings, bot=build_bot(settings, store=IndexStore(settings), embedder=embedder))) as c:
        response = c.post("/api/chat/stream", json={"message": "Is Semax approved?"})
        assert_error(response, 503, "unavailable")
        assert response.headers["retry-after"] and response.headers["content-type"].startswith("application/json")


def test_store_lost_after_the_stream_began_is_an_error_event(sample_settings, sample_store, embedder):
    class LosesStore(Bot):
        def ask(self, question, history=None):
            raise IndexUnavailable("the store does not answer")

    settings = sample_settings.model_copy(update={"rate_limit_per_minute": 1000})
    app = create_app(settings, bot=LosesStore(settings, sample_store, embedder, guard=AllowAll()))
    with TestClient(app) as c, c.stream("POST", "/api/chat/stream", json={"message": "Is Semax approved?"}) as response:
        assert response.status_code == 200
        events = parse_sse("".join(response.iter_text()))
    assert [name for name, _ in events] == ["status", "error"]
    assert events[-1][1]["code"] == "unavailable"


# ---- 6. feedback has its own budget
def test_feedback_does_not_use_up_the_question_budget(sample_settings, bot, tmp_path):
    with make_client(sample_settings, bot, tmp_path, rate_limit_per_minute=3) as c:
        answer = c.post("/api/chat", json={"message": "Is Selank safe?"}).json()
        ratings = [
            c.post("/api/feedback", json={"answer_id": answer["id"], "rating": r}).status_code
            for r in ["up", "down", "up", "down", "up"]
        ]
        assert ratings == [200] * 5
        questions = [c.post("/api/chat", json={"message": "Is Semax approved?"}).status_code for _ in range(3)]
        assert questions == [200, 200, 429]


def test_feedback_budget_is_bounded_too(sample_settings, bot, tmp_path):
    from bot.web.limits import feedback_budget

    budget = feedback_budget(1)
    assert budget >= 60
    with make_client(sample_settings, bot, tmp_path, rate_limit_per_minute=1) as c:
        answer = c.post("/api/chat", json={"message": "Is Selank safe?"}).json()
        codes = [
            c.post("/api/feedback", json={"answer_id": answer["id"], "rating": "up"}).status_code
            for _ in range(budget + 1)
        ]
        assert codes[:budget] == [200] * budget
        limited = c.post("/api/feedback", json={"answer_id": answer["id"], "rating": "up"})
        error = assert_error(limited, 429, "rate_limited")
        assert "ratings" in error["message"] and limited.headers["retry-after"]


# ---- 10. /docs from local assets when they are installed
@pytest.fixture()
def fake_assets(tmp_path, monkeypatch):
    folder = tmp_path / "swagger"
    folder.mkdir()
    (folder / "swagger-ui-bundle.js").write_text("window.SwaggerUIBundle = function () {};")
    (folder / "swagger-ui.css").write_text(".swagger-ui {}")
    monkeypatch.setattr(docs_ui, "asset_dir", lambda: folder)
    return folder


def test_docs_use_local_swagger_assets_when_installed(fake_assets, sample_settings, bot, tmp_path):
    with make_client(sample_settings, bot, tmp_path) as c:
        page = c.get("/docs")
        assert page.status_code == 200
        assert "cdn.jsdelivr.net" not in page.text and "fastapi.tiangolo.com" not in page.text
        assert "/docs-assets/swagger-ui-bundle.js" in page.text and "/openapi.json" in page.text
        js = c.get("/docs-assets/swagger-ui-bundle.js")
        assert js.status_code == 200 and "SwaggerUIBundle" in js.text and "javascript" in js.headers["content-type"]
        assert c.get("/docs-assets/swagger-ui.css").headers["content-type"].startswith("text/css")
        assert_error(c.get("/docs-assets/..%2Fswagger-ui.css"), 404, "not_found")
        assert_error(c.get("/docs-assets/index.html"), 404, "not_found")
        assert c.get("/redoc").status_code == 404  # ReDoc's bundle is not in this folder
        assert "/docs-assets" not in str(c.get("/openapi.json").json()["paths"])


def test_docs_fall_back_to_fastapis_cdn_page_without_assets(sample_settings, bot, tmp_path, monkeypatch):
    monkeypatch.setattr(docs_ui, "asset_dir", lambda: None)
    with make_client(sample_settings, bot, tmp_path) as c:
        page = c.get("/docs")
        assert page.status_code == 200 and "cdn.jsdelivr.net" in page.text
        assert c.get("/openapi.json").status_code == 200  # the offline contract
