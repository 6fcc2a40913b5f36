"""`python -m core import …` and `python -m core merge …`: help, JSON output, errors, no leftovers."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from core.catalog import store
from core.cli import main
from tests.conftest import PROJECT_ROOT, require_shared_data


def _run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, expected", [
    (["import", "--help"], "movielens"), (["import", "wikipedia", "--help"], "--years"),
    (["import", "imdb5000", "--help"], "--catalog"), (["import", "movielens", "--help"], "--json"),
    (["merge", "--help"], "--into"),
])
def test_help(capsys, argv, expected):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 0
    assert expected in capsys.readouterr().out


def test_import_and_merge_real_slices(isolated_dirs, capsys):
    wiki = require_shared_data("wikipedia-movies")
    imdb = require_shared_data("imdb-5000", "movie_metadata.csv")
    code, out, err = _run(capsys, "import", "wikipedia", str(wiki), "--years", "1990-1999", "--catalog", "w90", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["catalog"] == "w90" and 2_800 <= summary["rows"]["movies"] <= 2_849
    assert "import wikipedia" in err  # progress goes to stderr
    code, out, err = _run(capsys, "import", "imdb5000", str(imdb), "--catalog", "imdb")
    assert code == 0, err
    assert "duplicate_imdb_link_rows_dropped=124" in out and "undecodable_bytes_replaced=1" in out
    code, out, err = _run(capsys, "merge", "w90", "imdb", "--into", "w90_imdb", "--json")
    assert code == 0, err
    report = json.loads(out)["report"]
    assert report["matched_base"] >= 600 and report["base"] == "w90"
    assert store.list_catalogs() == ["imdb", "w90", "w90_imdb"]
    assert store.read_manifest("w90_imdb")["report"]["matched_base"] == report["matched_base"]


def test_failed_import_exits_nonzero_and_leaves_nothing(isolated_dirs, capsys):
    bad = isolated_dirs / "movie_metadata.csv"
    bad.write_text("movie_title,budget\nHeat,1\n", encoding="utf-8")
    code, out, err = _run(capsys, "import", "imdb5000", str(bad), "--catalog", "broken")
    assert code == 2 and out == ""
    assert err.strip().splitlines()[-1].startswith("error: ") and "missing column(s)" in err
    data_dir = isolated_dirs / "data"
    assert not data_dir.exists() or [p.name for p in data_dir.iterdir()] == [".logs"]  # the error log only
    code, _, err = _run(capsys, "merge", "nope", "other", "--into", "x")
    assert code == 2 and "error: no catalog named 'nope'" in err


def test_module_entry_point_reports_errors(tmp_path):
    env = {**os.environ, "MARQUEE_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run([sys.executable, "-m", "core", "import", "movielens", str(tmp_path), "--catalog", "x"],
                          cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: ") and "not a MovieLens folder" in proc.stderr
    assert not (tmp_path / "data" / "x").exists()
