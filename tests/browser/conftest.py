"""Real-browser fixtures: a Streamlit server on 127.0.0.1 and headless Debian Chromium.

Chromium comes from Debian (`apt-get install chromium`, done by .ci/run); Playwright only
drives it and never downloads a browser. Without Chromium the tests skip locally and fail
under CI=true. Screenshots go to ``test-output/screenshots/``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.driving import CHROMIUM, CHROMIUM_ARGS, free_port, wait_for_health, wait_until_idle
from tests.conftest import PROJECT_ROOT

# Playwright's expect() waits 5 s by default: far too short on a machine shared by many busy
# processes (a widget's code chunk alone can take longer to arrive). Generous, never flaky.
expect.set_options(timeout=120_000)

SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"


def start_streamlit(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    log = open(log_path, "wb")
    return subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "app.py"), "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return CHROMIUM


def serve_app(tmp_path_factory, **extra_env: str):
    """Start the app on a free port; yields its URL and stops the server afterwards."""
    port = free_port()
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", **extra_env)
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    process = start_streamlit(port, env, log_path)
    try:
        wait_for_health(f"http://127.0.0.1:{port}/_stcore/health")
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="session")
def demo_search_index(demo_catalog):
    """The demo catalog's search index, built before the server starts (embeddings are cached)."""
    from core.search.index import build_index, index_status

    if not index_status("demo")["fresh"]:
        build_index("demo")
    return "demo"


@pytest.fixture(scope="session")
def app_server(chromium_path, demo_catalog, demo_search_index, browser_tmdb_server, tmp_path_factory):
    """The app served over the session's demo catalog, shared by the page tests. Its TMDb API
    server is the local test server, set as the operator would (``TMDB_API_BASE``); the page
    itself has no field for it."""
    from core.catalog import store

    store.set_active("demo")  # other tests may have activated their own catalogs
    yield from serve_app(tmp_path_factory, TMDB_API_BASE=browser_tmdb_server[0].base_url)


@pytest.fixture
def fresh_app_server(chromium_path, demo_catalog, tmp_path_factory):
    """A server no session has touched yet (Streamlit's start-up state differs from later)."""
    from core.catalog import store

    store.set_active("demo")
    yield from serve_app(tmp_path_factory)


@pytest.fixture(scope="session")
def browser_tmdb_server():
    """A TMDb-compatible server on 127.0.0.1 holding a few hundred films released last year."""
    from core.tmdb.crawl import date_presets
    from core.tmdb.fakefilms import FakeFilms, FakeFilmsConfig
    from core.tmdb.testserver import ServerConfig, TMDbTestServer

    start, end = date_presets()["last-year"]
    films = FakeFilms(FakeFilmsConfig(films=120, start=start.isoformat(), end=end.isoformat()))
    key = "browser-test-key-7f3a"
    server = TMDbTestServer(films, ServerConfig(api_key=key)).start()
    yield server, key
    server.stop()


@pytest.fixture(scope="module")
def browser(chromium_path, tmp_path_factory):
    # Module scope: Playwright's sync API keeps an event loop running in this thread while it
    # is open, which would break later tests that call asyncio.run() (the TMDb client).
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        user_data = tmp_path_factory.mktemp("chromium-profile")
        context = playwright.chromium.launch_persistent_context(
            str(user_data), executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 1000})
        yield context
        context.close()


@pytest.fixture
def page(browser):
    tab = browser.new_page()
    tab.set_default_timeout(60_000)
    yield tab
    tab.close()


def screenshot(tab, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    return path


def click_and_wait(tab, locator, timeout: float = 120_000) -> None:
    locator.click()
    wait_until_idle(tab, timeout)


def assert_no_exception(tab) -> None:
    boxes = tab.locator('[data-testid="stException"]')
    assert boxes.count() == 0, boxes.first.inner_text()
