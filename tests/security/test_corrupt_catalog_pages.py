"""Issue 12 item 8: a corrupt catalog (a truncated table, a broken manifest) is one clear line on
every page: no exception box, no traceback, no server path; the other catalogs stay usable."""
from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")
PAGES = ["pages/home.py", "pages/import.py", "pages/eda.py", "pages/search.py", "pages/labeling.py",
         "pages/casting.py", "pages/monitoring.py", "pages/download.py"]


def _truncate_movies(folder):
    path = folder / "movies.parquet"
    path.write_bytes(path.read_bytes()[:200])


def _garbage_manifest(folder):
    (folder / "manifest.json").write_bytes(b"{\"name\": \"broken\",")


@pytest.fixture(scope="module")
def broken_dirs(tmp_path_factory):
    """A good catalog and two broken ones, built once for the module in their own folders."""
    from core.catalog import store
    from core.catalog.demo import build_demo_catalog

    root = tmp_path_factory.mktemp("corrupt-catalogs")
    with pytest.MonkeyPatch.context() as patch:
        for variable, folder in (("MARQUEE_DATA_DIR", "data"), ("MARQUEE_ARTIFACTS_DIR", "artifacts"),
                                 ("MARQUEE_LOG_DIR", "logs")):
            patch.setenv(variable, str(root / folder))
        build_demo_catalog("good", n_movies=120, seed=3)
        for seed, (name, damage) in enumerate(DAMAGES.items(), start=4):
            build_demo_catalog(name, n_movies=120, seed=seed)
            damage(store.catalog_path(name))
        store.set_active("good")
        yield root


DAMAGES = {"truncated-movies": _truncate_movies, "garbage-manifest": _garbage_manifest}


@pytest.mark.parametrize("catalog", list(DAMAGES))
@pytest.mark.parametrize("page", PAGES, ids=[p.split("/")[1][:-3] for p in PAGES])
def test_a_corrupt_catalog_is_one_line_on_every_page(broken_dirs, monkeypatch, catalog, page):
    for variable, folder in (("MARQUEE_DATA_DIR", "data"), ("MARQUEE_ARTIFACTS_DIR", "artifacts"),
                             ("MARQUEE_LOG_DIR", "logs")):
        monkeypatch.setenv(variable, str(broken_dirs / folder))
    broken = broken_dirs  # the folder whose paths must never be shown
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["catalog"] = catalog
    at.run()
    if page != "pages/home.py":
        at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    shown = [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    text = " ".join(shown + [m.value for m in at.markdown] + [c.value for c in at.caption])
    assert "Traceback" not in text
    assert str(broken) not in " ".join(shown), shown  # no server path in what is shown as an error
    assert str(PROJECT_ROOT) not in text
    for message in (e.value for e in at.error):
        assert "\n" not in message.strip(), message
