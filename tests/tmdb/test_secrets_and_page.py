"""The key never reaches output, logs or files; the Download page drives a real crawl."""
from __future__ import annotations

import datetime as dt
import time

from streamlit.testing.v1 import AppTest

from core.catalog import store
from core.tmdb import jobs
from core.tmdb.fakefilms import FakeFilmsConfig
from tests.tmdb.helpers import PROJECT_ROOT, cli_env, run_cli

KEY = "v3-key-that-must-never-leak-7f3a9c"


def test_the_key_appears_in_no_output_log_or_file(tmdb_server, tmp_path):
    server = tmdb_server(FakeFilmsConfig(films=300, start="2018-01-01", end="2018-12-31"), api_key=KEY,
                         fault_rate=0.1, slow_seconds=0.5, max_pages=3)
    env = {**cli_env(server, tmp_path, key=KEY), "PYTHONUNBUFFERED": "1"}
    done = run_cli(["-v", "tmdb", "discover", "--catalog", "secret", "--from", "2018-01-01", "--to", "2018-04-30",
                    "--keep-work", "--timeout", "0.3", "--max-pages", "3", "--json"], env)
    assert done.returncode == 0, done.stderr
    assert server.stats.faults  # error paths (timeouts, 5xx, broken JSON) were exercised too
    failed = run_cli(["-v", "tmdb", "discover", "--catalog", "secret2", "--from", "2018-01-01", "--to", "2018-01-31",
                      "--api-base", server.base_url.replace("/3", "/nowhere")], env)
    assert failed.returncode == 2
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("batch-") for p in files) and (tmp_path / "secret" / "manifest.json").exists()
    for text in (done.stdout, done.stderr, failed.stdout, failed.stderr):
        assert KEY not in text
    for path in files:
        assert KEY.encode() not in path.read_bytes(), path


def test_download_page_checks_the_key_downloads_stops_and_resumes(tmdb_server, isolated_dirs, monkeypatch):
    server = tmdb_server(FakeFilmsConfig(films=400, start="2019-01-01", end="2019-12-31"),
                         latency=(0.004, 0.008))
    monkeypatch.setenv("TMDB_API_BASE", server.base_url)
    monkeypatch.setenv("TMDB_API_KEY", "marquee-test-key")
    store.write_catalog("seed", {"movies": __import__("pandas").DataFrame({"movie_id": [1], "title": ["Seed"]})},
                        source="test")
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("pages/download.py").run()
    assert not at.exception
    assert not [t for t in at.text_input if "base" in t.label.lower()]  # the API server is not a visitor's field
    assert any(server.base_url in c.value for c in at.caption)
    at.button(key="tmdb_check").click().run()
    assert any("popular films" in s.value for s in at.success)
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 5

    at.text_input(key="tmdb_key").set_value("")
    at.slider(key="tmdb_concurrency").set_value(2)
    form_inputs = {w.label: w for w in at.text_input}
    form_inputs["Catalog name"].set_value("web")
    [box for box in at.selectbox if box.label == "Release dates"][0].set_value("custom")
    dates = {d.label: d for d in at.date_input}
    dates["From (custom)"].set_value(dt.date(1999, 1, 1))
    dates["To (custom)"].set_value(dt.date(2019, 12, 31))
    [b for b in at.button if b.label == "Start download"][0].click().run()
    assert not at.exception
    job = jobs.latest_job()
    assert job.catalog == "web" and job.kwargs["options"].concurrency == 2

    deadline = time.monotonic() + 30
    while not (job.phase == "details" and job.done >= 20) and time.monotonic() < deadline:
        time.sleep(0.05)
    at.run()
    assert at.get("progress") and "films" in at.get("progress")[0].proto.text
    at.button(key="tmdb_stop").click().run()
    job.join(30)
    at.run()
    assert job.snapshot()["status"] == "stopped" and not store.exists("web")
    at.button(key="tmdb_resume").click().run()
    resumed = jobs.latest_job()
    assert resumed is not job
    resumed.join(60)
    at.run()
    assert not at.exception
    assert resumed.snapshot()["status"] == "complete"
    assert any("written" in s.value for s in at.success)
    assert len(store.load_catalog("web").movies) == len(server.films.ids_in_range("2019-01-01", "2019-12-31"))


def test_download_page_without_a_key_says_so_and_starts_nothing(tmdb_server, isolated_dirs, monkeypatch):
    """Issue 14 item 7: a clear "no TMDb key set" state with the key field; no job is created
    until a key checks out, and a bad key's error is shown once."""
    from core.tmdb import credentials

    server = tmdb_server(FakeFilmsConfig(films=50, start="2019-01-01", end="2019-12-31"), api_key=KEY)
    monkeypatch.setenv("TMDB_API_BASE", server.base_url)
    for name in ("TMDB_API_KEY", "TMDB_BEARER_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(credentials, "env_file_candidates", lambda: [])
    before = set(jobs._JOBS)
    at = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=300).run()
    at.switch_page("pages/download.py").run()
    assert not at.exception
    assert any("No TMDb key set" in w.value for w in at.warning)
    assert at.text_input(key="tmdb_key").value == ""
    assert at.button(key="tmdb_check").disabled
    starts = [b for b in at.button if b.label.startswith("Start ")]
    assert starts and all(b.disabled for b in starts)
    assert not at.error and "No download started" in at.info[0].value

    at.text_input(key="tmdb_key").set_value("wrong-key-123456").run()
    assert not at.warning and not at.button(key="tmdb_check").disabled
    [b for b in at.button if b.label == "Start download"][0].click().run()
    assert not at.exception
    assert set(jobs._JOBS) == before  # nothing started for a key that does not check out
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "did not check out" in errors[0] and "401" in errors[0]
    assert "wrong-key-123456" not in " ".join(errors)
    assert not [b for b in at.button if b.label == "Resume"]

    at.text_input(key="tmdb_key").set_value(KEY).run()
    [b for b in at.button if b.label == "Start download"][0].click().run()
    created = set(jobs._JOBS) - before
    assert len(created) == 1
    job = jobs._JOBS[created.pop()]
    job.join(60)
    assert job.snapshot()["status"] == "complete", job.snapshot()
