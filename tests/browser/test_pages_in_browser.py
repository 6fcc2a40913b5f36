"""Every page driven in headless Chromium: what a person sees, no exception box, a screenshot each."""
from __future__ import annotations

from tests.browser.conftest import assert_no_exception, screenshot, wait_until_idle


def open_page(page, app_server, path: str, heading: str):
    page.goto(f"{app_server}/{path}")
    page.get_by_role("heading", name=heading).first.wait_for()
    wait_until_idle(page)
    return page


def test_home_page(page, app_server):
    open_page(page, app_server, "", "Marquee")
    assert page.get_by_text("synthetic demo data").first.is_visible()
    assert page.get_by_test_id("stMetric").count() >= 4
    assert page.get_by_test_id("stSidebarNav").is_visible()
    assert_no_exception(page)
    screenshot(page, "home")


def test_eda_page(page, app_server):
    open_page(page, app_server, "eda", "Explore data")
    page.locator(".js-plotly-plot").first.wait_for()
    assert page.locator(".js-plotly-plot").count() >= 8
    assert page.get_by_text("Films per year").first.is_visible()
    assert_no_exception(page)
    screenshot(page, "eda")
