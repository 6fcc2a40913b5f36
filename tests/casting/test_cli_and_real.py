"""The CLI contract on the demo catalog, and training plus a brief on the real Wikipedia+IMDB-5000 catalog."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from core.casting import Brief, CastingConfig, cast_brief, train_casting
from core.cli import main


def test_cli_train_prints_metrics_and_writes_predictions(demo_catalog, tmp_path, capsys):
    predictions = tmp_path / "holdout.csv"
    code = main(["casting", "train", "--catalog", "demo", "--cutoff", "2010", "--json", "--predictions", str(predictions)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    metrics = out["metrics"]
    for key in ("auroc", "pr_auc", "brier", "ece"):
        assert 0 <= metrics[key] <= 1
    frame = pd.read_csv(predictions)
    assert {"movie_id", "title", "year", "actor", "label", "p_base", "p_cal"} <= set(frame.columns)
    assert len(frame) == metrics["n_rows"] and frame["year"].min() == 2011


def test_cli_brief_prints_slate_with_alternates_and_reasons(casting_demo, tmp_path, capsys):
    code = main(["casting", "brief", "--catalog", "demo", "--year", "2019", "--budget", "45", "--genres",
                 "Comedy,Romance", "--bill-order", "2", "--n", "4", "--json", "--out", str(tmp_path / "out")])
    out = json.loads(capsys.readouterr().out)
    assert code == 0
    assert len(out["slate"]) == 4 and out["brief"]["bill_order"] == 2
    assert {a["rank"] for a in out["alternates"]} == {1, 2, 3, 4}
    assert all(r["reason"] for r in out["reasons"])
    assert (tmp_path / "out" / "slate.csv").exists() and len(out["files"]) == 6


def test_cli_bad_brief_exits_with_a_clear_error(casting_demo, capsys):
    # argparse refuses the value before any work starts and exits with status 2, as from the shell
    with pytest.raises(SystemExit) as exited:
        main(["casting", "brief", "--catalog", "demo", "--year", "2019", "--budget", "-3", "--genres", "Comedy"])
    assert exited.value.code == 2
    assert "error: argument --budget: must be a finite number in (0, 1e+06], got '-3'" in capsys.readouterr().err


def test_real_catalog_trains_and_serves_a_brief(wiki_imdb_catalog):
    """Wikipedia cast lists (billing) + IMDB-5000 scores, budgets and directors; holdout 2011–2016."""
    trained = train_casting(wiki_imdb_catalog, CastingConfig(cutoff=2010))
    m = trained.metrics
    assert m["years"][0] == 2011 and m["n_rows"] > 1000
    assert m["auroc"] > 0.62, m["auroc"]
    assert m["pr_auc"] > m["positive_rate"]
    director = trained.data.films.loc[trained.data.films["year"] < 2012, "director"].value_counts().index[0]
    result = cast_brief(trained, Brief(2012, 60.0, ("Drama",), 1, 5, director=director))
    assert len(result.slate) == 5 and result.flags["candidates"] > 500
    assert len(result.alternates) and len(result.reasons) and len(result.comparables)
    assert not result.flags["synthetic_catalog"]
