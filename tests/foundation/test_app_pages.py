"""AppTests for the app shell, the Home page and the EDA page."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from core.catalog import store
from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


def plotly_titles(at: AppTest) -> list[str]:
    titles = []
    for element in at.get("plotly_chart"):
        spec = json.loads(element.proto.spec)
        titles.append(spec["layout"].get("title", {}).get("text", ""))
    return titles


def decode_plotly_array(value) -> list:
    """Plotly ships numeric arrays as base64 typed buffers ({"dtype", "bdata"}) or plain lists."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=np.dtype(value["dtype"])).tolist()
    return list(value)


def test_fresh_machine_builds_labelled_demo(isolated_dirs):
    at = AppTest.from_file(APP, default_timeout=300).run()
    assert not at.exception
    assert store.list_catalogs() == ["demo"]
    assert any("synthetic demo data" in w.value for w in at.warning)
    assert [m.value for m in at.metric][:1] == ["3,000"]
    assert "synthetic" in " ".join(c.value for c in at.sidebar.caption)


def eda_sections(at: AppTest) -> dict[str, AppTest]:
    """Open every EDA section (they render one at a time) and collect chart titles per section."""
    titles = {}
    for section in ("overview", "popularity", "money", "gaps", "people", "posters"):
        at.segmented_control(key="section").set_value(section).run()
        assert not at.exception, section
        titles[section] = plotly_titles(at)
    return titles


def test_eda_page_on_demo_catalog(demo_catalog):
    store.set_active("demo")  # other tests may have activated their own catalogs
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/eda.py").run()
    assert not at.exception
    per_year = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"]
    assert sum(decode_plotly_array(per_year)) == 3000
    assert len(at.get("plotly_chart")) == 5  # the overview only: other sections render when chosen
    titles = [t for section in eda_sections(at).values() for t in section]
    for expected in ("Films per year", "Runtime", "Original language", "Genre mix", "Budget vs revenue",
                     "Missing values by decade", "Most-credited actors", "Most-credited directors",
                     "Vote average vs vote count", "Share of films per genre by decade"):
        assert any(t.startswith(expected) for t in titles), (expected, titles)
    assert any("No poster URLs" in i.value for i in at.info)
    at.segmented_control(key="section").set_value("popularity").run()
    skew = at.dataframe[0].value
    assert skew["films"].iloc[0] == "3,000" and all("e+" not in v for v in skew["mean"])  # formatted numbers


def test_sidebar_switches_catalog(demo_catalog, isolated_dirs):
    from core.catalog.demo import build_demo_catalog

    build_demo_catalog("small", n_movies=100, seed=2)
    build_demo_catalog("demo", n_movies=200, seed=1)
    at = AppTest.from_file(APP, default_timeout=300).run()
    picker = at.sidebar.selectbox(key="catalog_picker")
    assert picker.options == ["demo", "small"] and picker.value == "demo"
    # AppTest re-executes only the page script on reruns of an st.navigation app (Streamlit
    # 1.67), so the sidebar choice is made through the widget's key before a fresh first run.
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["catalog_picker"] = "small"
    at.run()
    assert not at.exception
    assert [m.value for m in at.metric][0] == "100"
    assert store.get_active() == "small"


def test_home_and_eda_on_real_catalog(wiki_imdb_catalog, wikipedia_catalog):
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["catalog_picker"] = "wiki_imdb"
    at.run()
    assert not at.exception
    assert not any("synthetic" in w.value for w in at.warning)
    assert int(at.metric[0].value.replace(",", "")) == len(wiki_imdb_catalog.movies) > 30000
    at.switch_page("pages/eda.py").run()
    assert not at.exception
    per_year = json.loads(at.get("plotly_chart")[0].proto.spec)["data"][0]["y"]
    assert sum(decode_plotly_array(per_year)) == wiki_imdb_catalog.movies["year"].notna().sum()
    titles = eda_sections(at)
    assert any(t.startswith("Budget vs revenue") for t in titles["money"])
    # Wikipedia thumbnails are poster URLs: the gallery shows images, not the empty state.
    assert len(at.get("imgs")) > 0 or not any("No poster URLs" in i.value for i in at.info)

    # Wikipedia alone has no runtimes, votes or popularity: it says so instead of drawing empty axes.
    at = AppTest.from_file(APP, default_timeout=300)
    at.session_state["catalog_picker"] = "wiki"
    at.run()
    at.switch_page("pages/eda.py").run()
    assert not at.exception
    notes = " ".join(i.value for i in at.info)
    assert "No data for runtime in this catalog." in notes
    at.segmented_control(key="section").set_value("popularity").run()
    assert "No data for popularity" in " ".join(i.value for i in at.info)
    for spec in (json.loads(c.proto.spec) for c in at.get("plotly_chart")):
        assert all(len(decode_plotly_array(trace.get("x", []))) > 0 for trace in spec["data"]), "an empty chart"


