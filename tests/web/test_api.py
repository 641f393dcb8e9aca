"""The chat API over HTTP (httpx TestClient against the real app): answers, streaming, limits, CORS, health."""

from __future__ import annotations

import json

import pytest

from bot.chain import AllowAll, Bot
from bot.factory import build_bot
from bot.index import IndexStore

from .conftest import make_client

CONTRACT = {"id", "question", "status", "answer", "citations", "guardrail", "timings_ms", "notice", "mode"}


def parse_sse(text: str) -> list[tuple[str, object]]:
    events = []
    for block in text.strip().split("\n\n"):
        name = next(line[7:] for line in block.splitlines() if line.startswith("event: "))
        data = json.loads("".join(line[6:] for line in block.splitlines() if line.startswith("data: ")))
        events.append((name, data))
    return events


def test_chat_returns_the_ask_json_object(client):
    response = client.post("/api/chat", json={"message": "Is Cerebrolysin safe?", "history": []})
    assert response.status_code == 200
    assert response.headers["x-request-id"]
    data = response.json()
    assert set(data) >= CONTRACT and data["status"] == "answered" and data["citations"]


def test_follow_up_passes_the_history_to_the_chain(client, fake_bot):
    history = [{"role": "user", "content": "Is Cerebrolysin safe?"}, {"role": "assistant", "content": "Mostly [1]."}]
    data = client.post("/api/chat", json={"message": "what about allergic reactions?", "history": history}).json()
    assert data["status"] == "answered"
    assert fake_bot.calls == [("what about allergic reactions?", history)]


def test_stream_sends_status_pieces_citations_and_done(client):
    with client.stream("POST", "/api/chat/stream", json={"message": "What did the CASTA trial find?"}) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        body = "".join(response.iter_text())
    events = parse_sse(body)
    names = [n for n, _ in events]
    assert names[0] == "status" and names[1] == "guardrail" and names[-2:] == ["citations", "done"]
    assert names.count("delta") >= 2
    done = events[-1][1]
    assert "".join(d["text"] for n, d in events if n == "delta").strip() == done["answer"].strip()
    assert events[-2][1] == done["citations"]


def test_refusal_over_the_api(client):
    data = client.post("/api/chat", json={"message": "Where can I buy BPC-157?"}).json()
    assert data["status"] == "refused" and data["guardrail"]["category"] == "sourcing"


def test_the_real_chain_answers_and_refuses_over_the_api(sample_settings, bot, tmp_path):
    """One end-to-end check through the real chain; the transport tests above use a fake."""
    with make_client(sample_settings, bot, tmp_path) as c:
        answered = c.post("/api/chat", json={"message": "Is Cerebrolysin safe?"}).json()
        refused = c.post("/api/chat", json={"message": "Where can I buy BPC-157?"}).json()
    assert answered["status"] == "answered" and answered["citations"]
    assert refused["status"] == "refused" and refused["guardrail"]["category"] == "sourcing"


