"""The engine switch, Spark-less behaviour, and reading catalogs with Spark (year partitions, URIs)."""
from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from core.cli import main
from core.engine import engine_setting, is_connect_url, spark_master
from core.errors import MarqueeError


# ------------------------------------------------------------------ settings (no Spark needed)
def test_engine_setting_reads_flag_then_environment(monkeypatch):
    monkeypatch.delenv("MARQUEE_ENGINE", raising=False)
    assert engine_setting() == "local"
    monkeypatch.setenv("MARQUEE_ENGINE", "Spark")
    assert engine_setting() == "spark"
    assert engine_setting("local") == "local"
    monkeypatch.setenv("MARQUEE_ENGINE", "hadoop")
    with pytest.raises(MarqueeError, match="engine 'hadoop' is not known"):
        engine_setting()


@pytest.mark.parametrize("master", ["local", "local[*]", "local[2]", "local[4,2]", "yarn", "spark://10.0.0.5:7077",
                                    "k8s://https://api.example:6443", "sc://localhost:15002",
                                    "sc://spark.example/;token=abc;use_ssl=true"])
def test_spark_masters_accepted(master):
    assert spark_master(master) == master


@pytest.mark.parametrize("master", ["local[0]", "local[x]", "http://host", "sc://host:15002\nX", "", "local[*];rm -rf /",
                                    "spark://" + "a" * 300])
def test_bad_spark_masters_refused_in_one_line(master, monkeypatch):
    monkeypatch.setenv("MARQUEE_SPARK_MASTER", master)
    if master == "":
        assert spark_master() == "local[*]"  # empty means the default
        return
    with pytest.raises(MarqueeError, match="MARQUEE_SPARK_MASTER") as caught:
        spark_master()
    assert "\n" not in str(caught.value)


def test_connect_urls_are_recognised():
    assert is_connect_url("sc://localhost:15002") and not is_connect_url("local[2]")


def test_without_pyspark_commands_fail_with_one_clear_line(monkeypatch, capsys, demo_catalog):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark → ImportError
    monkeypatch.setattr("core.spark.session._SESSION", {})  # as in a process where none could start
    status = main(["cf", "train", "--catalog", "demo", "--engine", "spark"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and err == ["error: pyspark is not installed (pip install -e '.[spark]')"]
    status = main(["index", "build", "--catalog", "demo", "--engine", "spark"])
    assert status == 2 and "pyspark is not installed" in capsys.readouterr().err
    status = main(["casting", "train", "--catalog", "demo", "--engine", "spark"])
    assert status == 2 and "pyspark is not installed" in capsys.readouterr().err


@pytest.mark.parametrize("ci", ["", "true"])
def test_spark_tests_skip_with_the_reason_locally_and_fail_under_ci(ci, monkeypatch):
    """Without pyspark (or Java) the Spark tests skip locally, naming why; under CI=true they fail."""
    from tests.spark import conftest

    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setenv("CI", ci)
    expected = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(expected, match="pyspark is not installed"):
        conftest.require_spark()


def test_local_engine_refuses_spark_only_options(capsys, demo_catalog):
    status = main(["cf", "train", "--catalog", "demo", "--implicit"])
    assert status == 2 and "add --engine spark" in capsys.readouterr().err


def test_als_parameters_are_validated():
    from core.spark import als_params

    assert als_params({"n_factors": 8, "n_epochs": 3, "reg_all": 0.2, "random_state": 1}).rank == 8
    with pytest.raises(MarqueeError, match="no learning rate"):
        als_params({"lr_all": 0.01})
    with pytest.raises(MarqueeError, match="rank"):
        als_params({"n_factors": 0})
    with pytest.raises(MarqueeError, match="reg_param"):
        als_params({"reg_all": float("nan")})


# ------------------------------------------------------------------ catalog locations (no Spark needed)
@pytest.mark.parametrize("value, message", [
    ("ftp://host/catalog", "scheme 'ftp' is not supported"),
    ("s3a://bucket/../other", "'..' segments"),
    ("demo\x00", "unprintable"),
    ("bad name!", "not allowed"),
    ("no_such_catalog", "no catalog at"),
])
def test_catalog_locations_are_validated(value, message, isolated_dirs):
    from core.spark import locate_catalog

    with pytest.raises(MarqueeError, match=message):
        locate_catalog(value)


def test_object_store_uri_keeps_the_layout():
    from core.spark import locate_catalog

    location = locate_catalog("s3a://films-bucket/catalogs/tmdb_full/")
    assert not location.local and location.name == "tmdb_full"
    assert location.table("movies_by_year") == "s3a://films-bucket/catalogs/tmdb_full/movies_by_year"


# ------------------------------------------------------------------ reading with Spark
def test_spark_reads_every_table_as_the_catalog_store_does(spark, demo_catalog):
    from core.spark import read_catalog

    tables = read_catalog(spark, "demo")
    for name in ("people", "credits", "ratings"):
        expected = getattr(demo_catalog, name)
        got = tables[name].toPandas()
        assert list(got.columns) == list(expected.columns)
        assert len(got) == len(expected)
    movies = tables["movies"].toPandas().sort_values("movie_id").reset_index(drop=True)
    expected = demo_catalog.movies.sort_values("movie_id").reset_index(drop=True)
    assert sorted(movies.columns) == sorted(expected.columns)
    assert movies["movie_id"].tolist() == expected["movie_id"].tolist()  # undated films included
    assert (pd.to_numeric(movies["year"]).fillna(-1).to_numpy() == pd.to_numeric(expected["year"]).fillna(-1).to_numpy()).all()
    assert np.allclose(movies["budget"].to_numpy(float), expected["budget"].to_numpy(float), equal_nan=True)


def test_year_range_reads_only_those_partitions(spark, demo_catalog):
    from core.spark import read_catalog

    years = pd.to_numeric(demo_catalog.movies["year"]).dropna().astype(int)
    first, last = int(years.median()), int(years.median()) + 2
    movies = read_catalog(spark, "demo", tables=("movies",), years=(first, last))["movies"]
    plan = movies._jdf.queryExecution().executedPlan().toString()
    assert "PartitionFilters" in plan and "year" in plan  # pruned folders, not a filter after reading
    assert movies.count() == int(((years >= first) & (years <= last)).sum())


def test_file_uri_reads_the_same_catalog(spark, demo_catalog):
    from core.spark import read_catalog

    uri = demo_catalog.path.resolve().as_uri()
    assert read_catalog(spark, uri, tables=("ratings",))["ratings"].count() == len(demo_catalog.ratings)
