"""Widget behaviour found by the web audit, in Chromium on the /demo page.

The live region keeps its nodes, a question typed while an answer streams is kept, only http(s) URLs
become links, and a rating is kept only once the server stored it. Answers the test must shape (hostile
URLs, a held stream, a failing feedback endpoint) come from Playwright's page.route; the rest is real.
"""

from __future__ import annotations

import json

import pytest

from .conftest import SHOTS, WIDGET, ask, open_widget

pytestmark = pytest.mark.slow  # drives Chromium

ROOT = "document.querySelector('#monobot-widget').shadowRoot"


def sse(answer: dict) -> str:
    """The Server-Sent Events /api/chat/stream sends for a finished answer."""
    events = [
        ("status", {"stage": "searching"}),
        ("guardrail", answer["guardrail"]),
        ("delta", {"text": answer["answer"]}),
        ("citations", answer["citations"]),
        ("done", answer),
    ]
    return "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)


def stub_answer(text: str, citations: list[dict], answer_id: str = "stubanswer0001") -> dict:
    return {
        "id": answer_id,
        "question": "q",
        "status": "answered",
        "answer": text,
        "citations": citations,
        "guardrail": {"decision": "allow", "category": None, "reason": "", "score": 0.0},
        "notice": None,
        "mode": "extractive",
        "timings_ms": {},
    }


def citation(n: int, url: str, title: str, sources: list[dict] | None = None) -> dict:
    return {
        "n": n,
        "doc": f"doc-{n}",
        "title": title,
        "section": "Safety",
        "url": url,
        "excerpt": f"Excerpt {n}.",
        "sources": sources or [],
    }


def fulfil_stream(route, answer: dict) -> None:
    route.fulfill(
        status=200, headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}, body=sse(answer)
    )


def stored_messages(page) -> list[dict]:
    return page.evaluate(
        "() => { const k = Object.keys(sessionStorage).find(k => k.startsWith('monobot:conversation:'));"
        " return k ? JSON.parse(sessionStorage.getItem(k)).messages : []; }"
    )


def test_new_answers_do_not_rebuild_the_live_region(page, server):
    open_widget(page, server.url)
    ask(page, "Is Cerebrolysin safe?", 1)
    page.evaluate(
        f"() => {{ const log = {ROOT}.querySelector('[role=log]'); log.__kept = true;"
        " log.querySelectorAll('.msg').forEach(n => { n.__kept = true; });"
        " window.__removed = []; new MutationObserver(ms => ms.forEach(m => m.removedNodes.forEach(n => window.__removed.push(n.className))))"
        ".observe(log, { childList: true }); }"
    )
    ask(page, "what about allergic reactions?", 2)
    kept = page.evaluate(f"() => [...{ROOT}.querySelectorAll('[role=log] .msg')].map(n => n.__kept === true)")
    assert kept == [True, True, False, False]  # the first question and answer are the very same nodes
    assert page.evaluate(f"() => {ROOT}.querySelector('[role=log]').__kept") is True
    removed = page.evaluate("() => window.__removed")
    assert removed and all("pending" in name for name in removed), removed  # only the placeholder was replaced
    assert page.locator(f"{WIDGET} [role=log]").get_attribute("aria-busy") == "false"


def test_question_typed_while_answering_is_kept(page, server):
    held = []
    page.route("**/api/chat/stream", lambda route: held.append(route))
    open_widget(page, server.url)
    page.fill(f"{WIDGET} .input", "Is Semax safe?")
    page.press(f"{WIDGET} .input", "Enter")
    page.wait_for_function(f"() => {ROOT}.querySelector('.send').disabled")
    assert page.locator(f"{WIDGET} .composer").get_attribute("aria-busy") == "true"
    assert page.locator(f"{WIDGET} [role=log]").get_attribute("aria-busy") == "true"
    assert "Answering" in page.locator(f"{WIDGET} .hint[role=status]").inner_text()

    page.fill(f"{WIDGET} .input", "Does Semax improve memory?")
    page.press(f"{WIDGET} .input", "Enter")  # while the first answer is still streaming
    assert page.input_value(f"{WIDGET} .input") == "Does Semax improve memory?"
    assert "kept" in page.locator(f"{WIDGET} .hint").inner_text()
    page.screenshot(path=str(SHOTS / "widget-busy.png"))
    assert len(held) == 1 and page.locator(f"{WIDGET} .msg.user").count() == 1

    fulfil_stream(
        held[0],
        stub_answer(
            "Semax is approved in Russia [1].", [citation(1, "https://example.org/monographs/semax#safety", "Semax")]
        ),
    )
    page.wait_for_function(f"() => {ROOT}.querySelectorAll('.msg.bot:not(.pending)').length === 1")
    assert page.input_value(f"{WIDGET} .input") == "Does Semax improve memory?"
    assert page.locator(f"{WIDGET} .send").is_enabled()
    assert page.locator(f"{WIDGET} .composer").get_attribute("aria-busy") == "false"

    page.press(f"{WIDGET} .input", "Enter")
    for _ in range(200):
        if len(held) == 2:
            break
        page.wait_for_timeout(25)
    assert len(held) == 2 and json.loads(held[1].request.post_data)["message"] == "Does Semax improve memory?"
    fulfil_stream(
        held[1],
        stub_answer(
            "Evidence is thin [1].",
            [citation(1, "https://example.org/monographs/semax#memory", "Semax")],
            "stubanswer0002",
        ),
    )
    page.wait_for_function(f"() => {ROOT}.querySelectorAll('.msg.bot:not(.pending)').length === 2")
    assert page.locator(f"{WIDGET} .msg.user").all_inner_texts() == ["Is Semax safe?", "Does Semax improve memory?"]
    assert page.input_value(f"{WIDGET} .input") == ""


