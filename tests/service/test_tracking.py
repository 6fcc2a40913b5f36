"""MLflow tracking (core.tracking): training runs read back with the MLflow client from a temporary
local store; off without MARQUEE_MLFLOW_URI; a broken tracking server never fails a training."""
from __future__ import annotations

import logging

import pytest

mlflow = pytest.importorskip("mlflow", reason="the api extra (mlflow-skinny) is not installed")


def _runs(client, kind: str):
    experiment = client.get_experiment_by_name(f"marquee-{kind}")
    assert experiment is not None, f"no experiment marquee-{kind}"
    return client.search_runs([experiment.experiment_id], order_by=["attributes.start_time DESC"])


def test_training_runs_are_read_back_from_a_local_store(tmp_path, monkeypatch, trained, encoder, api_catalog):
    from mlflow.tracking import MlflowClient

    from core import personal
    from core.casting import train_and_save
    from core.search import build_index
    from core.search.evaluation import run_search_eval

    store_dir = tmp_path / "mlruns"
    monkeypatch.setenv("MARQUEE_MLFLOW_URI", str(store_dir))  # a plain local path
    catalog = trained["catalog"]
    report = personal.train(trained["profile"], catalog, store=personal.open_store(),
                            grid={"max_depth": [2], "learning_rate": [0.05]}, n_splits=3)
    casting = train_and_save(catalog)
    build_index(api_catalog, encoder=encoder)
    evaluation = run_search_eval(api_catalog, encoder=encoder, n=20, methods=("bm25", "hybrid"))

    client = MlflowClient(tracking_uri=store_dir.as_uri())
    run = _runs(client, "personal")[0]
    assert run.info.status == "FINISHED"
    assert run.data.tags["marquee.profile"] == trained["profile"] and run.data.tags["marquee.version"] == report["version"]
    assert run.data.params["data_checksum"] == catalog.data_checksum
    assert run.data.params["max_depth"] == "2"
    assert run.data.metrics["roc_auc"] == pytest.approx(report["metrics"]["roc_auc"])
    files = {a.path for a in client.list_artifacts(run.info.run_id, "personal")}
    assert "personal/model.json" in files and "personal/manifest.json" in files

    run = _runs(client, "casting")[0]
    assert run.data.tags["marquee.version"] == casting.extra["version"]
    assert run.data.metrics["auroc"] == pytest.approx(casting.model.metrics_["auroc"])
    assert run.data.tags["marquee.artifact_dir"].endswith(f"casting/{api_catalog}/{casting.extra['version']}")
    assert "casting/model.json" in {a.path for a in client.list_artifacts(run.info.run_id, "casting")}

    run = _runs(client, "search-index")[0]
    assert run.data.params["data_checksum"] == catalog.data_checksum and run.data.metrics["documents"] == 200
    assert "search-index/manifest.json" in {a.path for a in client.list_artifacts(run.info.run_id, "search-index")}

    run = _runs(client, "search-eval")[0]
    assert run.data.metrics["methods.hybrid.recall"] == pytest.approx(evaluation["methods"]["hybrid"]["recall"])
    assert run.data.params["n"] == "20"


def test_without_the_variable_nothing_is_tracked(tmp_path, monkeypatch):
    from core import tracking

    monkeypatch.delenv("MARQUEE_MLFLOW_URI", raising=False)
    assert not tracking.enabled()
    assert tracking.log_run("casting", "x", params={"a": 1}, metrics={"m": 1.0}, artifact_dir=tmp_path) is None
    assert list(tmp_path.iterdir()) == []


def test_a_broken_server_is_one_warning_with_the_password_masked(monkeypatch, caplog, tmp_path):
    from core import tracking

    monkeypatch.setenv("MARQUEE_MLFLOW_URI", "http://someone:hunter2-secret@127.0.0.1:9")
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with caplog.at_level(logging.WARNING, logger="core.tracking"):
        assert tracking.log_run("casting", "x", params={"a": 1}, metrics={"m": 1.0}) is None
    text = caplog.text
    assert "MLflow tracking of casting/x failed" in text and "***@127.0.0.1:9" in text
    assert "hunter2-secret" not in text


def test_params_and_metrics_are_flattened_and_finite():
    from core.tracking import split_params_metrics

    params, metrics = split_params_metrics({"grid": {"depth": [1, 2]}, "name": "x" * 900, "weird key!": 1},
                                           {"a": {"b": 0.5}, "nan": float("nan"), "inf": float("inf"), "flag": True,
                                            "text": "n/a", "n": 3})
    assert params["grid.depth"] == "[1, 2]" and len(params["name"]) == 500 and "weird key_" in params
    assert metrics == {"a.b": 0.5, "n": 3.0}
