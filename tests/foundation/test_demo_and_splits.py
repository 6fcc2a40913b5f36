"""The synthetic demo catalog, temporal splitting and the catalog CLI."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core.catalog import store
from core.catalog.demo import build_demo_catalog
from core.catalog.splits import write_splits
from core.splitting import split_by_time, split_by_year
from tests.conftest import PROJECT_ROOT


def test_demo_is_deterministic_and_labelled(isolated_dirs):
    build_demo_catalog("one", seed=3, n_movies=300)
    build_demo_catalog("two", seed=3, n_movies=300)
    build_demo_catalog("other", seed=4, n_movies=300)
    one, two, other = (store.load_catalog(n) for n in ("one", "two", "other"))
    for table in store.TABLES:
        pd.testing.assert_frame_equal(one.table(table), two.table(table))
    assert not one.movies["title"].equals(other.movies["title"])
    assert one.synthetic and one.manifest["source"] == "synthetic demo generator"
    for name in ("actors", "directors", "users", "items"):
        assert (one.path / "ground_truth" / f"{name}.parquet").exists()
    assert store.verify_catalog("one") == []


def test_demo_catalog_has_plausible_structure(demo_catalog):
    movies, ratings = demo_catalog.movies, demo_catalog.ratings
    assert len(movies) == 3000
    assert movies["year"].between(1980, 2024).all()
    assert movies["original_language"].nunique() >= 8
    assert movies["overview"].str.len().min() > 40
    cast = demo_catalog.cast()
    # Every film has a director and a top-billed actor, billing starts at 0 without gaps.
    assert set(demo_catalog.directors()["movie_id"]) == set(movies["movie_id"])
    orders = cast.groupby("movie_id")["bill_order"].agg(["min", "max", "count"])
    assert (orders["min"] == 0).all() and (orders["max"] == orders["count"] - 1).all()
    assert 3.2 < ratings["rating"].mean() < 4.0
    assert ratings.groupby("user_id").size().min() >= 8
    # Nobody rates a film before it is released.
    released = ratings.merge(movies[["movie_id", "release_date"]], on="movie_id")
    assert (released["timestamp"].dt.date >= released["release_date"]).all()


def test_demo_truth_drives_outcomes(demo_catalog):
    """Films led by high star-power actors score higher: the truth the casting model must find."""
    truth = pd.read_parquet(demo_catalog.path / "ground_truth" / "actors.parquet")
    leads = demo_catalog.cast().query("bill_order == 0").merge(truth, on="person_id")
    leads = leads.merge(demo_catalog.movies[["movie_id", "vote_average"]], on="movie_id")
    correlation = np.corrcoef(leads["star_power"], leads["vote_average"])[0, 1]
    assert correlation > 0.3


def test_split_by_year_is_temporal_and_reports_undated():
    frame = pd.DataFrame({"year": [1990, 2000, 2005, 2010, 2020, None]})
    parts = split_by_year(frame, train_until=2000, valid_until=2010)
    assert parts["train"]["year"].tolist() == [1990, 2000]
    assert parts["valid"]["year"].tolist() == [2005, 2010]
    assert parts["test"]["year"].tolist() == [2020]
    assert len(parts["undated"]) == 1
    assert parts["train"]["year"].max() < parts["valid"]["year"].min() <= parts["valid"]["year"].max() < parts["test"]["year"].min()


def test_split_by_time_puts_cutoff_in_future():
    frame = pd.DataFrame({"timestamp": pd.to_datetime([1, 2, 3], unit="D", utc=True)})
    history, future = split_by_time(frame, frame["timestamp"].iloc[1])
    assert len(history) == 1 and len(future) == 2


def test_write_splits_keeps_ground_truth(isolated_dirs):
    build_demo_catalog("s", seed=1, n_movies=200)
    summary = write_splits("s", train_until=2005, valid_until=2015)
    catalog = store.load_catalog("s")
    train = pd.read_parquet(catalog.path / "splits" / "train.parquet")
    test = pd.read_parquet(catalog.path / "splits" / "test.parquet")
    assert train["year"].max() <= 2005 < 2015 < test["year"].min()
    assert sum(summary["counts"].values()) == 200
    assert (catalog.path / "ground_truth" / "actors.parquet").exists()
    assert store.verify_catalog("s") == []


def run_cli(*args, env_dir=None):
    import os

    env = dict(os.environ)
    if env_dir is not None:
        env["MARQUEE_DATA_DIR"] = str(env_dir / "data")
    return subprocess.run([sys.executable, "-m", "core", *args], capture_output=True, text=True, cwd=PROJECT_ROOT, env=env)


def test_cli_demo_catalogs_splits_and_errors(tmp_path):
    done = run_cli("demo", "--catalog", "clidemo", "--movies", "120", "--json", env_dir=tmp_path)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["movies"] == 120
    listed = json.loads(run_cli("catalogs", "--json", env_dir=tmp_path).stdout)
    assert [(c["name"], c["active"], c["synthetic"]) for c in listed] == [("clidemo", True, True)]
    splits = run_cli("splits", "--catalog", "clidemo", "--train-until", "2000", "--valid-until", "1990", env_dir=tmp_path)
    assert splits.returncode == 2 and "must not be before" in splits.stderr
    missing = run_cli("profile", "--catalog", "nope", env_dir=tmp_path)
    assert missing.returncode == 2 and "no catalog named 'nope'" in missing.stderr
    assert run_cli("verify", "--catalog", "clidemo", env_dir=tmp_path).returncode == 0
    for command in ("demo", "profile", "splits", "catalogs", "verify"):
        assert run_cli(command, "--help").returncode == 0


@pytest.mark.parametrize("n", [10])
def test_demo_refuses_tiny_catalog(isolated_dirs, n):
    from core.errors import MarqueeError

    with pytest.raises(MarqueeError, match="at least 50"):
        build_demo_catalog("tiny", n_movies=n)
