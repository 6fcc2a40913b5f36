"""The first hour on real data (issue 14), walked in headless Chromium like a new user would.

One Streamlit server with its own empty data and artifacts folders (only a small synthetic demo
in it, as on a fresh install) and the real public data sets as its server folder
(``MARQUEE_SHARED_DATA`` = ``../shared/data``). The tests run in file order and build on each
other: import Wikipedia (a slice of years, to keep the run short) and IMDB-5000 from the Import
page, merge them, then EDA, a casting brief on the merged catalog, an index build that survives
navigation and is cancelled, a search, labeling up to a too-small model, and monitoring.
Screenshots go to ``test-output/screenshots/real-*.png``. Under ``CI=true`` nothing here skips.
"""
from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_no_exception, click_and_wait, serve_app
from tests.browser.conftest import screenshot as full_screenshot
from tests.browser.driving import wait_until_idle
from tests.conftest import require_shared_data

FIRST_RENDER_TIMEOUT = 240_000  # ms: the server's first run imports pandas, plotly, sklearn under load
JOB_TIMEOUT = 900_000  # ms: imports, training and embedding on a 2-core machine shared by many
WIKI_YEARS = "2005-2016"  # ~3,000 Wikipedia films; IMDB-5000 matches ~1,700 of them
SEARCH_YEARS = "1903-1903"  # a few dozen films: indexed in seconds even on a loaded machine
MERGED = "wiki_imdb"
# Credit-list phrases that are not people (issue 14: "Voices of" ranked first before the name validator).
NOT_PEOPLE = re.compile(r"^(voices? of|narrated by|cast|dir\.?|starring|and|with|music by|\W+|.)$|:$",
                        re.IGNORECASE)


@pytest.fixture(scope="module")
def real_app(chromium_path, tmp_path_factory):
    """The app over an empty data folder (a small synthetic demo, as a fresh install builds) whose
    server folder holds the real data sets."""
    from core.catalog.demo import build_demo_catalog

    shared = require_shared_data()
    require_shared_data("wikipedia-movies")
    require_shared_data("imdb-5000", "movie_metadata.csv")
    root = tmp_path_factory.mktemp("real-data-path")
    build_demo_catalog("demo", n_movies=200, data_dir=root / "data")
    yield from serve_app(tmp_path_factory, MARQUEE_DATA_DIR=str(root / "data"),
                         MARQUEE_ARTIFACTS_DIR=str(root / "artifacts"), MARQUEE_SHARED_DATA=str(shared))


def screenshot(page, name: str):
    """The whole page: Streamlit scrolls inside its main section, so a full-page screenshot of the
    document holds only the window; the window is made as tall as the content for the picture."""
    size = page.viewport_size
    height = page.evaluate("""() => Math.max(...['stMain', 'stAppViewContainer', 'stMainBlockContainer']
        .map(id => document.querySelector(`[data-testid="${id}"]`)).filter(Boolean).map(el => el.scrollHeight))""")
    page.set_viewport_size({"width": size["width"], "height": int(min(max(size["height"], height + 40), 9000))})
    try:
        page.wait_for_timeout(500)  # charts re-lay out to the new size
        return full_screenshot(page, name)
    finally:
        page.set_viewport_size(size)


def open_page(page, base: str, path: str, heading: str, catalog: str | None = None):
    page.goto(f"{base}/{path}" + (f"?catalog={catalog}" if catalog else ""))
    try:
        page.get_by_role("heading", name=heading).first.wait_for(timeout=FIRST_RENDER_TIMEOUT)
    except Exception:
        screenshot(page, f"real-failed-open-{path or 'home'}")
        raise
    wait_until_idle(page)
    return page


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the visible select box labelled ``label`` (the list is opened again if a
    rerun closed it before the click landed)."""
    for attempt in range(4):
        try:
            page.get_by_role("combobox", name=label).filter(visible=True).click()
            option_named(page, option).click(timeout=20_000)
            break
        except Exception:
            if attempt == 3:
                screenshot(page, f"real-failed-choose-{label.split()[0].lower()}")
                raise
            page.keyboard.press("Escape")
            wait_until_idle(page)
    wait_until_idle(page)


def option_named(page, text: str):
    return page.get_by_role("option").filter(has_text=re.compile("^" + re.escape(text) + "$"))


def type_into(page, label: str, text: str) -> None:
    box = page.get_by_label(label, exact=True).filter(visible=True)
    box.fill(text)
    box.press("Enter")
    wait_until_idle(page)


def wait_for_text(page, pattern, timeout: float = JOB_TIMEOUT, shot: str | None = None) -> None:
    """Wait for a line (a finished background job); on a failure or timeout, the page's screenshot."""
    try:
        page.get_by_text(pattern).first.wait_for(timeout=timeout)
    except Exception:
        screenshot(page, f"real-failed-{shot or 'wait'}")
        raise
    wait_until_idle(page)