def test_only_http_and_https_urls_become_links(page, server):
    citations = [
        citation(1, "javascript:alert(document.domain)", "Evil one"),
        citation(2, " JaVaScRiPt:alert(2)", "Evil two"),
        citation(3, "data:text/html,<script>alert(3)</script>", "Evil three"),
        citation(
            4,
            "https://example.org/monographs/semax#safety",
            "Semax",
            [
                {
                    "n": 1,
                    "citation": "Author A (2020) Trial. PMID: 12345",
                    "pmid": "12345",
                    "url": "https://pubmed.ncbi.nlm.nih.gov/12345/",
                }
            ],
        ),
        citation(5, "/monographs/relative#x", "Relative"),
    ]
    answer = stub_answer("One [1]. Two [2]. Three [3]. Safe [4]. Relative [5].", citations)
    page.route("**/api/chat/stream", lambda route: fulfil_stream(route, answer))
    open_widget(page, server.url)

    def check() -> None:
        hrefs = page.evaluate(f"() => [...{ROOT}.querySelectorAll('[href]')].map(a => a.getAttribute('href'))")
        assert hrefs and all(h.startswith(("https://", "http://")) for h in hrefs), hrefs
        bot = page.locator(f"{WIDGET} .msg.bot").first
        assert bot.locator("a.cite").all_inner_texts() == ["[4]"]
        assert bot.locator("span.cite").all_inner_texts() == ["[1]", "[2]", "[3]", "[5]"]
        assert bot.locator("a.source-link").get_attribute("href") == "https://example.org/monographs/semax#safety"
        assert [t.split(" — ")[0] for t in bot.locator("span.source-link").all_inner_texts()] == [
            "Evil one",
            "Evil two",
            "Evil three",
            "Relative",
        ]
        assert bot.locator(".refs a").get_attribute("href") == "https://pubmed.ncbi.nlm.nih.gov/12345/"

    ask(page, "Is Semax safe?", 1)
    check()
    page.locator(f"{WIDGET} span.cite").first.click()
    page.wait_for_timeout(200)
    assert page.dialogs == [] and page.url.endswith("/demo")
    page.reload()  # the same answer rendered again from sessionStorage
    page.wait_for_selector(f"{WIDGET} .panel:not([hidden])")
    check()


def test_rating_is_kept_only_when_the_server_stored_it(page, server):
    open_widget(page, server.url)
    first = ask(page, "Is Selank safe?", 1)
    up = first.locator(".thumb.up")
    note = first.locator(".thanks")

    page.route(
        "**/api/feedback",
        lambda route: route.fulfill(
            status=503,
            headers={"Content-Type": "application/json"},
            body=json.dumps({"error": {"code": "feedback_unavailable", "message": "down", "request_id": "x"}}),
        ),
    )
    up.click()
    page.wait_for_function(f"() => /couldn't be saved/.test({ROOT}.querySelector('.thanks').textContent)")
    assert "Thanks" not in note.inner_text() and "failed" in note.get_attribute("class")
    assert (
        up.get_attribute("aria-pressed") == "false"
        and first.locator(".thumb.down").get_attribute("aria-pressed") == "false"
    )
    assert not [m for m in stored_messages(page) if m.get("rating")]
    page.screenshot(path=str(SHOTS / "widget-feedback-error.png"))

    page.unroute("**/api/feedback")
    page.route("**/api/feedback", lambda route: route.abort())  # network failure
    first.locator(".thumb.down").click()
    page.wait_for_function(
        f"() => /couldn't be saved/.test({ROOT}.querySelector('.thanks').textContent) && !{ROOT}.querySelector('.feedback[aria-busy]')"
    )
    assert not [m for m in stored_messages(page) if m.get("rating")]

    page.unroute("**/api/feedback")  # the real endpoint again
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as sent:
        up.click()
    assert sent.value.status == 200
    page.wait_for_function(f"() => /Thanks/.test({ROOT}.querySelector('.thanks').textContent)")
    assert up.get_attribute("aria-pressed") == "true" and "failed" not in note.get_attribute("class")
    assert [m["rating"] for m in stored_messages(page) if m.get("rating")] == ["up"]
    page.reload()
    page.wait_for_selector(f"{WIDGET} .panel:not([hidden])")
    assert page.locator(f"{WIDGET} .msg.bot").first.locator(".thumb.up").get_attribute("aria-pressed") == "true"


def test_api_docs_render_with_no_network(page, server):
    """/docs from the app's own Swagger UI files (fastapi-offline installed): every other host is cut off."""
    import pytest

    from bot.web import docs_ui

    if docs_ui.asset_dir() is None:
        pytest.skip("fastapi-offline is not installed: /docs uses FastAPI's CDN page (documented in docs/web.md)")
    outside = []
    page.route(
        lambda url: not url.startswith(server.url), lambda route: (outside.append(route.request.url), route.abort())
    )
    page.goto(f"{server.url}/docs")
    page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
    assert "monobot" in page.locator(".swagger-ui .info .title").inner_text()
    assert page.locator(".opblock-summary-path[data-path='/api/chat/stream']").count() == 1
    assert outside == []
