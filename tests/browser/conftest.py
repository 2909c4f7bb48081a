"""Browser tests: Debian's chromium driven by Playwright against a live server."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(config, items):
    """Skip browser tests where chromium is missing, unless CI requires them."""
    if shutil.which(CHROMIUM) or os.environ.get("DRIP_REQUIRE_BROWSER"):
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is not installed")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture()
def live_server(app):
    """Serve the test app on a free port in a background thread, with a worker's appliers; yields its base URL."""
    from drip.appliers import Appliers

    server = make_server("127.0.0.1", 0, _buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    appliers = Appliers(app)  # what a worker does with the stored webhooks: route texts, apply callbacks
    appliers.start()
    yield f"http://127.0.0.1:{server.server_port}"
    appliers.stop()
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


def _buffered(app):
    """The app with every response but an event stream read whole and closed before it is written.

    Werkzeug's development server leaves a response's file open when the browser drops the connection
    mid-answer (a page left while its favicon loads), and the unclosed file fails the run as a
    ResourceWarning. Buffering (test pages are small) closes each file at once; streams stay streams.
    """

    def serve(environ, start_response):
        seen = {}

        def remember(status, headers, exc_info=None):
            seen["type"] = dict((name.lower(), value) for name, value in headers).get("content-type", "")
            return start_response(status, headers, exc_info)

        body = app(environ, remember)
        if seen.get("type", "").startswith("text/event-stream"):
            return body
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return serve


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the whole run."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture()
def page(browser):
    """A fresh browser context and page per test."""
    context = browser.new_context()
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page, base_url: str, email: str = "trainer@example.com", password: str = "correct horse battery"):
    """Sign in through the real login page."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    # Wait for the page signed in to finish loading: a click before its scripts ran (the menu's toggle) is lost.
    with page.expect_navigation():
        page.click("button[type=submit]")
