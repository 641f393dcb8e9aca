"""Web fixtures: the app over a fake chain or the sample index, a real uvicorn server, and Debian's Chromium."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from fastapi.testclient import TestClient

from bot.feedback import FeedbackStore
from bot.settings import REPO_ROOT
from bot.web.app import create_app

from ..conftest import free_port
from ..stubs.bots import FakeBot


def make_client(settings, bot, tmp_path, **overrides) -> TestClient:
    settings = settings.model_copy(update={"rate_limit_per_minute": 10_000, **overrides})
    feedback = FeedbackStore(f"sqlite:///{tmp_path / 'feedback.sqlite3'}")
    return TestClient(create_app(settings, bot=bot, feedback=feedback))


@pytest.fixture()
def fake_bot():
    return FakeBot()


@pytest.fixture()
def client(sample_settings, fake_bot, tmp_path):
    """The app over a fake chain with fixed answers: these tests are about HTTP, not about answers."""
    with make_client(sample_settings, fake_bot, tmp_path) as c:
        yield c


class LiveServer:
    """uvicorn in a background thread on 127.0.0.1, stopped at the end of the test module."""

    def __init__(self, app) -> None:
        self.port = free_port()
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


# -- the browser (Playwright driving Debian's Chromium; never `playwright install`)

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = REPO_ROOT / "artifacts" / "screenshots"
WIDGET = "#monobot-widget"


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("MONOBOT_REQUIRE_BROWSER") == "1":
            pytest.fail(
                "chromium is required (MONOBOT_REQUIRE_BROWSER=1) but /usr/bin/chromium is missing: apt-get install -y chromium"
            )
        pytest.skip("Debian's chromium is not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def server(sample_settings, bot, tmp_path_factory):
    settings = sample_settings.model_copy(update={"rate_limit_per_minute": 10_000})
    feedback = FeedbackStore(f"sqlite:///{tmp_path_factory.mktemp('web-feedback') / 'f.sqlite3'}")
    with LiveServer(create_app(settings, bot=bot, feedback=feedback)) as live:
        live.feedback = feedback
        yield live


@pytest.fixture()
def page(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.console_errors = []
    page.dialogs = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    yield page
    context.close()


def open_widget(page, url):
    page.goto(f"{url}/demo")
    page.click(f"{WIDGET} .launcher")
    page.wait_for_selector(f"{WIDGET} .panel:not([hidden])")


def ask(page, question, count):
    page.fill(f"{WIDGET} .input", question)
    page.press(f"{WIDGET} .input", "Enter")
    page.wait_for_function(
        "n => document.querySelector('#monobot-widget').shadowRoot.querySelectorAll('.msg.bot:not(.pending)').length >= n",
        arg=count,
        timeout=20_000,
    )
    return page.locator(f"{WIDGET} .msg.bot:not(.pending)").nth(count - 1)


SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


@pytest.fixture()
def sized_page(browser, server):
    """A page at a named size ('desktop' 1280x800 or 'phone' 390x844), reduced motion unless asked otherwise,
    so scroll positions are final when read. Contexts close at the end of the test."""
    contexts = []

    def make(size: str = "desktop", **options):
        width, height = SIZES[size]
        phone = size == "phone"
        options.setdefault("reduced_motion", "reduce")
        context = browser.new_context(
            viewport={"width": width, "height": height}, is_mobile=phone, has_touch=phone, **options
        )
        contexts.append(context)
        page = context.new_page()
        page.console_errors = []
        page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
        page.size = size
        return page

    yield make
    for context in contexts:
        context.close()


def shoot(page, name: str) -> None:
    """artifacts/screenshots/<name>-<width>x<height>.png (a CI artefact, never committed)."""
    size = page.viewport_size
    page.screenshot(path=str(SHOTS / f"{name}-{size['width']}x{size['height']}.png"))
