"""Kill -9 and resume, and stop/resume through the page's background jobs: nothing checkpointed is
fetched again, and the catalog ends byte-identical to an uninterrupted run."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.catalog import store
from core.tmdb import crawl, jobs
from core.tmdb.checkpoint import WorkDir
from core.tmdb.fakefilms import FakeFilmsConfig
from tests.tmdb.helpers import PROJECT_ROOT, cli_env, connection, options, run_cli

FILMS = FakeFilmsConfig(films=1000, start="2010-01-01", end="2011-12-31")
RANGE = ("2010-03-01", "2011-02-28")


@pytest.fixture(scope="module")
def server():
    """One server for the module (its films never change here); stats are reset per test."""
    from core.tmdb.fakefilms import FakeFilms
    from core.tmdb.testserver import ServerConfig, TMDbTestServer

    from core.tmdb.credentials import ENV_ALLOWED_HOSTS, host_port

    with TMDbTestServer(FakeFilms(FILMS), ServerConfig(max_pages=3, latency=(0.002, 0.005))) as running, \
            pytest.MonkeyPatch.context() as patch:
        patch.setenv(ENV_ALLOWED_HOSTS, host_port(running.base_url))  # the operator allow-lists it
        yield running


@pytest.fixture(scope="module")
def expected(server, tmp_path_factory) -> dict[str, str]:
    """Data-file checksums of an uninterrupted crawl."""
    data_dir = tmp_path_factory.mktemp("reference")
    crawl.discover("reference", *RANGE, connection=connection(server), options=options(max_pages=3),
                   data_dir=data_dir)
    return data_files(data_dir / "reference")


def data_files(catalog_dir: Path) -> dict[str, str]:
    """checksums.txt without the manifest (which carries its creation time)."""
    lines = (catalog_dir / "checksums.txt").read_text().splitlines()
    return {rel: digest for digest, rel in (line.split("  ", 1) for line in lines) if rel != "manifest.json"}


def wait_for(predicate, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert process is None or process.poll() is None, "the crawl ended before it could be interrupted"
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)


@pytest.mark.parametrize("phase", ["details", "discover"])
def test_sigkill_then_resume_gives_the_identical_catalog(server, expected, tmp_path, phase):
    server.reset_stats()
    data_dir = tmp_path / "data"
    work = WorkDir("killed", data_dir)
    args = ["tmdb", "discover", "--catalog", "killed", "--from", RANGE[0], "--to", RANGE[1],
            "--concurrency", "4", "--batch-size", "40", "--rate", "120" if phase == "details" else "40",
            "--max-pages", "3"]
    env = cli_env(server, data_dir)
    process = subprocess.Popen([sys.executable, "-m", "core", *args], cwd=PROJECT_ROOT, env={**os.environ, **env},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if phase == "details":
            wait_for(lambda: len(work.batch_files()) >= 3, 60, process)
        else:
            wait_for(lambda: work.windows.exists() and len([p for p in work.windows.glob("*.json")
                                                            if not p.name.endswith(".split.json")]) >= 2, 60, process)
        process.send_signal(signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
    assert not store.exists("killed", data_dir)
    done_ids = work.done_detail_ids()
    done_windows = {p.name for p in work.windows.glob("*.json")}
    server.reset_stats()

    finished = run_cli([*args, "--rate", "1000"], env)  # the rate is not part of the job: a resume may change it
    assert finished.returncode == 0, finished.stderr
    assert data_files(data_dir / "killed") == expected
    assert set(server.stats.detail_ids).isdisjoint(done_ids)
    assert max(server.stats.detail_ids.values()) == 1
    if phase == "details":
        assert len(done_ids) >= 120 and len(done_ids) % 40 == 0  # whole batches only
        assert server.stats.requests["discover/movie"] == 0 and server.stats.requests["genre/movie/list"] == 0
    else:
        assert len([n for n in done_windows if not n.endswith(".split.json")]) >= 2 and not done_ids


def test_stop_and_resume_through_the_page_jobs(server, expected, tmp_path):
    data_dir = tmp_path / "data"
    kwargs = dict(start=RANGE[0], end=RANGE[1], connection=connection(server),
                  options=options(max_pages=3, concurrency=4, batch_size=30, max_rate=150), data_dir=data_dir)
    job = jobs.start_job("discover", "paused", **kwargs)
    wait_for(lambda: job.phase == "details" and job.done >= 100, 60)
    job.stop()
    job.join(30)
    snapshot = job.snapshot()
    assert snapshot["status"] == "stopped" and 100 <= snapshot["done"] < snapshot["total"]
    assert not store.exists("paused", data_dir)
    kept = WorkDir("paused", data_dir).done_detail_ids()
    assert len(kept) == snapshot["done"]  # everything fetched before the stop was checkpointed
    server.reset_stats()
    resumed = jobs.resume(job)
    resumed.join(60)
    assert resumed.snapshot()["status"] == "complete", resumed.snapshot()
    assert set(server.stats.detail_ids).isdisjoint(kept) and server.stats.requests["discover/movie"] == 0
    assert data_files(data_dir / "paused") == expected
    assert not WorkDir("paused", data_dir).root.exists()  # the work folder goes once the catalog is written


def test_a_different_crawl_does_not_silently_reuse_a_work_folder(server, tmp_path):
    work = WorkDir("other", tmp_path)
    work.open("discover", {"start": "2001-01-01"})
    with pytest.raises(Exception, match="unfinished TMDb discover"):
        crawl.discover("other", *RANGE, connection=connection(server), options=options(max_pages=3), data_dir=tmp_path)
    crawl.discover("other", *RANGE, connection=connection(server), options=options(max_pages=3), data_dir=tmp_path,
                   restart=True)
    assert store.exists("other", tmp_path)
    assert json.loads((tmp_path / "other" / "manifest.json").read_text())["source"] == "tmdb"
