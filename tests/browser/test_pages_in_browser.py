"""Every page driven in headless Chromium: what a person sees, no exception box, a screenshot each.

One Streamlit server serves the session's demo catalog (search index prebuilt); pages are opened
by URL like a bookmark would, then used the way a person would use them.
"""
from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, click_and_wait, screenshot
from tests.browser.driving import open_select, wait_until_idle

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


def open_section(page, name: str) -> None:
    """Click one of the EDA page's section buttons (a segmented control: radios) and wait for its run."""
    choice = page.get_by_role("radiogroup", name="Section").get_by_role("radio", name=name, exact=True)
    click_and_wait(page, choice)
    expect(choice).to_have_attribute("aria-checked", "true")


def test_eda_page(page, app_server):
    """The overview opens first; the other sections are one click each, like a person browsing."""
    open_page(page, app_server, "eda", "Explore data")
    page.get_by_text("Films per year").first.wait_for()
    assert page.locator(".js-plotly-plot").count() == 5  # four side by side and the genre trend
    assert page.get_by_text("Share of films per genre by decade").first.is_visible()
    assert page.get_by_text("Most-credited directors").count() == 0  # not drawn until asked for
    assert_no_exception(page)
    screenshot(page, "eda")

    open_section(page, "People")
    page.get_by_text("Most-credited directors").first.wait_for()
    expect(page.get_by_text("Most-credited actors").first).to_be_visible()
    assert page.locator(".js-plotly-plot").count() == 2
    screenshot(page, "eda-people")
    people_link = page.url  # the section is in the URL: a link opens it
    assert "section=" in people_link, people_link

    open_section(page, "Popularity and votes")
    page.get_by_text(re.compile("Vote average vs vote count")).first.wait_for()
    expect(page.get_by_test_id("stDataFrame").first).to_be_visible()  # the skew table
    expect(page.get_by_role("button", name="Download CSV")).to_have_count(1)

    open_section(page, "Money")
    page.get_by_text(re.compile("Budget vs revenue")).first.wait_for()
    open_section(page, "Missing values")
    page.get_by_text("Missing values by decade").first.wait_for()
    open_section(page, "Posters")
    page.get_by_text(re.compile("No poster URLs in this catalog")).wait_for()
    assert_no_exception(page)

    page.goto(people_link)
    page.get_by_text("Most-credited directors").first.wait_for()
    expect(page.get_by_role("radio", name="People", exact=True)).to_have_attribute("aria-checked", "true")


def test_casting_brief_gives_a_slate(page, app_server):
    open_page(page, app_server, "casting", "Casting")
    page.get_by_role("button", name="Cast this brief").wait_for(timeout=180_000)
    click_and_wait(page, page.get_by_role("button", name="Cast this brief"), timeout=180_000)
    page.get_by_role("heading", name="Slate").wait_for()
    expect(page.get_by_text(re.compile(r"eligible actors")).first).to_be_visible()
    expect(page.get_by_test_id("stDataFrame").nth(2)).to_be_visible()  # slate, alternates, comparables
    expect(page.get_by_text("Why", exact=True).first).to_be_visible()
    expect(page.get_by_text("Comparable past films", exact=True).first).to_be_visible()
    assert "year=" in page.url and "genres=" in page.url  # the submitted brief is in the URL
    assert_no_exception(page)
    screenshot(page, "casting")

    # Details of another pick: the details part reruns alone and shows that actor.
    picker = page.get_by_role("combobox", name="Details for")
    first_pick = picker.input_value()
    open_select(picker)
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    assert options.count() >= 2, "a slate of one cannot switch picks"
    second = options.nth(1).inner_text().strip()
    assert second != first_pick
    click_and_wait(page, options.nth(1))
    expect(picker).to_have_value(second)
    expect(page.get_by_text("Comparable past films", exact=True).first).to_be_visible()
    assert page.get_by_text(re.compile(r"^• ")).count() >= 1  # the new pick's reasons
    assert_no_exception(page)
    screenshot(page, "casting-second-pick")

    # Downloads and What if… are lazy expanders: opening one builds its content (and reruns only its part).
    assert page.get_by_role("button", name="slate.csv").count() == 0
    click_and_wait(page, page.get_by_text("Downloads", exact=True))
    expect(page.get_by_role("button", name="slate.csv")).to_be_visible()
    expect(page.get_by_role("button", name="reasons.csv")).to_be_visible()
    click_and_wait(page, page.get_by_text("What if… (swap an actor, another year or budget)", exact=True))
    expect(page.get_by_role("button", name="Compare")).to_be_visible()
    expect(picker).to_have_value(second)  # the details kept their pick
    assert_no_exception(page)
    screenshot(page, "casting-downloads-what-if")


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
    click_and_wait(page, page.get_by_role("button", name="New simulation…"))
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("Start a new simulation")).to_be_visible()
    expect(dialog.get_by_text(re.compile(r"Run genre-penalty-seed0: trains the first champion"))).to_be_visible()
    screenshot(page, "monitoring-new-simulation-dialog")
    click_and_wait(page, dialog.get_by_role("button", name="Start new simulation"))
    expect(page.get_by_role("dialog")).to_have_count(0)  # the confirmation closed the dialog
    # The first champion trains in the background; the page picks the run up when it is done.
    page.get_by_role("button", name="Run simulation round").wait_for(timeout=300_000)
    wait_until_idle(page)
    click_and_wait(page, page.get_by_role("button", name="Run simulation round"))
    page.get_by_role("heading", name="Per-genre drift").wait_for(timeout=300_000)
    wait_until_idle(page)
    rounds = page.get_by_test_id("stMetric").filter(has_text="Rounds")
    expect(rounds.get_by_test_id("stMetricValue")).to_have_text("1")
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
