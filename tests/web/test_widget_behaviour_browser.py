"""Widget behaviour found by the web audit, in Chromium on the /demo page.

The live region keeps its nodes, a question typed while an answer streams is kept, only http(s) URLs
become links, and a rating is kept only once the server stored it. Answers the test must shape (hostile
URLs, a held stream, a failing feedback endpoint) come from Playwright's page.route; the rest is real.
"""

from __future__ import annotations

import json

import pytest

from .conftest import SHOTS, WIDGET, ask, open_widget, shoot

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


# -- issue 17: reading position, errors with Retry, comments, badges, suggestions, copy, full screen


def long_answer(answer_id: str, sentences: int = 12, **extra) -> dict:
    text = " ".join(f"Sentence {i} about the evidence, long enough to wrap in the panel [1]." for i in range(sentences))
    cites = [
        {
            **citation(n, f"https://example.org/monographs/semax#s{n}", f"Semax monograph {n}"),
            "excerpt": "Excerpt. " * 40,
        }
        for n in (1, 2, 3)
    ]
    return {**stub_answer(text, cites, answer_id), **extra}


def scroll_state(page) -> dict:
    return page.evaluate(
        f"() => {{ const log = {ROOT}.querySelector('.log'); const msgs = log.querySelectorAll('.msg');"
        " const last = msgs[msgs.length - 1];"
        " return { offset: last.offsetTop - log.scrollTop, height: log.clientHeight,"
        f" jump: !{ROOT}.querySelector('.jump').hidden, scrolled: log.scrollTop }}; }}"
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_a_new_answer_opens_at_its_start_and_jump_to_latest_returns_there(sized_page, server, size):
    page = sized_page(size)
    answers = iter([long_answer("longanswer0001"), long_answer("longanswer0002")])
    page.route("**/api/chat/stream", lambda route: fulfil_stream(route, next(answers)))
    open_widget(page, server.url)
    ask(page, "Is Semax safe?", 1)
    ask(page, "And long term?", 2)
    state = scroll_state(page)
    assert 0 <= state["offset"] <= 12, state  # the newest answer's first line is at the top of the log
    assert not state["jump"]
    shoot(page, "widget-answer-start")
    page.evaluate(f"() => {{ {ROOT}.querySelector('.log').scrollTop = 0; }}")
    page.wait_for_function(f"() => !{ROOT}.querySelector('.jump').hidden")
    shoot(page, "widget-jump-to-latest")
    page.click(f"{WIDGET} .jump")
    state = scroll_state(page)
    assert 0 <= state["offset"] <= 12 and not state["jump"], state


def error_route(status: int, code: str, message: str, headers: dict | None = None):
    def handle(route):
        route.fulfill(
            status=status,
            headers={"Content-Type": "application/json", **(headers or {})},
            body=json.dumps({"error": {"code": code, "message": message, "request_id": "r1"}}),
        )

    return handle


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_rate_limited_error_gives_the_reason_and_retry_resends_the_same_question(sized_page, server, size):
    page = sized_page(size)
    sent = []
    replies = [
        error_route(429, "rate_limited", "Too many questions; try again in 1 s.", {"Retry-After": "1"}),
        lambda route: fulfil_stream(
            route,
            stub_answer(
                "Semax is approved in Russia [1].", [citation(1, "https://example.org/monographs/semax#a", "Semax")]
            ),
        ),
    ]

    def handle(route):
        sent.append(json.loads(route.request.post_data))
        replies[len(sent) - 1](route)

    page.route("**/api/chat/stream", handle)
    open_widget(page, server.url)
    error = ask(page, "Where is Semax approved?", 1)
    assert "error" in error.get_attribute("class")
    assert "wait 1 second, then retry" in error.inner_text()
    assert page.locator(f"{WIDGET} .msg.user").inner_text() == "Where is Semax approved?"  # the question is kept
    retry = error.locator(".retry")
    shoot(page, "widget-error-rate-limited")
    page.wait_for_function(f"() => !{ROOT}.querySelector('.retry').disabled")  # enabled once Retry-After passed
    retry.click()
    page.wait_for_function(f"() => {ROOT}.querySelector('.msg.bot[data-status=answered]')")
    assert [s["message"] for s in sent] == ["Where is Semax approved?"] * 2
    assert page.locator(f"{WIDGET} .msg.user").count() == 1 and page.locator(f"{WIDGET} .msg.error").count() == 0
    assert [m.get("error") for m in stored_messages(page)] == [None, None]  # the failed exchange left no trace


def test_too_long_and_network_errors(page, server):
    page.route(
        "**/api/chat/stream", error_route(413, "message_too_long", "message: 2345 characters; the limit is 2000")
    )
    open_widget(page, server.url)
    error = ask(page, "A very long question", 1)
    assert "too long" in error.inner_text() and "2345 characters; the limit is 2000" in error.inner_text()
    assert page.input_value(f"{WIDGET} .input") == "A very long question"  # back in the box, to shorten
    assert error.locator(".retry").inner_text() == "Edit question"
    page.unroute("**/api/chat/stream")
    page.route("**/api/chat/stream", lambda route: route.abort())
    page.fill(f"{WIDGET} .input", "Is Selank safe?")
    page.press(f"{WIDGET} .input", "Enter")
    page.wait_for_function(f"() => {ROOT}.querySelectorAll('.msg.error').length === 2")
    second = page.locator(f"{WIDGET} .msg.error").nth(1)
    assert "Couldn't reach the service" in second.inner_text() and second.locator(".retry").inner_text() == "Retry"
    page.unroute("**/api/chat/stream")  # the real server again
    second.locator(".retry").click()
    page.wait_for_function(f"() => {ROOT}.querySelector('.msg.bot[data-status]')", timeout=20_000)
    assert page.locator(f"{WIDGET} .msg.user").all_inner_texts() == ["A very long question", "Is Selank safe?"]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_thumbs_down_offers_a_comment_box_and_sends_the_comment(sized_page, server, size):
    page = sized_page(size)
    open_widget(page, server.url)
    answer = ask(page, "Is Cerebrolysin safe?", 1)
    answer_id = stored_messages(page)[1]["answer"]["id"]
    with page.expect_response(lambda r: r.url.endswith("/api/feedback")):
        answer.locator(".thumb.down").click()
    box = answer.locator(".comment textarea")
    box.wait_for()
    assert page.evaluate(f"() => {ROOT}.activeElement.className") == "comment-input"
    box.fill("It did not mention the anaphylaxis case")
    shoot(page, "widget-comment-box")
    with page.expect_request(lambda r: r.url.endswith("/api/feedback")) as request:
        answer.locator(".comment-send").click()
    assert json.loads(request.value.post_data) == {
        "answer_id": answer_id,
        "rating": "down",
        "comment": "It did not mention the anaphylaxis case",
    }
    page.wait_for_function(f"() => /comment was sent/.test({ROOT}.querySelector('.thanks').textContent)")
    assert answer.locator(".comment").count() == 0
    rows = server.feedback.feedback_for(answer_id)
    assert [(r["rating"], r["comment"]) for r in rows] == [("down", "It did not mention the anaphylaxis case")]


def rich_answer() -> dict:
    cites = [
        {
            **citation(1, "https://example.org/monographs/semax#safety", "Semax"),
            "study_type": "rct",
            "reviewed": "2025-03",
        },
        {**citation(2, "https://example.org/monographs/semax#use", "Semax"), "study_type": "unknown"},
        {
            **citation(3, "https://example.org/monographs/selank#x", "Selank"),
            "study_type": "systematic_review",
            "reviewed": "2024-11-02",
        },
    ]
    return {
        **stub_answer(
            "Little is known about long-term use [1]. One small trial [2]. A review [3].", cites, "richanswer0001"
        ),
        "evidence": {"score": 0.4, "chunk": 0.4, "sentence": 0.4, "coverage": 0.5, "level": "weak"},
        "stale_notice": "One of these monographs was last reviewed over two years ago.",
        "suggestions": [
            "Where is it approved?",
            "What side effects have been reported?",
            "Is Selank safe?",
            "A fourth one",
        ],
    }


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_weak_badge_study_types_review_dates_stale_notice_suggestions_and_copy(sized_page, server, size):
    page = sized_page(size, permissions=["clipboard-read", "clipboard-write"])
    sent = []

    def handle(route):
        sent.append(json.loads(route.request.post_data)["message"])
        fulfil_stream(
            route,
            rich_answer()
            if len(sent) == 1
            else stub_answer(
                "Approved in Russia [1].",
                [citation(1, "https://example.org/monographs/semax#a", "Semax")],
                "plain0000001",
            ),
        )

    page.route("**/api/chat/stream", handle)
    open_widget(page, server.url)
    answer = ask(page, "Is long-term Semax use safe?", 1)
    assert answer.locator(".badge.weak").inner_text().lower() == "weak evidence"
    assert answer.locator(".study").all_inner_texts() == ["Randomised trial", "Systematic review"]  # unknown: none
    assert answer.locator(".reviewed").all_inner_texts() == [
        "Monograph reviewed March 2025",
        "Monograph reviewed November 2024",
    ]
    assert "over two years ago" in answer.locator(".notice.stale").inner_text()
    assert answer.locator(".suggestion").all_inner_texts() == [
        "Where is it approved?",
        "What side effects have been reported?",
        "Is Selank safe?",
    ]
    shoot(page, "widget-weak-badges-suggestions")
    answer.locator(".copy").click()
    page.wait_for_function(f"() => /Copied/.test({ROOT}.querySelector('.copy').textContent)")
    copied = page.evaluate("() => navigator.clipboard.readText()")
    assert copied.startswith("Little is known about long-term use [1].") and "[3] Selank — Safety" in copied
    answer.locator(".suggestion").first.click()
    page.wait_for_function(f"() => {ROOT}.querySelectorAll('.msg.bot:not(.pending)').length === 2")
    assert sent == ["Is long-term Semax use safe?", "Where is it approved?"]
    assert page.locator(f"{WIDGET} .msg.bot").nth(1).locator(".badge.weak").count() == 0


def test_full_screen_on_a_phone_is_modal_and_keeps_focus_inside(sized_page, server):
    page = sized_page("phone")
    page.route("**/api/chat/stream", lambda route: fulfil_stream(route, rich_answer()))
    open_widget(page, server.url)
    panel = page.locator(f"{WIDGET} .panel")
    assert panel.get_attribute("aria-modal") == "true"
    assert page.locator(f"{WIDGET} .launcher").is_hidden()
    box = panel.bounding_box()
    assert (box["x"], box["y"], box["width"], box["height"]) == (0, 0, 390, page.evaluate("innerHeight"))
    ask(page, "Is Semax safe?", 1)
    inside = f"() => {{ const a = {ROOT}.activeElement; return !!a && {ROOT}.querySelector('.panel').contains(a); }}"
    for _ in range(40):  # more Tabs than there are controls: focus must wrap, never leave the panel
        page.keyboard.press("Tab")
        assert page.evaluate(inside)
    page.focus(f"{WIDGET} .reset")
    page.keyboard.press("Shift+Tab")
    assert page.evaluate(inside)
    page.keyboard.press("Escape")
    assert page.locator(f"{WIDGET} .launcher").is_visible() and panel.get_attribute("aria-modal") is None


def test_desktop_panel_hides_the_launcher_and_is_not_modal(sized_page, server):
    page = sized_page("desktop")
    open_widget(page, server.url)
    assert page.locator(f"{WIDGET} .launcher").is_hidden()
    assert page.locator(f"{WIDGET} .panel").get_attribute("aria-modal") is None
    page.click(f"{WIDGET} .close")
    assert page.locator(f"{WIDGET} .launcher").is_visible()
    assert page.evaluate(f"() => {ROOT}.activeElement.className") == "launcher"


def test_touch_targets_are_at_least_44_px(sized_page, server):
    page = sized_page("phone")
    page.route("**/api/chat/stream", lambda route: fulfil_stream(route, rich_answer()))
    open_widget(page, server.url)
    page.route("**/api/feedback", lambda route: route.fulfill(status=200, json={"ok": True}))
    ask(page, "Is Semax safe?", 1)
    page.locator(f"{WIDGET} .thumb.down").click()
    page.wait_for_selector(f"{WIDGET} .comment")
    small = page.evaluate(
        f"() => [...{ROOT}.querySelectorAll('.panel button, .panel summary')]"
        ".filter(n => n.getClientRects().length)"
        ".map(n => {{ const r = n.getBoundingClientRect(); return [n.className || n.tagName, r.width, r.height]; }})"
        ".filter(([, w, h]) => w < 44 || h < 44)"
    )
    # A [n] marker stays a small superscript in the sentence; its target is a 44 x 44 px box centred on it.
    cites = page.evaluate(
        f"() => [...{ROOT}.querySelectorAll('.panel a.cite')].map(n => {{ const r = n.getBoundingClientRect();"
        " const x = r.left + r.width / 2, y = r.top + r.height / 2;"
        f" return [[-21, 0], [21, 0], [0, -21], [0, 21]].every(([dx, dy]) => {ROOT}.elementFromPoint(x + dx, y + dy) === n); }})"
    )
    assert cites and all(cites), cites
    assert small == []


def test_dark_scheme_and_reduced_motion_are_respected(sized_page, server):
    dark = sized_page("desktop", color_scheme="dark", reduced_motion="reduce")
    dark.route("**/api/chat/stream", lambda route: fulfil_stream(route, rich_answer()))
    open_widget(dark, server.url)
    ask(dark, "Is Semax safe?", 1)
    style = f"([sel, prop]) => getComputedStyle({ROOT}.querySelector(sel))[prop]"
    assert dark.evaluate(style, [".panel", "backgroundColor"]) == "rgb(22, 27, 34)"
    assert dark.evaluate(style, [".log", "scrollBehavior"]) == "auto"
    shoot(dark, "widget-dark")
    phone = sized_page("phone", color_scheme="dark", reduced_motion="reduce")
    phone.route("**/api/chat/stream", lambda route: fulfil_stream(route, rich_answer()))
    open_widget(phone, server.url)
    ask(phone, "Is Semax safe?", 1)
    shoot(phone, "widget-dark")
    light = sized_page("desktop", color_scheme="light", reduced_motion="no-preference")
    open_widget(light, server.url)
    assert light.evaluate(style, [".panel", "backgroundColor"]) == "rgb(255, 255, 255)"
    assert light.evaluate(style, [".log", "scrollBehavior"]) == "smooth"
