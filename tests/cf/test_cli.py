"""``python -m core cf …``: the JSON contracts of evaluate, simulate, train and recommend."""
from __future__ import annotations

import json

import pytest

from core.cli import main


def run(capsys, *argv) -> dict | list:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_evaluate_prints_rmse_mae_r2_and_fit_time_per_model(cf_catalog, capsys):
    result = run(capsys, "cf", "evaluate", "--catalog", cf_catalog.name, "--folds", "2",
                 "--models", "popularity,baseline_only,svd", "--holdout", "temporal", "--json")
    assert [row["model"] for row in result["models"]] == ["popularity", "baseline_only", "svd"]
    for row in result["models"]:
        assert {"rmse", "mae", "r2", "fit_seconds"} <= set(row) and len(row["rmse_per_fold"]) == 2
        assert 0.5 < row["rmse"] < 1.5 and row["fit_seconds"] >= 0
    by_model = {row["model"]: row for row in result["models"]}
    assert by_model["svd"]["rmse"] < by_model["popularity"]["rmse"]
    holdout = result["holdout"]
    assert holdout["split"] == "temporal" and 0 <= holdout["precision@10"] <= 1
    assert 0 < holdout["coverage"] <= 1 and 0 <= holdout["personalization"] <= 1


def test_evaluate_rejects_unknown_model(cf_catalog, capsys):
    assert main(["cf", "evaluate", "--catalog", cf_catalog.name, "--models", "nope"]) == 2
    assert "unknown model(s) nope" in capsys.readouterr().err


def test_simulate_json(cf_catalog, capsys):
    summary = run(capsys, "cf", "simulate", "--catalog", cf_catalog.name, "--rounds", "2",
                  "--scenario", "genre-penalty", "--penalty", "1.5", "--start-round", "2", "--run", "cli-run", "--json")
    assert summary["run"] == "cli-run" and len(summary["rounds"]) == 2
    assert summary["scenario"].startswith("genre-penalty: Action films rated 1.5 lower from round 2")
    assert summary["rounds"][1]["drift_triggered"]
    assert summary["decisions"][-1]["round"] == 2 and summary["decisions"][-1]["reasons"]
    resumed = run(capsys, "cf", "simulate", "--catalog", cf_catalog.name, "--rounds", "1", "--run", "cli-run",
                  "--resume", "--json")
    assert [r["round"] for r in resumed["rounds"]] == [1, 2, 3]


def test_train_then_recommend(cf_catalog, capsys):
    trained = run(capsys, "cf", "train", "--catalog", cf_catalog.name, "--factors", "10", "--epochs", "10", "--json")
    assert trained["champion"] == trained["version"] and trained["params"]["n_factors"] == 10
    assert 0 < trained["holdout"]["rmse"] < 1.5
    recs = run(capsys, "cf", "recommend", "--catalog", cf_catalog.name, "--user", "1", "-n", "5", "--json")
    assert len(recs) == 5 and all(r["source"] == "svd" and r["title"] for r in recs)
    seen = set(cf_catalog.ratings.loc[cf_catalog.ratings["user_id"] == 1, "movie_id"])
    assert not seen & {r["movie_id"] for r in recs}


def fails(capsys, *argv) -> str:
    """The command exits 2 with one `error:` line naming the problem, and no traceback (argparse's
    own checks exit through SystemExit, as from the shell)."""
    try:
        status = main(list(argv))
    except SystemExit as exc:
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("argv, field", [
    (("--lr", "nan"), "--lr: must be a finite number"), (("--lr", "inf"), "got 'inf'"), (("--reg", "-1"), "--reg"),
    (("--factors", "0"), "--factors: must be a whole number"), (("--epochs", "-2"), "--epochs"),
    (("--seed", "-1"), "--seed"), (("--lr", "1e400"), "--lr"),
])
def test_train_refuses_bad_numbers_and_promotes_nothing(cf_catalog, capsys, argv, field):
    from core.artifacts import default_store
    from core.cf import cf_slot

    before = default_store().champion(cf_slot(cf_catalog.name))
    assert field in fails(capsys, "cf", "train", "--catalog", cf_catalog.name, *argv)
    after = default_store().champion(cf_slot(cf_catalog.name))
    assert (before and before.name) == (after and after.name)


@pytest.mark.parametrize("argv, field", [
    (("--rounds", "-1"), "--rounds: must be a whole number"), (("--penalty", "nan"), "--penalty: must be a finite"),
    (("--new-users", "-5"), "--new-users"), (("--start-round", "0"), "--start-round"),
    (("--cohort-fraction", "inf"), "--cohort-fraction"), (("--run", "../x"), "--run"), (("--genre", "Dra\x1bma"), "--genre"),
])
def test_simulate_refuses_bad_numbers(cf_catalog, capsys, argv, field):
    assert field in fails(capsys, "cf", "simulate", "--catalog", cf_catalog.name, "--scenario", "mixed", *argv)


@pytest.mark.parametrize("argv, field", [
    (("--user", "1", "-n", "-1"), "-n: must be a whole number"), (("--user", "1", "-n", "0"), "-n"),
    (("--user", "9223372036854775808"), "--user: must be a whole number"), (("--user", "1.5"), "--user"),
])
def test_recommend_refuses_bad_numbers(cf_catalog, capsys, argv, field):
    assert field in fails(capsys, "cf", "recommend", "--catalog", cf_catalog.name, *argv)


def test_recommend_after_a_catalog_rebuild_is_refused_not_nan(cf_catalog, capsys, monkeypatch):
    """Reproduction of `cf recommend` printing `nan (nan)` after the catalog was rebuilt."""
    from core.catalog import store

    run(capsys, "cf", "train", "--catalog", cf_catalog.name, "--factors", "5", "--epochs", "5", "--json")
    rebuilt = type(cf_catalog)(**{**cf_catalog.__dict__, "manifest": {**cf_catalog.manifest, "data_checksum": "rebuilt"}})
    monkeypatch.setattr(store, "load_catalog", lambda name, **kwargs: rebuilt)
    err = fails(capsys, "cf", "recommend", "--catalog", cf_catalog.name, "--user", "1")
    assert "built from another version of the catalog" in err and "cf train" in err


def test_recommend_refuses_tampered_factors(cf_catalog, capsys):
    import numpy as np

    from core.artifacts import default_store
    from core.cf import cf_slot

    run(capsys, "cf", "train", "--catalog", cf_catalog.name, "--factors", "5", "--epochs", "5", "--json")
    path = default_store().champion(cf_slot(cf_catalog.name)).path / "factors.npz"
    arrays = dict(np.load(path, allow_pickle=False))
    arrays["bi"] = arrays["bi"] + 1.0
    np.savez_compressed(path, **arrays)
    assert "factors.npz was changed" in fails(capsys, "cf", "recommend", "--catalog", cf_catalog.name, "--user", "1")
