"""Every page driven in headless Chromium: what a person sees, no exception box, a screenshot each.

One Streamlit server serves the session's demo catalog (search index prebuilt); pages are opened
by URL like a bookmark would, then used the way a person would use them.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, click_and_wait, screenshot, wait_until_idle

PAGE_TITLES = ["Home", "Explore data", "Labeling", "Download", "Search", "Monitoring", "Casting"]


def open_page(page, app_server, path: str, heading: str):
    page.goto(f"{app_server}/{path}")
    page.get_by_role("heading", name=heading).first.wait_for()
    wait_until_idle(page)
    return page


def test_bookmarked_page_on_fresh_server_gets_app_navigation(page, fresh_app_server):
    """A direct link on a fresh server must still run through app.py (menu titles, catalog picker)."""
    open_page(page, fresh_app_server, "eda", "Explore data")
    nav = page.get_by_test_id("stSidebarNav")
    for title in PAGE_TITLES:
        assert nav.get_by_text(title, exact=True).count() == 1, title
    assert nav.get_by_text("cached", exact=True).count() == 0
    assert page.get_by_text("Catalog", exact=True).first.is_visible()
    assert_no_exception(page)


def test_home_page(page, app_server):
    open_page(page, app_server, "", "Marquee")
    expect(page.get_by_test_id("stMetricValue").first).to_have_text("3,000")
    assert page.get_by_test_id("stMetric").count() >= 4
    assert page.get_by_text("synthetic demo data").first.is_visible()
    assert_no_exception(page)
    screenshot(page, "home")


def test_eda_page(page, app_server):
    open_page(page, app_server, "eda", "Explore data")
    page.locator(".js-plotly-plot").first.wait_for()
    page.get_by_text("Most-credited directors").first.wait_for()
    assert page.locator(".js-plotly-plot").count() >= 8
    assert page.get_by_text("Films per year").first.is_visible()
    assert_no_exception(page)
    screenshot(page, "eda")


def test_casting_brief_gives_a_slate(page, app_server):
    open_page(page, app_server, "casting", "Casting")
    page.get_by_role("button", name="Cast this brief").wait_for(timeout=180_000)
    page.get_by_role("button", name="Cast this brief").click()
    page.get_by_role("heading", name="Slate").wait_for()
    expect(page.get_by_text(re.compile(r"eligible actors")).first).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").nth(1)).to_be_visible()  # slate and alternates
    assert page.get_by_text("Why").first.is_visible()
    assert page.get_by_role("heading", name=re.compile("Comparable past films of")).is_visible()
    assert_no_exception(page)
    screenshot(page, "casting")


def test_search_finds_films(page, app_server):
    open_page(page, app_server, "search", "Search")
    query = page.get_by_label("Query", exact=True)
    query.fill("lone astronaut isolated on a frozen moon")
    query.press("Enter")
    page.get_by_text(re.compile(r"^\d+ results · hybrid")).wait_for()
    wait_until_idle(page)
    assert page.get_by_text(re.compile(r"^1\. ")).first.is_visible()
    assert page.get_by_text(re.compile(r"^Why: ")).count() >= 1
    assert page.get_by_text(re.compile("astronaut")).count() >= 1
    assert_no_exception(page)
    screenshot(page, "search")


def test_label_three_titles(page, app_server):
    open_page(page, app_server, "labeling", "Labeling")
    labeled = page.get_by_test_id("stMetric").filter(has_text="Labeled").get_by_test_id("stMetricValue")
    expect(labeled).to_have_text("0")
    titles = []
    for count, action in enumerate(("Would watch", "Would not watch", "Would watch many times"), start=1):
        titles.append(page.get_by_role("heading", level=3).first.inner_text())
        click_and_wait(page, page.get_by_role("button", name=action, exact=True))
        expect(labeled).to_have_text(str(count))
        expect(page.get_by_text(f"{action}: {titles[-1].rsplit(' (', 1)[0]}")).to_be_visible()
    assert len(set(titles)) == 3  # each click moved the queue on to a new title
    assert_no_exception(page)
    screenshot(page, "labeling")


def test_start_a_simulation_round(page, app_server):
    open_page(page, app_server, "monitoring", "Monitoring")
    page.get_by_role("button", name="Start new simulation").click()
    page.get_by_role("button", name="Run simulation round").wait_for(timeout=180_000)
    page.get_by_role("button", name="Run simulation round").click()
    page.get_by_role("heading", name="Per-genre drift").wait_for(timeout=180_000)
    wait_until_idle(page)
    rounds = page.get_by_test_id("stMetric").filter(has_text="Rounds")
    assert rounds.get_by_test_id("stMetricValue").inner_text() == "1"
    assert page.locator(".js-plotly-plot").count() >= 2
    assert_no_exception(page)
    screenshot(page, "monitoring")


def test_download_from_test_tmdb_server(page, app_server, browser_tmdb_server):
    server, key = browser_tmdb_server
    open_page(page, app_server, "download", "Download from TMDb")
    page.get_by_text(re.compile("No TMDb key set")).wait_for()
    secret = page.get_by_label(re.compile("API key or read access token"))
    secret.fill(key)
    secret.press("Enter")
    wait_until_idle(page)
    page.get_by_role("button", name="Check key").click()
    page.get_by_text(re.compile("TMDb answered")).wait_for()
    catalog_name = page.get_by_label("Catalog name")
    catalog_name.fill("browser_tmdb")
    page.get_by_role("button", name="Start download").click()
    try:
        page.get_by_text(re.compile(r"Catalog browser_tmdb written")).wait_for(timeout=120_000)
    finally:
        screenshot(page, "download")
    assert page.get_by_test_id("stProgress").count() == 1
    # The key sits only in the password field the person typed it into, never in shown text.
    assert key not in page.locator("body").inner_text()
    assert_no_exception(page)
    screenshot(page, "download")
