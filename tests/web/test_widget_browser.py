"""The real widget on the /demo page, in Debian's Chromium driven by Playwright (never `playwright install`)."""

from __future__ import annotations

import shutil

import pytest

from bot.factory import build_bot
from bot.index import IndexStore
from bot.web.app import create_app
from ingest.pipeline import ingest

from ..conftest import CORPUS, FIXTURES
from .conftest import SHOTS, WIDGET, LiveServer, ask, open_widget

pytestmark = pytest.mark.slow  # drives Chromium


def test_conversation_citations_refusal_feedback_and_reload(page, server):
    streamed = []
    page.on("request", lambda r: streamed.append(r.post_data_json) if r.url.endswith("/api/chat/stream") else None)
    open_widget(page, server.url)
    assert page.locator(f"{WIDGET} .starter").count() >= 3
    assert page.locator(f"{WIDGET} [role=log][aria-live=polite]").count() == 1
    assert page.locator(f"{WIDGET} .disclaimer").inner_text().startswith("Evidence summaries")

    first = ask(page, "Is Cerebrolysin safe?", 1)
    assert first.get_attribute("data-status") == "answered"
    cite = first.locator("a.cite").first
    href = cite.get_attribute("href")
    assert href.startswith("https://example.org/monographs/cerebrolysin")
    listed = [a.get_attribute("href") for a in first.locator(".sources .source-link").all()]
    assert href in listed
    pubmed = first.locator(".refs a").first.get_attribute("href")
    assert pubmed.startswith("https://pubmed.ncbi.nlm.nih.gov/")
    page.screenshot(path=str(SHOTS / "widget-answer.png"))

    second = ask(page, "what about allergic reactions?", 2)
    assert "anaphyla" in second.inner_text().lower()
    assert streamed[-1]["history"][0] == {"role": "user", "content": "Is Cerebrolysin safe?"}

    refusal = ask(page, "How much Semax should I take every day?", 3)
    assert refusal.get_attribute("data-status") == "refused"
    assert "Can't help with that" in refusal.locator(".badge").text_content()
    page.screenshot(path=str(SHOTS / "widget-refusal.png"))

    with page.expect_response(lambda r: r.url.endswith("/api/feedback")) as sent:
        first.locator(".thumb.up").click()
    assert sent.value.status == 200
    assert first.locator(".thumb.up").get_attribute("aria-pressed") == "true"
    assert first.locator(".thumb.up").is_visible() and first.locator(".thumb.down").is_visible()
    assert "Thanks" in first.locator(".thanks").inner_text()

    page.reload()
    page.wait_for_selector(f"{WIDGET} .panel:not([hidden])")
    assert page.locator(f"{WIDGET} .msg.user").count() == 3
    assert page.locator(f"{WIDGET} .msg.bot").count() == 3
    assert page.locator(f"{WIDGET} .msg.bot").first.locator(".thumb.up").get_attribute("aria-pressed") == "true"
    assert not [e for e in page.console_errors if "Content Security Policy" in e], page.console_errors


def test_keyboard_and_focus(page, server):
    page.goto(f"{server.url}/demo")
    page.focus(f"{WIDGET} .launcher")
    page.keyboard.press("Enter")
    page.wait_for_selector(f"{WIDGET} .panel:not([hidden])")
    active = "() => document.querySelector('#monobot-widget').shadowRoot.activeElement?.className"
    assert page.evaluate(active) == "input"
    assert page.locator(f"{WIDGET} .launcher").get_attribute("aria-expanded") == "true"
    page.keyboard.press("Escape")
    assert page.locator(f"{WIDGET} .panel").is_hidden()
    assert page.evaluate(active) == "launcher"


def test_host_css_does_not_reach_the_widget_and_widget_css_does_not_leak(page, server):
    page.goto(f"{server.url}/demo")
    page.wait_for_selector(f"{WIDGET} .launcher")
    page.wait_for_function(
        "() => getComputedStyle(document.querySelector('#monobot-widget').shadowRoot.querySelector('.launcher')).position === 'fixed'"
    )
    launcher_bg = page.evaluate(
        "() => getComputedStyle(document.querySelector('#monobot-widget').shadowRoot.querySelector('.launcher')).backgroundColor"
    )
    assert launcher_bg == "rgb(31, 79, 143)"  # not the host page's hotpink buttons
    assert page.evaluate("() => document.styleSheets.length") == 1  # only the host page's own sheet
    assert page.evaluate("() => getComputedStyle(document.querySelector('.kicker')).fontSize") == "13px"


def test_narrow_phone_screen(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, is_mobile=True, has_touch=True)
    page = context.new_page()
    open_widget(page, server.url)
    answer = ask(page, "Does BPC-157 work in humans?", 1)
    assert answer.get_attribute("data-status") == "answered"
    box = page.locator(f"{WIDGET} .panel").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 375
    page.screenshot(path=str(SHOTS / "widget-375px.png"))
    context.close()


def test_hostile_text_stays_text(browser, settings_for, embedder, tmp_path_factory):
    store_dir = tmp_path_factory.mktemp("xss-store")
    corpus = tmp_path_factory.mktemp("xss-corpus")
    shutil.copy(FIXTURES / "xss" / "xss-monograph.txt", corpus)
    shutil.copy(CORPUS / "semax.txt", corpus)
    settings = settings_for(store_dir).model_copy(update={"rate_limit_per_minute": 10_000})
    store = IndexStore(settings)
    assert ingest([corpus], settings, store, embedder, progress=False).ok
    with LiveServer(create_app(settings, bot=build_bot(settings, store=store, embedder=embedder))) as live:
        context = browser.new_context()
        page = context.new_page()
        dialogs = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        open_widget(page, live.url)
        answer = ask(page, "Is Testorelin-X safe? <img src=x onerror=alert(1)><script>alert('q')</script>", 1)
        text = answer.inner_text()
        user = page.locator(f"{WIDGET} .msg.user").first.inner_text()
        assert "<img src=x onerror=alert(1)>" in user
        assert "<script>" in text or "<img src=x onerror=alert(1)>" in text, text
        injected = page.evaluate(
            "() => document.querySelector('#monobot-widget').shadowRoot.querySelectorAll('img, script').length"
        )
        assert injected == 0
        assert page.evaluate("() => document.querySelectorAll('img').length") == 0
        page.wait_for_timeout(300)
        assert dialogs == []
        page.screenshot(path=str(SHOTS / "widget-xss-inert.png"))
        context.close()
