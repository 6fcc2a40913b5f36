"""Shared links: a search and a casting brief made on one server, opened from their URL on a
server no session has touched yet, show the same results (issue 15: shareable state).

The link is made the way a person makes it (typing, picking options, pressing the button) and
copied from the address bar; nothing is written into the URL by the test. The fresh server
shares the session's data folder (catalog, search index, casting model), as a colleague's
browser on a restarted server would.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, click_and_wait, screenshot
from tests.browser.driving import open_select, wait_until_idle

SEARCH_SUMMARY = re.compile(r"^\d+ results · mmr")
HIT_LINE = re.compile(r"^\d+\. .+ · score -?\d")


def on_server(url: str, server: str) -> str:
    """The same link pointed at another server (what pasting it there does)."""
    parts = urlsplit(url)
    return server + parts.path + (f"?{parts.query}" if parts.query else "")


def hit_lines(page) -> list[str]:
    """The result cards' title lines in rank order (rank, title, year, genres, language, score)."""
    return page.get_by_text(HIT_LINE).all_inner_texts()


def pick(page, label: str, option: str) -> None:
    """Choose ``option`` in the select box labelled ``label``, as a person does with the mouse."""
    open_select(page.get_by_role("combobox", name=label))
    click_and_wait(page, page.get_by_role("option", name=option, exact=True))


def slate_actors(page) -> list[str]:
    """The slate's actors in rank order, read from the 'Details for' picker's options."""
    open_select(page.get_by_role("combobox", name="Details for"))
    options = page.get_by_role("option")
    expect(options.first).to_be_visible()
    names = [name.strip() for name in options.all_inner_texts()]
    page.keyboard.press("Escape")
    expect(page.get_by_role("option")).to_have_count(0)
    return names


def eligible(page) -> str:
    caption = page.get_by_text(re.compile(r"eligible actors")).first.inner_text()
    return caption.split(" · ")[0]  # "1,234 eligible actors" (the caption also holds a timing)


def test_shared_search_link_on_fresh_server(page, browser, app_server, fresh_app_server):
    page.goto(f"{app_server}/search")
    page.get_by_role("heading", name="Search").first.wait_for()
    wait_until_idle(page)
    pick(page, "Method", "mmr")
    click_and_wait(page, page.get_by_test_id("stRadio").get_by_text("auto-hard", exact=True))  # its label
    expect(page.get_by_role("radio", name="auto-hard", exact=True)).to_be_checked()
    query = page.get_by_label("Query", exact=True)
    query.fill("french romance in paris")
    query.press("Enter")
    page.get_by_text(SEARCH_SUMMARY).wait_for(timeout=180_000)
    wait_until_idle(page)
    made = hit_lines(page)
    assert len(made) == 10, made
    link = page.url
    params = parse_qs(urlsplit(link).query)
    assert params.get("q") == ["french romance in paris"] and params.get("method") == ["mmr"], params
    assert params.get("lang") == ["auto-hard"] and params.get("catalog") == ["demo"], params

    shared = browser.new_page()
    shared.set_default_timeout(180_000)
    try:
        shared.goto(on_server(link, fresh_app_server))
        shared.get_by_text(SEARCH_SUMMARY).wait_for()
        wait_until_idle(shared)
        expect(shared.get_by_label("Query", exact=True)).to_have_value("french romance in paris")
        expect(shared.get_by_role("combobox", name="Method")).to_have_value("mmr")
        expect(shared.get_by_role("radio", name="auto-hard", exact=True)).to_be_checked()
        seen = hit_lines(shared)
        strip_score = re.compile(r" · score -?[\d.]+$")
        assert [strip_score.sub("", line) for line in seen] == [strip_score.sub("", line) for line in made]
        assert_no_exception(shared)
    finally:
        screenshot(shared, "shared-search-link")
        shared.close()


def test_shared_casting_link_on_fresh_server(page, browser, app_server, fresh_app_server):
    page.goto(f"{app_server}/casting")
    page.get_by_role("heading", name="Casting").first.wait_for()
    page.get_by_role("button", name="Cast this brief").wait_for(timeout=300_000)
    wait_until_idle(page)
    page.get_by_label("Budget (millions of US$)").fill("45")
    page.get_by_label("Slate size").fill("4")
    click_and_wait(page, page.get_by_role("button", name="Cast this brief"), timeout=300_000)
    page.get_by_role("heading", name="Slate").wait_for()
    made_actors, made_eligible = slate_actors(page), eligible(page)
    assert len(made_actors) == 4, made_actors
    link = page.url
    params = parse_qs(urlsplit(link).query)
    assert params.get("budget") == ["45"] and params.get("n") == ["4"] and params.get("genres"), params

    shared = browser.new_page()
    shared.set_default_timeout(300_000)
    try:
        shared.goto(on_server(link, fresh_app_server))
        # The link casts by itself: no button press on the fresh server.
        shared.get_by_role("heading", name="Slate").wait_for()
        wait_until_idle(shared)
        brief = shared.get_by_test_id("stForm").filter(has=shared.get_by_role("button", name="Cast this brief"))
        expect(brief.get_by_label("Budget (millions of US$)")).to_have_value("45.00")
        expect(brief.get_by_label("Slate size")).to_have_value("4")
        assert slate_actors(shared) == made_actors
        assert eligible(shared) == made_eligible
        assert_no_exception(shared)
    finally:
        screenshot(shared, "shared-casting-link")
        shared.close()
