"""AppTest of the Monitoring page and the generic reliability view."""
from __future__ import annotations

import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.catalog import store
from core.metrics import brier_score
from core.monitoring.reliability import reliability_figure, reliability_summary
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
    assert figure.data[1].name.startswith("toy (Brier 0.068")
    with pytest.raises(Exception, match="probabilities must lie"):
        reliability_summary([0, 1], [0.5, 1.5], "bad")


def test_monitoring_page_runs_a_simulation_round(cf_active):
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/monitoring.py").run()
    assert not at.exception
    assert at.title[0].value.startswith("📈 Monitoring")
    assert any("Train a casting or personal model to see its calibration here" in i.value for i in at.info)
    runs_before = {s.label for s in at.selectbox}
    if "Simulation run" not in runs_before:
        assert any("No simulation for this catalog yet" in i.value for i in at.info)
    form_select = next(s for s in at.selectbox if s.label == "Scenario")
    form_select.select("genre-penalty")
    at.number_input[0].set_value(9)
    at.form_submit_button[0].click().run()
    assert not at.exception
    picker = next(s for s in at.selectbox if s.label == "Simulation run")
    assert picker.value == "genre-penalty-seed9"
    assert any("No round yet" in i.value for i in at.info)
    at.button(key="run-simulation-round").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Rounds"] == "1" and metrics["Champion"] == "v0001"
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    kinds = [c["data"][0]["type"] for c in charts]
    assert "heatmap" in kinds and len(charts) == 3
    heatmap = next(c for c in charts if c["data"][0]["type"] == "heatmap")
    assert "Action" in heatmap["data"][0]["y"] and heatmap["data"][0]["x"] == ["1"]
    decisions = at.dataframe[0].value
    assert decisions["outcome"].tolist() == ["promoted"] and "initial champion" in decisions["reasons"].iloc[0]
    at.button(key="run-simulation-round").click().run()
    assert not at.exception
    assert {m.label: m.value for m in at.metric}["Rounds"] == "2"


def test_reliability_tab_shows_trained_models(cf_active, monkeypatch):
    """The casting source is read through core.casting.api.holdout_predictions (label, p_cal)."""
    import pandas as pd

    import core.casting.api as casting_api

    rng = np.random.default_rng(0)
    p = rng.uniform(0, 1, 400)
    holdout = pd.DataFrame({"label": (rng.uniform(0, 1, 400) < p).astype(int), "p_cal": p})
    monkeypatch.setattr(casting_api, "holdout_predictions", lambda catalog_name=None, artifact_dir=None: holdout)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.switch_page("pages/monitoring.py").run()
    assert not at.exception
    table = next(df.value for df in at.dataframe if "ece" in df.value.columns)
    assert table["name"].tolist() == ["casting (holdout, p_cal)"] and table["n"].tolist() == [400]
    assert table["brier"].iloc[0] == pytest.approx(brier_score(holdout["label"], p))
    figure = json.loads(at.get("plotly_chart")[-1].proto.spec)
    assert figure["data"][1]["name"].startswith("casting (holdout, p_cal)")
