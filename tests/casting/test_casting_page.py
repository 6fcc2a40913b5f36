"""AppTest for the Casting page: fill the brief form, get a slate, reasons, alternates and a model card."""
from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from core.catalog import store
from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


def _open(casting_demo) -> AppTest:
    store.set_active("demo")
    at = AppTest.from_file(APP, default_timeout=90).run()
    at.switch_page("pages/casting.py").run()
    assert not at.exception
    return at


def _number(at: AppTest, label: str):
    return next(w for w in at.number_input if w.label == label)


def test_casting_page_fills_a_brief_and_shows_a_slate(casting_demo):
    at = _open(casting_demo)
    assert at.title[0].value == "🎭 Casting"
    assert any("Fill in the brief" in i.value for i in at.info)
    titles = [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]
    assert set(titles) == {"Reliability on holdout years", "Precision–recall on holdout years", "PR-AUC per holdout year",
                      "Permutation importance (drop in holdout AUROC)"}
    assert [m.label for m in at.metric][:4] == ["Holdout AUROC", "Holdout PR-AUC", "Holdout Brier", "Holdout ECE"]

    _number(at, "Release year").set_value(2019)
    _number(at, "Budget (millions of US$)").set_value(80.0)
    _number(at, "Bill order (1 = top billed)").set_value(2)
    _number(at, "Slate size").set_value(4)
    next(m for m in at.multiselect if m.label == "Genres").set_value(["Action", "Adventure"])
    next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
    assert not at.exception
    slate = next(d for d in at.dataframe if "p_cal" in d.value.columns).value
    assert len(slate) == 4 and slate["rank"].tolist() == [1, 2, 3, 4]
    assert ((slate["p_cal"] > 0) & (slate["p_cal"] < 1)).all()
    why = " ".join(m.value for m in at.markdown)
    assert "the base chance by" in why
    assert any("alternate" in d.value.columns for d in at.dataframe) or any(
        "similarity" in d.value.columns for d in at.dataframe)
    labels = [b.label for b in at.get("download_button")]
    assert {"slate.csv", "alternates.csv", "reasons.csv", "manifest.json"} <= set(labels)


def test_casting_page_shows_a_clear_error_for_a_bad_brief(casting_demo):
    at = _open(casting_demo)
    _number(at, "Budget (millions of US$)").set_value(0.0)
    next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
    assert not at.exception
    assert any("budget must be a positive number" in e.value for e in at.error)


def test_casting_page_what_if_compares_side_by_side(casting_demo):
    at = _open(casting_demo)
    next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
    slate = next(d for d in at.dataframe if "p_cal" in d.value.columns).value
    next(s for s in at.selectbox if s.label == "Swap out").set_value(slate["actor"].iloc[0])
    next(b for b in at.form_submit_button if b.label == "Compare").click().run()
    assert not at.exception
    table = next(d for d in at.dataframe if "p_cal_after" in d.value.columns).value
    assert table["actor"].tolist() == slate["actor"].tolist()
    assert table["actor_after"].iloc[0] != slate["actor"].iloc[0]
    assert any(m.label == "Slate mean P(resonates)" for m in at.metric)