def plotly_traces(page) -> list[dict]:
    """Every drawn Plotly chart's title and how many points its traces hold."""
    return page.evaluate("""() => [...document.querySelectorAll('.js-plotly-plot')].map(el => ({
        title: (el.layout && el.layout.title && (el.layout.title.text || el.layout.title)) || '',
        points: (el.calcdata || []).reduce((n, trace) => n + (trace || []).length, 0)}))""")


def import_one(page, base: str, source: str, name: str, years: str | None = None) -> None:
    open_page(page, base, "import", "Import data")
    expect(page.get_by_text("Page not found")).to_have_count(0)
    choose(page, "Source", source)
    type_into(page, "New catalog name", name)
    if years:
        type_into(page, "Only these years (optional)", years)
    click_and_wait(page, page.get_by_role("button", name="Import", exact=True))
    wait_for_text(page, f"Catalog {name} is ready.", shot=f"import-{name}")
    assert_no_exception(page)


def test_import_wikipedia_and_imdb_then_merge(page, real_app):
    # The first visit to a fresh server is a bookmarked /import (it showed "Page not found" while
    # the page's file was pages/imports.py: Streamlit resolves the first URL by file name).
    import_one(page, real_app, "Wikipedia films (JSON files, one per decade)", "wiki", WIKI_YEARS)
    expect(page.get_by_text("Repairs", exact=True)).to_be_visible()  # the report as tables
    screenshot(page, "real-import-wikipedia")
    import_one(page, real_app, "IMDB 5000 (movie_metadata.csv)", "imdb5000")
    page.get_by_role("tab", name="Merge two catalogs").click()
    choose(page, "Base catalog (kept whole)", "wiki")
    choose(page, "Enrich it from", "imdb5000")
    type_into(page, "New catalog name", MERGED)
    click_and_wait(page, page.get_by_role("button", name="Merge", exact=True))
    wait_for_text(page, f"Catalog {MERGED} is ready.", shot="merge")
    expect(page.get_by_text("Matches", exact=True)).to_be_visible()
    expect(page.get_by_text("Matched by", exact=True)).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "real-import-merge")
    click_and_wait(page, page.get_by_role("button", name=f"Open {MERGED}"))
    expect(page.get_by_role("combobox", name="Catalog", exact=True)).to_have_value(MERGED)


SECTIONS = ["Overview", "Popularity and votes", "Money", "Missing values", "People"]


@pytest.mark.parametrize("catalog", ["wiki", MERGED])
def test_eda_has_no_empty_chart(page, real_app, catalog):
    """Each section draws charts that hold data, or says which data the catalog lacks."""
    open_page(page, real_app, "eda", "Explore data", catalog)
    for section in SECTIONS:
        click_and_wait(page, page.get_by_role("radio", name=section).or_(page.get_by_role("button", name=section)))
        page.locator(".js-plotly-plot, [data-testid='stAlert']").first.wait_for()
        for chart in plotly_traces(page):
            assert chart["points"] > 0, f"{catalog} · {section}: chart {chart['title']!r} is empty"
        assert_no_exception(page)
        screenshot(page, f"real-eda-{catalog}-{section.split()[0].lower()}")
    if catalog == "wiki":  # Wikipedia has no popularity, votes, budgets or revenues
        click_and_wait(page, page.get_by_role("radio", name="Popularity and votes")
                       .or_(page.get_by_role("button", name="Popularity and votes")))
        expect(page.get_by_text(re.compile(r"No data for popularity")).first).to_be_visible()


def pick_genres(page, wanted: list[str]) -> None:
    """Make ``wanted`` the brief's genres (a multiselect inside a form: no rerun until submitted).
    Other chosen genres are removed with their tag's x; each wanted genre is typed into the box
    and its option clicked (the list closes after a pick, so it is reopened for the next one); the
    chosen tags are read back."""
    box = page.get_by_role("combobox", name="Genres")
    field = page.get_by_test_id("stMultiSelect").filter(has=box)

    def chosen() -> list[str]:
        return [tag.get_attribute("aria-label") for tag in field.locator("[data-tag]").all()]

    for genre in chosen():
        if genre not in wanted:
            field.get_by_role("button", name=f"Remove {genre}").click()
            expect(field.locator(f"[data-tag][aria-label='{genre}']")).to_have_count(0)
    for genre in wanted:
        if genre in chosen():
            continue
        box.click()
        box.press_sequentially(genre)
        option_named(page, genre).first.click()
        expect(field.locator(f"[data-tag][aria-label='{genre}']")).to_have_count(1)
    page.keyboard.press("Escape")
    assert sorted(chosen()) == sorted(wanted), chosen()


