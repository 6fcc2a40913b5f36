"""The top-level CLI handler: every failure of every command is one ``error:`` line, exit status 2,
no traceback on the terminal; the traceback goes to the rotating log file with an incident id."""
from __future__ import annotations

import json
import re

import pytest

from core import cli, logs
from core.errors import MarqueeError
from tests.security.conftest import assert_one_line_error, run_cli


@pytest.fixture
def log_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("MARQUEE_LOG_DIR", str(tmp_path / "logs"))
    return tmp_path / "logs"


def _planted(monkeypatch, exc: BaseException) -> None:
    """Make ``python -m core catalogs`` raise ``exc`` (handlers are looked up at parser build)."""
    import core.catalog.cli as catalog_cli

    def boom(args):
        raise exc
    monkeypatch.setattr(catalog_cli, "_catalogs", boom)


@pytest.mark.parametrize("exc", [ValueError("cannot convert float NaN to integer"), KeyError("movie_id"),
                                 RecursionError("maximum recursion depth exceeded"), ZeroDivisionError("x"),
                                 TypeError("'NoneType' object is not subscriptable")],
                         ids=lambda e: type(e).__name__)
def test_unexpected_exceptions_are_one_line_and_logged(exc, monkeypatch, capsys, log_dir):
    _planted(monkeypatch, exc)
    assert cli.main(["catalogs"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1 and err.startswith("error: ")
    incident = re.search(r"incident ([0-9a-f]{8})", err).group(1)
    logged = (log_dir / logs.LOG_FILE).read_text()
    assert f"incident {incident}" in logged and "Traceback (most recent call last)" in logged
    assert type(exc).__name__ in logged and "boom" in logged  # the frame that raised it


def test_marquee_errors_print_their_message_and_are_logged(monkeypatch, capsys, log_dir):
    _planted(monkeypatch, MarqueeError("catalog 'x' failed its checksum check:\nmovies.parquet: mismatch"))
    assert cli.main(["catalogs"]) == 2
    err = capsys.readouterr().err
    assert err == "error: catalog 'x' failed its checksum check: movies.parquet: mismatch\n"
    assert "Traceback" in (log_dir / logs.LOG_FILE).read_text()


def test_secrets_never_reach_the_terminal_or_the_log(monkeypatch, capsys, log_dir):
    secret = "Bearer eyJhbGciOiJIUzI1NiJ9.tail\nsecond-line-of-token"
    _planted(monkeypatch, RuntimeError(f"GET https://evil.example/3/movie?api_key=abcdef123456 failed; {secret}"))
    assert cli.main(["catalogs"]) == 2
    err = capsys.readouterr().err
    logged = (log_dir / logs.LOG_FILE).read_text()
    for text in (err, logged):
        assert "abcdef123456" not in text and "eyJhbGciOiJIUzI1NiJ9" not in text
    assert "second-line-of-token" not in err  # the message is not echoed for unexpected errors


def test_file_errors_are_one_line(monkeypatch, capsys, log_dir):
    _planted(monkeypatch, PermissionError(13, "Permission denied", "/srv/marquee/data/x/movies.parquet"))
    assert cli.main(["catalogs"]) == 2
    assert capsys.readouterr().err == "error: Permission denied: /srv/marquee/data/x/movies.parquet\n"


def test_an_unwritable_log_folder_does_not_turn_one_error_into_two(monkeypatch, capsys, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("MARQUEE_LOG_DIR", str(blocker / "logs"))
    _planted(monkeypatch, ValueError("x"))
    assert cli.main(["catalogs"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected ValueError") and err.count("\n") == 1


def test_the_log_rotates(monkeypatch, log_dir):
    monkeypatch.setattr(logs, "MAX_BYTES", 20_000)
    monkeypatch.setattr(logs, "_handler_for", {})
    for _ in range(60):
        logs.log_exception(ValueError("x" * 500), "test")
    files = sorted(p.name for p in log_dir.iterdir())
    assert files[:2] == ["marquee.log", "marquee.log.1"] and len(files) <= 1 + logs.BACKUPS


def test_user_message_hides_server_paths(monkeypatch, tmp_path):
    from core import config

    monkeypatch.setenv("MARQUEE_DATA_DIR", str(tmp_path / "srv-data"))
    message = logs.user_message(MarqueeError(f"{config.data_dir()}/wiki/movies.parquet: checksum mismatch"))
    assert message == "data/wiki/movies.parquet: checksum mismatch"
    assert logs.user_message(ValueError("/srv/secret/path"), "Casting page", "abcd1234") == \
        "unexpected ValueError in Casting page (incident abcd1234; the traceback is in the log)"
    assert "/srv" not in logs.user_message(OSError(2, "No such file", f"{config.data_dir()}/x"))


@pytest.mark.parametrize("args,fragment", [
    (["splits", "--train-until", "nineteen", "--valid-until", "2000"], "argument --train-until"),
    (["nonsense"], "invalid choice"),
    (["catalogs", "--activate", "demo\n"], "argument --activate"),
    (["catalogs", "--activate", "../../etc"], "argument --activate"),
    (["verify", "--catalog", "no_such_catalog"], "no catalog"),
    (["import", "wikipedia", "/nonexistent/folder", "--catalog", "w"], "not found"),
])
def test_cli_failures_are_one_line(args, fragment, cli_dirs):
    assert_one_line_error(run_cli(args, cli_dirs), fragment)


BRIEF = ["casting", "brief", "--catalog", "demo", "--year", "2010", "--budget", "10", "--genres", "Drama"]


@pytest.mark.parametrize("args,fragment", [
    # issue 12 item 6: refused by the parser, before any catalog is read or a model trained
    (BRIEF + ["--alpha-cycle", "inf"], "argument --alpha-cycle: must be a finite number in [0, 5], got 'inf'"),
    (BRIEF + ["--director-weight", "nan"], "argument --director-weight: must be a finite number"),
    (BRIEF[:6] + ["--budget", "inf", "--genres", "Drama"], "argument --budget"),
    (BRIEF[:4] + ["--year", "99999999999", "--budget", "10", "--genres", "Drama"], "argument --year"),
    (BRIEF + ["--n", "-1"], "argument --n"),
    (BRIEF + ["--bill-order", "0"], "argument --bill-order"),
    (BRIEF[:8] + ["--genres", "Drama\x1b[31m"], "argument --genres: must not contain control characters"),
    (BRIEF + ["--language", "e\x1bn"], "argument --language"),
    (["casting", "train", "--catalog", "demo", "--quantile", "nan"], "argument --quantile"),
    (["casting", "train", "--catalog", "demo", "--cutoff", "99999999999999999999"], "argument --cutoff"),
    (["search", "--catalog", "demo", "--dense-weight", "inf", "a heist"], "dense_weight, sparse_weight, rrf_k"),
    # issue 12 item 8: outputs pointing at a folder, a system path or a file where a folder is needed
    (["casting", "train", "--catalog", "demo", "--predictions", "/tmp"], "argument --predictions: is a folder"),
    (["casting", "train", "--catalog", "demo", "--predictions", "/proc/self/status"], "is a system path"),
    (BRIEF + ["--out", "/proc"], "argument --out: is a system path"),
    (BRIEF + ["--out", "/proc/self/x"], "argument --out: is a system path"),
    (BRIEF + ["--out", "/etc/hostname"], "argument --out: is not a folder"),
    (BRIEF + ["--out", "/nonexistent/a/b"], "argument --out: neither it nor its parent folder exists"),
    (["personal", "label", "--profile", "p", "--catalog", "demo", "--export-csv", "/proc/self/x"],
     "--export-csv: is a system path"),
    (["personal", "label", "--profile", "p", "--catalog", "demo", "--export-csv", "/tmp"], "--export-csv: is a folder"),
])
def test_bad_numbers_and_outputs_are_refused_up_front(args, fragment, cli_dirs):
    line = assert_one_line_error(run_cli(args, cli_dirs), fragment)
    assert "incident" not in line  # an expected refusal, not an unexpected error


def test_deeply_nested_json_is_one_line(tmp_path, cli_dirs):
    deep = tmp_path / "movies-1990s.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    assert_one_line_error(run_cli(["import", "wikipedia", str(deep), "--catalog", "deep"], cli_dirs))


def test_json_output_is_strict_json(capsys):
    cli.emit({"r2": float("nan"), "budget": float("inf"), "rows": [1.5, float("-inf")]}, as_json=True)
    out = capsys.readouterr().out
    assert "NaN" not in out and "Infinity" not in out
    assert json.loads(out) == {"r2": None, "budget": None, "rows": [1.5, None]}
