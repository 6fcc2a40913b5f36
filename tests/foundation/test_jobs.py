"""core.jobs: background work with progress, measured rate/ETA, cancel, resume, one job per key."""
from __future__ import annotations

import threading

import pytest

from core.errors import MarqueeError
from core.io import staged_dir
from core.jobs import JobRunner, format_duration
from core.progress import Cancelled


def counting_work(cache: dict, gate: threading.Event | None = None, stop_at: int | None = None,
                  n: int = 100, target=None):
    """Processes items 0..n-1, skipping those already in ``cache`` (what a resume starts from)."""
    def work(progress):
        todo = [i for i in range(n) if i not in cache]
        if target is not None:
            with staged_dir(target) as staging:
                (staging / "partial.txt").write_text("begun")
                return work_items(progress, todo)
        return work_items(progress, todo)

    def work_items(progress, todo):
        for done, item in enumerate(todo, start=1):
            if stop_at is not None and item == stop_at and gate is not None:
                gate.wait(10)  # hold here until the test has asked for the cancel
            cache[item] = item * item
            progress(done, len(todo), "squaring: item")
        return {"processed": len(todo)}
    return work


@pytest.fixture
def runner(tmp_path):
    return JobRunner(throughput_file=tmp_path / "throughput.json")


def test_a_job_runs_in_the_background_and_reports(runner):
    cache: dict = {}
    job = runner.start("squares", "squares:a", counting_work(cache), title="Squares")
    assert job.join(10)
    snap = job.snapshot()
    assert snap.status == "complete" and snap.result == {"processed": 100}
    assert (snap.done, snap.total, snap.fraction, snap.phase) == (100, 100, 1.0, "squaring")
    assert len(cache) == 100 and not snap.running
    assert "complete after" in snap.describe()


def test_cancel_stops_at_the_next_progress_call_and_resume_picks_up_from_the_cache(runner, tmp_path):
    cache: dict = {}
    gate = threading.Event()
    target = tmp_path / "out"
    job = runner.start("squares", "squares:b", counting_work(cache, gate, stop_at=40, target=target), title="Squares")
    while job.done < 40:  # the work is parked at item 40, after reporting 40 items
        threading.Event().wait(0.01)
    running = job.snapshot()
    assert running.running and running.fraction == pytest.approx(0.4)
    assert running.rate is not None and running.rate > 0 and running.eta_s is not None
    assert "left" in running.describe()
    assert runner.start("squares", "squares:b", counting_work({})) is job  # one running job per key

    job.cancel()
    assert job.snapshot().status == "cancelling"
    gate.set()
    assert job.join(10)
    assert job.snapshot().status == "cancelled" and job.snapshot().error is None
    assert job.snapshot().outcome() == ("Squares: cancelled after 40 of 100 in squaring. Resume continues from "
                                        "what was saved.")
    assert len(cache) == 41  # item 40 was processed, its progress call raised
    assert not target.exists() and not list(tmp_path.glob(".out*"))  # the staged write cleaned up

    resumed = runner.resume(job)
    assert resumed is not job and resumed.join(10)
    assert resumed.snapshot().result == {"processed": 59} and len(cache) == 100
    assert runner.current("squares:b") is resumed


def test_failures_are_one_line_and_bugs_get_an_incident_in_the_log(runner, tmp_path, monkeypatch):
    monkeypatch.setenv("MARQUEE_LOG_DIR", str(tmp_path / "logs"))

    def bad_input(progress):
        raise MarqueeError("slate size must be a whole number from 1 to 50, got -1")

    def bug(progress):
        progress(1, 2, "working")
        return {}["missing"]

    failed = runner.start("x", "x:1", bad_input)
    failed.join(10)
    assert failed.snapshot().status == "failed"
    assert failed.snapshot().error == "slate size must be a whole number from 1 to 50, got -1"

    crashed = runner.start("x", "x:2", bug, title="Bug job")
    crashed.join(10)
    error = crashed.snapshot().error
    assert error.startswith("unexpected KeyError in Bug job (incident ") and "\n" not in error
    incident = error.split("incident ")[1].split(";")[0]
    log = (tmp_path / "logs" / "marquee.log").read_text()
    assert incident in log and "Traceback" in log and "Traceback" not in error


def test_a_job_without_a_measured_rate_says_how_long_it_has_run(runner):
    gate = threading.Event()
    job = runner.start("slow", "slow:a", counting_work({}, gate, stop_at=0, n=10), title="Slow")
    line = job.snapshot().describe()
    assert "running for" in line and "no rate measured yet" in line, line
    gate.set()
    assert job.join(10)


def test_cancelled_is_not_swallowed_by_ordinary_handlers():
    """Core code with ``except Exception`` must let a cancel through."""
    def careless(progress):
        try:
            progress(1, 2, "")
        except Exception:
            return "swallowed"
        return "finished"

    def progress(done, total, message=""):
        raise Cancelled("stop")

    with pytest.raises(Cancelled):
        careless(progress)


def test_measured_rate_is_kept_per_kind_for_the_next_estimate(runner):
    assert runner.measured_rate("squares") is None and runner.estimate_s("squares", 1000) is None
    def slow_work(progress):  # 50 items over about 1.5 s: long enough to be a measurement
        for done in range(1, 51):
            threading.Event().wait(0.03)
            progress(done, 50, "squaring")
        return done

    job = runner.start("squares", "squares:c", slow_work)
    job.join(10)
    rate = runner.measured_rate("squares")
    assert rate is not None and 0 < rate <= 49 / (49 * 0.03)  # never faster than the work's own pace
    assert runner.estimate_s("squares", 1000) == pytest.approx(1000 / rate)
    tiny = runner.start("tiny", "tiny:1", counting_work({}, n=500))  # too short a stretch to measure
    tiny.join(10)
    assert runner.measured_rate("tiny") is None


def test_forget_drops_finished_jobs_of_a_key(runner):
    job = runner.start("squares", "squares:d", counting_work({}, n=3))
    job.join(10)
    runner.forget("squares:d")
    assert runner.current("squares:d") is None and runner.get(job.id) is None


def test_durations_read_naturally():
    assert [format_duration(s) for s in (4, 89, 600, 7200)] == ["4 s", "89 s", "10 min", "2.0 h"]