def select_options(page, label: str) -> list[str]:
    """The options of a select box: focused, opened with the arrow key, read, closed (opened again
    if the first key press only closed something else)."""
    box = page.get_by_role("combobox", name=label)
    options = page.get_by_role("option")
    for attempt in range(4):
        box.focus()
        box.press("ArrowDown")
        try:
            options.first.wait_for(timeout=15_000)
            break
        except Exception:
            if attempt == 3:
                screenshot(page, "real-failed-options")
                raise
            page.keyboard.press("Escape")
    texts = [options.nth(i).inner_text().strip() for i in range(options.count())]
    page.keyboard.press("Escape")
    return texts


def test_casting_brief_on_merged_catalog_casts_real_people(page, real_app):
    open_page(page, real_app, "casting", "Casting", MERGED)
    submit = page.get_by_role("button", name="Cast this brief")
    try:
        submit.wait_for(timeout=JOB_TIMEOUT)  # the first visit trains the model
    except Exception:
        screenshot(page, "real-failed-casting")
        raise
    wait_until_idle(page)
    page.get_by_label("Release year").fill("2016")
    page.get_by_label("Slate size").fill("10")
    pick_genres(page, ["Drama", "Thriller"])
    click_and_wait(page, submit)
    page.get_by_role("heading", name="Slate").wait_for(timeout=JOB_TIMEOUT)
    wait_until_idle(page)
    assert_no_exception(page)
    expect(page).to_have_url(re.compile(r"genres=Drama.*genres=Thriller|genres=Thriller.*genres=Drama"))  # the brief as submitted
    actors = select_options(page, "Details for")  # the slate's actors, in slate order
    assert len(actors) == 10, actors
    bad = [a for a in actors if NOT_PEOPLE.search(a)]
    assert not bad, f"the slate holds credit-list phrases, not people: {bad}"
    screenshot(page, "real-casting")


def sidebar_link(page, title: str):
    return page.get_by_test_id("stSidebarNav").get_by_text(title, exact=True)


def test_index_build_survives_navigation_and_can_be_cancelled(page, real_app):
    """Started on the Search page, the build keeps running while the person is on another page;
    back on Search its panel is live again, and Cancel stops it within seconds (Resume offered)."""
    open_page(page, real_app, "search", "Search", MERGED)
    expect(page.get_by_text(re.compile("has no up-to-date search index")).first).to_be_visible()
    click_and_wait(page, page.get_by_role("button", name="Build search index"), timeout=JOB_TIMEOUT)
    panel = page.get_by_test_id("stProgress").filter(has_text=f"Search index of {MERGED}")
    expect(panel).to_be_visible()
    expect(page.get_by_text(re.compile("You can leave this page")).first).to_be_visible()
    click_and_wait(page, sidebar_link(page, "Explore data"))
    page.get_by_role("heading", name="Explore data").first.wait_for()
    away_from = time.monotonic()
    time.sleep(5)  # away from Search for a while
    click_and_wait(page, sidebar_link(page, "Search"))
    page.get_by_role("heading", name="Search").first.wait_for()
    expect(panel).to_contain_text(re.compile(r"embedding · [\d,]+/[\d,]+"), timeout=JOB_TIMEOUT)
    done_before = int(re.search(r"embedding · ([\d,]+)/", panel.inner_text()).group(1).replace(",", ""))
    cancel = page.get_by_role("button", name="Cancel", exact=True)
    expect(cancel).to_be_visible()  # still running: leaving the page did not stop it
    screenshot(page, "real-search-build-running")
    away = time.monotonic() - away_from
    clicked = time.monotonic()
    cancel.click()
    resume = page.get_by_role("button", name="Resume")
    resume.wait_for(timeout=JOB_TIMEOUT)
    latency = time.monotonic() - clicked
    wait_until_idle(page)
    outcome = page.get_by_text(re.compile(r"cancelled after \d+")).first.inner_text()
    # measured, not asserted (a timed assert flakes under load): the encoder checks for a cancel
    # after every step of ~2 s of work (tests/search/test_encoder_steps.py), where it used to
    # finish a 256-film chunk first (minutes under load)
    print(f"index build cancel: Resume shown {latency:.1f} s after Cancel; {outcome}")
    done = int(re.search(r"embedding · ([\d,]+)/", outcome).group(1).replace(",", ""))
    assert done_before <= done < 3_000  # it kept embedding while the person was away, then stopped early
    elapsed = re.search(r"cancelled after (\d+(?:\.\d+)?) (s|min)", outcome)
    assert elapsed and float(elapsed.group(1)) * (60 if elapsed.group(2) == "min" else 1) >= away - 2, (outcome, away)
    expect(page.get_by_role("button", name="Dismiss")).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "real-search-build-cancelled")
    click_and_wait(page, page.get_by_role("button", name="Dismiss"))


