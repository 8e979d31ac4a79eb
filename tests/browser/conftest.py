"""Browser tests: the test app on a real port, driven by Playwright in /usr/bin/chromium."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = PROJECT_ROOT / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def serving(app) -> Iterator[str]:
    """`app` on a real port (its base URL) while the block runs."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def launch(playwright):
    """Debian's chromium, headless."""
    return playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=LAUNCH_ARGS
    )


@pytest.fixture
def live_server(app, org) -> Iterator[str]:
    """The test app on a real port; its requests commit to the same test database."""
    with serving(app) as base:
        yield base


@pytest.fixture
def browser_page(live_server):
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.on(
            "console",
            lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
        page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
        try:
            yield page, problems
        finally:
            context.close()
            browser.close()


def sign_in(page, base: str, username: str, password: str = "demo-2026") -> None:
    page.goto(f"{base}/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/")


def sign_out(page, base: str) -> None:
    page.get_by_role("button", name="退出登录", exact=True).click()
    page.wait_for_url(f"{base}/login")