@pytest.mark.parametrize(
    "body,status,code",
    [
        ({"message": "x" * 2001}, 413, "message_too_long"),
        ({"message": "   "}, 422, "invalid_request"),
        ({"history": []}, 422, "invalid_request"),
        ({"message": "hi", "history": [{"role": "system", "content": "x"}]}, 422, "invalid_request"),
        ({"message": "hi", "history": [{"role": "user", "content": "q"}] * 21}, 413, "history_too_long"),
    ],
)
def test_bad_requests_get_one_clear_error_shape(client, body, status, code):
    response = client.post("/api/chat", json=body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"] and error["request_id"]


def test_oversized_body_and_broken_json(client):
    big = client.post(
        "/api/chat", content=b'{"message": "' + b"a" * 70_000 + b'"}', headers={"Content-Type": "application/json"}
    )
    assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"
    broken = client.post("/api/chat", content=b'{"message": ', headers={"Content-Type": "application/json"})
    assert broken.status_code == 422 and broken.json()["error"]["code"] == "invalid_request"


def test_rate_limit_answers_429_with_retry_after(sample_settings, bot, tmp_path):
    with make_client(sample_settings, bot, tmp_path, rate_limit_per_minute=3) as c:
        codes = [c.post("/api/chat", json={"message": "Is Semax approved?"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = c.post("/api/chat", json={"message": "Is Semax approved?"})
        assert limited.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_cors_allows_only_listed_origins(sample_settings, bot, tmp_path):
    with make_client(sample_settings, bot, tmp_path, allowed_origins="https://example.org") as c:
        headers = {
            "Origin": "https://example.org",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        ok = c.options("/api/chat", headers=headers)
        assert ok.status_code == 200 and ok.headers["access-control-allow-origin"] == "https://example.org"
        evil = c.options("/api/chat", headers={**headers, "Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in evil.headers
        post = c.post("/api/chat", json={"message": "Is Semax approved?"}, headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in post.headers


def test_feedback_recorded_unknown_and_invalid(client):
    answer = client.post("/api/chat", json={"message": "Is Selank safe?"}).json()
    ok = client.post("/api/feedback", json={"answer_id": answer["id"], "rating": "up", "comment": "clear"})
    assert ok.status_code == 200 and ok.json() == {"ok": True}
    again = client.post("/api/feedback", json={"answer_id": answer["id"], "rating": "down"})
    assert again.status_code == 200
    unknown = client.post("/api/feedback", json={"answer_id": "0" * 32, "rating": "up"})
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "unknown_answer"
    invalid = client.post("/api/feedback", json={"answer_id": answer["id"], "rating": "meh"})
    assert invalid.status_code == 422


def test_database_down_no_write_is_acknowledged(sample_settings, bot, tmp_path):
    """A question log that cannot be written: chat and feedback answer 503 (the lost row is never a 200),
    /readyz says why; with MONOBOT_QUESTION_LOG_REQUIRED=false chat answers anyway."""
    from fastapi.testclient import TestClient

    from bot.feedback import FeedbackStore
    from bot.web.app import create_app

    broken = FeedbackStore("sqlite:////proc/monobot-no-such-dir/feedback.sqlite3")
    settings = sample_settings.model_copy(update={"rate_limit_per_minute": 1000})
    with TestClient(create_app(settings, bot=bot, feedback=broken)) as c:
        answer = c.post("/api/chat", json={"message": "Is Selank safe?"})
        assert answer.status_code == 503 and answer.json()["error"]["code"] == "log_unavailable"
        stream = c.post("/api/chat/stream", json={"message": "Is Selank safe?"})
        assert stream.status_code == 503 and stream.json()["error"]["code"] == "log_unavailable"
        fb = c.post("/api/feedback", json={"answer_id": "0" * 32, "rating": "up"})
        assert fb.status_code == 503 and fb.json()["error"]["code"] == "feedback_unavailable"
        ready = c.get("/readyz")
        assert ready.status_code == 503 and "could not be created" in ready.json()["reason"]
    lenient = settings.model_copy(update={"question_log_required": False})
    with TestClient(create_app(lenient, bot=bot, feedback=broken)) as c:
        answer = c.post("/api/chat", json={"message": "Is Selank safe?"})
        assert answer.status_code == 200 and answer.json()["status"] == "answered"
        assert c.get("/readyz").status_code == 200


def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ready" and ready.json()["chunks"] > 0


def test_not_ready_when_the_store_is_gone(tmp_path, settings_for, embedder):
    from fastapi.testclient import TestClient

    from bot.web.app import create_app

    settings = settings_for(tmp_path / "empty-store").model_copy(update={"rate_limit_per_minute": 1000})
    bot = build_bot(settings, store=IndexStore(settings), embedder=embedder)
    with TestClient(create_app(settings, bot=bot)) as c:
        ready = c.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "unavailable"
        chat = c.post("/api/chat", json={"message": "Is Semax approved?"})
        assert chat.status_code == 503 and chat.json()["error"]["code"] == "unavailable"
        assert "Traceback" not in chat.text


def test_crash_never_leaks_a_stack_trace(sample_settings, tmp_path, sample_store, embedder):
    from fastapi.testclient import TestClient

    from bot.web.app import create_app

    class Exploding(Bot):
        def ask(self, question, history=None):
            raise RuntimeError("secret internal detail at /srv/app.py line 42")

    bot = Exploding(sample_settings, sample_store, embedder, guard=AllowAll())
    with TestClient(create_app(sample_settings, bot=bot), raise_server_exceptions=False) as c:
        response = c.post("/api/chat", json={"message": "Is Semax approved?"})
        assert response.status_code == 500
        assert response.json()["error"]["code"] == "internal_error"
        assert "secret" not in response.text and "Traceback" not in response.text
        with c.stream("POST", "/api/chat/stream", json={"message": "Is Semax approved?"}) as stream:
            text = "".join(stream.iter_text())
        assert "event: error" in text and "secret" not in text


def test_docs_widget_and_demo_are_served(client):
    assert client.get("/docs").status_code == 200
    assert "/api/chat" in client.get("/openapi.json").json()["paths"]
    widget = client.get("/widget.js")
    assert widget.status_code == 200 and "javascript" in widget.headers["content-type"]
    assert "innerHTML" not in widget.text
    demo = client.get("/demo")
    assert "script-src 'self'" in demo.headers["content-security-policy"]
    assert "<script>" not in demo.text and "style=" not in demo.text