def test_search_on_real_films(page, real_app):
    """A small Wikipedia slice imported from the page, indexed from the Search page, searched."""
    started = time.monotonic()
    import_one(page, real_app, "Wikipedia films (JSON files, one per decade)", "wiki1903", SEARCH_YEARS)
    print(f"search: wiki1903 imported in {time.monotonic() - started:.0f} s")
    open_page(page, real_app, "search", "Search", "wiki1903")
    click_and_wait(page, page.get_by_role("button", name="Build search index"), timeout=JOB_TIMEOUT)
    query = page.get_by_label("Query", exact=True)
    try:
        query.wait_for(timeout=JOB_TIMEOUT)
    except Exception:
        screenshot(page, "real-failed-search-build")
        raise
    wait_until_idle(page)
    print(f"search: index built and page ready at {time.monotonic() - started:.0f} s")
    query.fill("bandits hold up a train and rob the passengers")
    query.press("Enter")
    wait_until_idle(page, JOB_TIMEOUT)
    page.get_by_text(re.compile(r"\d+ results")).first.wait_for()
    first = page.get_by_text(re.compile(r"^1\. ")).first.inner_text()
    assert "Great Train Robbery" in first, first
    assert page.get_by_text(re.compile(r"^Why: ")).count() >= 1
    assert_no_exception(page)
    screenshot(page, "real-search")


LABELS = 10  # 5 "would watch", 5 "would not watch": the fewest 5-fold CV trains on, under the 30 it trusts


def test_labeling_a_few_titles_warns_about_a_too_small_model(page, real_app):
    open_page(page, real_app, "labeling", "Labeling", MERGED)
    labeled = page.get_by_test_id("stMetric").filter(has_text="Labeled").get_by_test_id("stMetricValue")
    expect(labeled).to_have_text("0")
    started = time.monotonic()
    for count in range(1, LABELS + 1):
        action = "Would watch" if count % 2 else "Would not watch"
        click_and_wait(page, page.get_by_role("button", name=action, exact=True))
        expect(labeled).to_have_text(str(count))
    print(f"labeling: {LABELS} labels in {time.monotonic() - started:.0f} s")
    page.get_by_role("tab", name="Model").click()
    click_and_wait(page, page.get_by_role("button", name="Train model"))
    model_tab = page.get_by_role("tabpanel", name="Model")
    quality = model_tab.get_by_text(re.compile(r"Cross-validated ROC-AUC"))
    try:  # the trained model's quality line, or the failed job's one line (then fail at once, saying it)
        quality.or_(model_tab.get_by_test_id("stAlertContentError")).first.wait_for(timeout=JOB_TIMEOUT)
        expect(quality.first).to_be_visible(timeout=1_000)
    except Exception:
        screenshot(page, "real-failed-labeling-train")
        raise
    wait_until_idle(page)
    warning = model_tab.get_by_test_id("stAlertContentWarning").filter(has_text="Unreliable model")
    expect(warning.first).to_be_visible()  # a warning, not a green check
    # at least the 20 it lacks of 30 (more when its cross-validated AUC is no better than chance)
    expect(warning.first).to_contain_text(re.compile(r"Label about ([2-9]\d) more titles and retrain"))
    # no green box speaks for the model, not even the background job's "done in" (shown once, on the
    # rerun after the job ends): that line is a warning carrying the caveat
    assert model_tab.get_by_test_id("stAlertContentSuccess").count() == 0, \
        model_tab.get_by_test_id("stAlertContentSuccess").all_inner_texts()
    expect(page.get_by_text(re.compile(r"\(unreliable\)")).first).to_be_visible()  # the card marks its percentage
    table = model_tab.get_by_test_id("stDataFrame").first
    expect(table).to_be_visible()
    assert "movie_id" not in table.inner_text()
    assert_no_exception(page)
    screenshot(page, "real-labeling")


def test_monitoring_shows_reliability_with_small_sample_warning(page, real_app):
    open_page(page, real_app, "monitoring", "Monitoring", MERGED)
    expect(page.get_by_text(re.compile(f"Catalog {MERGED} has no ratings")).first).to_be_visible()  # why, and the fix
    expect(page.get_by_role("link", name="Import ratings")).to_be_visible()
    assert_no_exception(page)
    screenshot(page, "real-monitoring-drift")
    page.get_by_role("tab", name="Reliability").click()
    reliability = page.get_by_role("tabpanel", name="Reliability")
    reliability.locator(".js-plotly-plot").first.wait_for()
    wait_until_idle(page)
    # the casting model and the 10-label personal model; the small one is drawn apart, with a warning
    expect(reliability.get_by_test_id("stAlertContentWarning").first).to_be_visible()
    for chart in plotly_traces(page):
        assert chart["title"], "every monitoring chart has a title"
        assert chart["points"] > 0, chart
    assert_no_exception(page)
    screenshot(page, "real-monitoring-reliability")
