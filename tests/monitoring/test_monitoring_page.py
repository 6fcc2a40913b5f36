"""AppTest of the Monitoring page and the generic reliability view (read from the artifact store)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import pandas as pd

from core.artifacts import ArtifactStore, Slot
from core.catalog import store
from core.metrics import brier_score
from core.monitoring import RELIABILITY_FILE, reliability_figure, reliability_summary
from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


@pytest.fixture
def cf_active(cf_catalog):
    """Make the CF test catalog active, then put the active-catalog marker back exactly as it was,
    so later tests in the session see the catalog they expect."""
    from core.config import data_dir

    marker = data_dir() / store.ACTIVE_FILE
    before = marker.read_text(encoding="utf-8") if marker.exists() else None
    store.set_active(cf_catalog.name)
    yield cf_catalog
    if before is None:
        marker.unlink(missing_ok=True)
    else:
        marker.write_text(before, encoding="utf-8")


def test_reliability_summary_by_hand():
    y, p = [0, 0, 1, 1], [0.1, 0.3, 0.6, 0.9]
    summary = reliability_summary(y, p, "toy", n_bins=2)
    assert summary["brier"] == pytest.approx((0.01 + 0.09 + 0.16 + 0.01) / 4) == brier_score(y, p)
    # bins [0, .5): mean p 0.2, observed 0; [.5, 1]: mean p 0.75, observed 1 → ECE = (2·0.2 + 2·0.25) / 4
    assert summary["ece"] == pytest.approx(0.225)
    assert summary["table"]["count"].tolist() == [2, 2]
    figure = reliability_figure([summary])
    assert figure.data[1].name.startswith("toy (n=4, Brier 0.068") and "too few to judge" in figure.data[1].name
    assert "only 4 labelled predictions" in summary["warning"] and figure.layout.title.text
    with pytest.raises(Exception, match="probabilities must lie"):
        reliability_summary([0, 1], [0.5, 1.5], "bad")


def finish_job(key: str) -> None:
    """Starting a run and a round are background jobs on the page: wait for one to end."""
    from core.jobs import RUNNER

    job = RUNNER.current(key)
    assert job is not None and job.join(180), f"job {key} did not finish"
    assert job.snapshot().status == "complete", job.snapshot().error


def test_monitoring_page_runs_a_simulation_round(cf_active):
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/monitoring.py").run()
    assert not at.exception
    assert at.title[0].value == "Monitoring"
    assert any("Train a casting or personal model to see its calibration here" in i.value for i in at.info)
    runs_before = {s.label for s in at.selectbox}
    if "Simulation run" not in runs_before:
        assert any("No simulation for this catalog yet" in i.value for i in at.info)
    at.button(key="monitoring-new").click().run()  # the new-run dialog
    form_select = next(s for s in at.selectbox if s.label == "Scenario")
    form_select.select("genre-penalty")
    at.number_input[0].set_value(9)
    at.button(key="monitoring-start-confirm").click().run()
    assert not at.exception
    finish_job(f"simulation:{cf_active.name}:genre-penalty-seed9")
    at.run()
    assert not at.exception
    picker = next(s for s in at.selectbox if s.label == "Simulation run")
    assert picker.value == "genre-penalty-seed9"
    assert any("No round yet" in i.value for i in at.info)
    at.button(key="run-simulation-round").click().run()
    finish_job(f"simulation:{cf_active.name}:genre-penalty-seed9")
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rounds"] == "1" and metrics["Champion"] == "v0001"
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    kinds = [c["data"][0]["type"] for c in charts]
    assert "heatmap" in kinds and len(charts) == 4
    assert all(c["layout"]["title"]["text"] for c in charts)                      # every chart is titled
    assert all("yaxis2" not in c["layout"] for c in charts)                       # one metric per axis
    heatmap = next(c for c in charts if c["data"][0]["type"] == "heatmap")
    assert "Action" in heatmap["data"][0]["y"] and heatmap["data"][0]["x"] == ["1"]
    decisions = at.dataframe[0].value
    assert decisions["outcome"].tolist() == ["promoted"] and "initial champion" in decisions["reasons"].iloc[0]
    at.button(key="run-simulation-round").click().run()
    finish_job(f"simulation:{cf_active.name}:genre-penalty-seed9")
    at.run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Rounds"] == "2"


def _save_reliability(slot: Slot, frame: pd.DataFrame, data_checksum: str) -> None:
    """What a classification model's trainer does: write reliability.parquet into its version."""
    ArtifactStore().save(slot, lambda folder: frame.to_parquet(folder / RELIABILITY_FILE),
                         data_checksum=data_checksum, metrics={"n": len(frame)})


def test_reliability_tab_reads_any_model_kind_from_the_store(cf_active):
    """No casting or personal import: the page finds reliability.parquet in every slot of the catalog."""
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 400)
    big = pd.DataFrame({"label": (rng.uniform(0, 1, 400) < p).astype(int), "p": p, "segment": "2015"})
    small = pd.DataFrame({"label": [1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1], "p": np.linspace(0.1, 0.9, 13)})
    _save_reliability(Slot("casting", cf_active.name), big, cf_active.data_checksum)
    _save_reliability(Slot("personal", cf_active.name, "alice"), small, cf_active.data_checksum)
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/monitoring.py").run()
    assert not at.exception
    table = next(df.value for df in at.dataframe if "ece" in df.value.columns)
    assert table["model"].tolist() == ["casting v0001", "personal: alice v0001"]
    assert table["predictions"].tolist() == [400, 13]
    assert table["brier"].iloc[0] == pytest.approx(brier_score(big["label"], p), abs=1e-4)
    assert table["warning"].iloc[0] == "" and "only 13 labelled predictions" in table["warning"].iloc[1]
    assert any("personal: alice v0001" in w.value and "too few" in w.value for w in at.warning)
    figure = json.loads(at.get("plotly_chart")[-1].proto.spec)
    curves = {trace["name"]: trace for trace in figure["data"][1:]}
    small_curve = next(trace for name, trace in curves.items() if name.startswith("personal: alice"))
    assert "too few to judge" in small_curve["name"] and small_curve["mode"] == "markers"
    assert next(name for name in curves if name.startswith("casting v0001 (n=400")).endswith(")")