def test_every_page_is_registered_and_imports_the_app_state_package():
    """A page must import pages.state first: that import is what hands a bookmarked URL on a fresh
    server over to app.py's navigation (see pages/state/__init__.py)."""
    import ast

    app_source = (PROJECT_ROOT / "app.py").read_text()
    pages = sorted(p for p in (PROJECT_ROOT / "pages").glob("*.py") if p.name != "__init__.py")
    assert len(pages) >= 7
    for page in pages:
        assert f'"pages/{page.name}"' in app_source, f"{page.name} is not in app.py's navigation"
        tree = ast.parse(page.read_text())
        imported = {node.module for node in tree.body if isinstance(node, ast.ImportFrom)}
        assert "pages.state" in imported, f"{page.name} does not import pages.state"


def test_a_broken_page_shows_one_line_and_logs_the_traceback(demo_catalog, monkeypatch, tmp_path):
    """The error boundary in app.py: no traceback or server path reaches the page."""
    from core.catalog import eda

    monkeypatch.setenv("MARQUEE_LOG_DIR", str(tmp_path / "logs"))
    store.set_active("demo")

    def broken(*args, **kwargs):
        raise KeyError(f"{PROJECT_ROOT}/core/catalog/eda.py secret detail")
    monkeypatch.setattr(eda, "summarize", broken)
    from pages.state import eda as eda_state

    eda_state._summary.clear()
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/eda.py").run()
    eda_state._summary.clear()
    assert not at.exception  # handled, not Streamlit's exception box
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("unexpected KeyError in page Explore data (incident ")
    assert str(PROJECT_ROOT) not in errors[0] and "Traceback" not in errors[0]
    incident = errors[0].split("incident ")[1].split(";")[0]
    log = (tmp_path / "logs" / "marquee.log").read_text()
    assert incident in log and "Traceback" in log and "secret detail" in log


def test_a_shared_link_opens_its_catalog(demo_catalog, isolated_dirs):
    from core.catalog.demo import build_demo_catalog

    build_demo_catalog("small", n_movies=100, seed=2)
    build_demo_catalog("demo", n_movies=200, seed=1)
    store.set_active("demo")
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params["catalog"] = "small"
    at.run()
    assert not at.exception
    assert at.sidebar.selectbox(key="catalog_picker").value == "small"
    assert [m.value for m in at.metric][0] == "100"
    at = AppTest.from_file(APP, default_timeout=300)  # a fresh session without a link: the stored choice
    at.run()
    assert at.query_params["catalog"] in ("small", ["small"])  # the URL names the catalog shown


def test_every_page_url_is_its_file_name():
    """A bookmarked page URL opens that page on a fresh server too: before app.py's first
    ``st.navigation`` call, Streamlit resolves the URL against the files in ``pages/`` by their
    names (``/import`` against ``pages/imports.py`` showed "Page not found"). So each page's
    ``url_path`` must be its file name, and every page file must be in the navigation."""
    import ast

    tree = ast.parse((PROJECT_ROOT / "app.py").read_text())
    pages = {}
    for call in ast.walk(tree):
        if isinstance(call, ast.Call) and getattr(call.func, "attr", None) == "Page":
            path = call.args[0].value
            options = {k.arg: k.value.value for k in call.keywords if isinstance(k.value, ast.Constant)}
            pages[path] = options
    files = sorted(f"pages/{p.name}" for p in (PROJECT_ROOT / "pages").glob("*.py") if p.name != "__init__.py")
    assert sorted(pages) == files
    for path, options in pages.items():
        stem = path.removeprefix("pages/").removesuffix(".py")
        if options.get("default"):
            continue  # the default page is "/"
        assert options.get("url_path", stem) == stem, f"{path}: url_path {options['url_path']!r} is not its file name"
