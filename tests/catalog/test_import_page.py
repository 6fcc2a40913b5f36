"""The Import page (AppTest) and its upload handling: same core calls as the CLI, in the
background, report as tables; uploads confined to a temporary folder, hostile zips refused."""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.catalog import store
from core.errors import MarqueeError
from core.jobs import RUNNER
from tests.conftest import PROJECT_ROOT, require_shared_data

APP = str(PROJECT_ROOT / "app.py")

RATINGS = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.0,964981247\n2,1,5.0,964982224\n"
MOVIES = "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n2,Jumanji (1995),Adventure|Fantasy\n"


def upload(name: str, payload: bytes):
    """What st.file_uploader hands the page: a readable file object with a name."""
    handle = io.BytesIO(payload)
    handle.name = name
    return handle


def zipped(members: dict[str, str], links: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)  # a symbolic link
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def finish(key: str = "catalog-import") -> dict:
    job = RUNNER.current(key)
    assert job is not None and job.join(300), "the import did not finish"
    snapshot = job.snapshot()
    assert snapshot.status == "complete", snapshot.error
    return snapshot.result


def test_an_uploaded_movielens_zip_is_imported_and_the_upload_folder_removed(isolated_dirs):
    from pages.state import imports

    chosen = ("upload", [upload("ml-tiny.zip", zipped({"ml-tiny/ratings.csv": RATINGS, "ml-tiny/movies.csv": MOVIES}))])
    imports.start_from("movielens", chosen, "tinylens")
    outcome = finish()
    assert outcome["catalog"] == "tinylens" and outcome["rows"]["ratings"] == 3
    assert store.load_catalog("tinylens").movies["title"].tolist() == ["Toy Story", "Jumanji"]
    assert list(imports.uploads_root().iterdir()) == []  # nothing left behind
    tables = imports.report_tables(outcome)
    assert tables["Rows written"].set_index("table")["rows"].to_dict()["movies"] == 2


@pytest.mark.parametrize("members, links, message", [
    ({"../evil.csv": "x"}, (), "unsafe path"),
    ({"/etc/cron.d/evil": "x"}, (), "unsafe path"),
    ({"ratings.csv": RATINGS}, ("movies.csv",), "holds a link"),
    ({"notes.txt": "no movielens here"}, (), "holds no MovieLens files"),
])
def test_hostile_or_wrong_zips_are_refused_and_nothing_is_left(isolated_dirs, members, links, message):
    from pages.state import imports

    with pytest.raises(MarqueeError, match=message):
        imports.save_uploads([upload("bad.zip", zipped(members, links))], "movielens")
    assert list(imports.uploads_root().iterdir()) == []
    assert not (isolated_dirs / "evil.csv").exists()


def test_upload_names_and_types_are_checked(isolated_dirs, monkeypatch):
    from pages.state import imports

    for bad in ("../../x.csv", "a\nb.csv", ".hidden.csv"):
        name = imports.safe_file_name(bad) if bad == "../../x.csv" else None
        if name is not None:
            assert name == "x.csv"  # only the base name is ever used
        else:
            with pytest.raises(MarqueeError, match="not allowed"):
                imports.safe_file_name(bad)
    with pytest.raises(MarqueeError, match="not a csv file"):
        imports.save_uploads([upload("movie_metadata.exe", b"MZ")], "imdb5000")
    with pytest.raises(MarqueeError, match="not a readable zip"):
        imports.save_uploads([upload("ml.zip", b"not a zip")], "movielens")
    monkeypatch.setattr(imports, "MAX_MEMBERS", 2)
    with pytest.raises(MarqueeError, match="at most 2"):
        imports.save_uploads([upload("ml.zip", zipped({"a": "1", "b": "2", "c": "3"}))], "movielens")
    assert list(imports.uploads_root().iterdir()) == []


def test_server_inputs_are_confined_to_the_data_folder(tmp_path):
    from pages.state import imports

    root = tmp_path / "shared"
    (root / "ml").mkdir(parents=True)
    (root / "ml" / "ratings.csv").write_text(RATINGS)
    (root / "ml" / "movies.csv").write_text(MOVIES)
    (root / "imdb").mkdir()
    (root / "imdb" / "movie_metadata.csv").write_text("x")
    (root / "escape").symlink_to("/etc")
    assert [c.label for c in imports.server_choices("movielens", root)] == ["ml"]
    assert [c.label for c in imports.server_choices("imdb5000", root)] == ["imdb/movie_metadata.csv"]
    with pytest.raises(MarqueeError, match="data set"):
        imports.server_path("../../etc/passwd", root)
    with pytest.raises(MarqueeError, match="data set"):
        imports.server_path("escape/passwd", root)


def test_import_page_imports_from_the_server_folder_and_shows_the_report(isolated_dirs, monkeypatch):
    shared = require_shared_data("imdb-5000", "movie_metadata.csv").parent.parent
    monkeypatch.setenv("MARQUEE_SHARED_DATA", str(shared))
    at = AppTest.from_file(APP, default_timeout=300).run()  # a fresh machine: the demo is built first
    at.switch_page("pages/import.py").run()
    assert not at.exception
    at.selectbox(key="import-source").set_value("imdb5000").run()
    assert at.selectbox(key="import-choice-imdb5000").value == "imdb-5000/movie_metadata.csv"
    at.button(key="import-start").click().run()
    assert not at.exception
    outcome = finish()
    at.run()
    assert not at.exception
    assert outcome["catalog"] == "imdb5000" and outcome["rows"]["movies"] > 4000
    assert any("Catalog imdb5000 is ready" in s.value for s in at.success)
    shown = {d.value.columns[0]: d.value for d in at.dataframe}
    assert shown["table"].set_index("table")["rows"]["movies"] == outcome["rows"]["movies"]
    assert "repair" in shown and shown["repair"]["count"].sum() > 0  # repairs as a readable table

    at.button(key="import-start").click().run()  # the same name again: asks before replacing
    assert any(b.key == "import-replace-confirm" for b in at.button)
    at.button(key="import-replace-cancel").click().run()
    assert not any(b.key == "import-replace-confirm" for b in at.button)

    at.button(key="import-open").click().run()
    # the sidebar's picker reads this key (AppTest runs a page whose URL is its file name, as
    # /import = pages/import.py now is, without app.py's sidebar; the browser test sees the picker)
    assert at.session_state["catalog_picker"] == "imdb5000"


def test_merge_from_the_page(isolated_dirs):
    from core.catalog.demo import build_demo_catalog

    build_demo_catalog("left", n_movies=120, seed=5)
    build_demo_catalog("right", n_movies=120, seed=5)
    right = store.load_catalog("right")  # the same films, without the ratings: merging a catalog with a
    store.rewrite_catalog(right, tables={**store.catalog_tables(right),  # copy of itself is refused
                                         "ratings": right.ratings.iloc[0:0]})
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/import.py").run()
    at.selectbox(key="merge-base").set_value("left")
    at.selectbox(key="merge-other").set_value("right")
    at.text_input(key="merge-into").input("left_right")
    at.button(key="merge-start").click().run()
    assert not at.exception
    outcome = finish()
    at.run()
    assert outcome["catalog"] == "left_right" and store.exists("left_right")
    matches = next(d.value for d in at.dataframe if "side" in d.value.columns)
    assert matches.set_index("side")["matched"]["base"] == 120  # the same films on both sides
    assert Path(store.catalog_path("left_right")).is_dir()
