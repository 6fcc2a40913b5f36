"""AppTest for the Casting page: fill the brief form, get a slate, reasons, alternates and a model card."""
from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from core.catalog import store
from pages.state.casting import DOWNLOADS_OPEN, WHAT_IF_OPEN
from tests.conftest import PROJECT_ROOT

APP = str(PROJECT_ROOT / "app.py")


def _open(casting_demo) -> AppTest:
    store.set_active("demo")
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/casting.py").run()
    assert not at.exception
    return at


def _number(at: AppTest, label: str):
    return next(w for w in at.number_input if w.label == label)


def test_casting_page_fills_a_brief_and_shows_a_slate(casting_demo):
    at = _open(casting_demo)
    assert at.title[0].value == "Casting"
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
    assert not any(b.label.endswith(".csv") for b in at.get("download_button"))  # a closed lazy expander sends nothing
    at.session_state[DOWNLOADS_OPEN] = True  # the person opens "Downloads"
    at.run()
    slate = next(d for d in at.dataframe if "p_cal" in d.value.columns).value
    assert len(slate) == 4 and slate["rank"].tolist() == [1, 2, 3, 4]
    assert ((slate["p_cal"] > 0) & (slate["p_cal"] < 1)).all()
    why = " ".join(t.value for t in at.text)  # catalog-derived text is plain text, never Markdown
    assert "For this brief the base chance is" in why and "the chance by" in why
    assert any("alternate" in d.value.columns for d in at.dataframe) or any(
        "similarity" in d.value.columns for d in at.dataframe)
    labels = [b.label for b in at.get("download_button")]
    assert {"slate.csv", "alternates.csv", "reasons.csv", "manifest.json"} <= set(labels)


def test_the_brief_lives_in_the_url_and_a_shared_link_reproduces_the_slate(casting_demo):
    at = _open(casting_demo)
    _number(at, "Budget (millions of US$)").set_value(80.0)
    _number(at, "Slate size").set_value(4)
    _number(at, "Runtime (minutes, 0 = not known yet)").set_value(125)
    next(m for m in at.multiselect if m.label == "Genres").set_value(["Action", "Adventure"])
    language = next(s for s in at.selectbox if s.label == "Original language")
    assert language.value in language.options
    next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
    assert not at.exception
    url = {k: v if isinstance(v, list) else [v] for k, v in dict(at.query_params).items()}
    assert url["budget"] == ["80"] and url["n"] == ["4"] and url["genres"] == ["Action", "Adventure"]
    assert url["runtime"] == ["125"] and url["language"] == [language.value]
    assert url["catalog"] == ["demo"]  # the brief replaces only its own parameters
    slate = next(d for d in at.dataframe if "p_cal" in d.value.columns).value

    shared = AppTest.from_file(APP, default_timeout=300)  # a new session opening the shared link
    shared.query_params.update({k: v for k, v in url.items()})
    shared.run()
    shared.switch_page("pages/casting.py").run()
    assert not shared.exception
    again = next(d for d in shared.dataframe if "p_cal" in d.value.columns).value
    assert again["actor"].tolist() == slate["actor"].tolist()
    assert _number(shared, "Budget (millions of US$)").value == 80.0
    assert _number(shared, "Runtime (minutes, 0 = not known yet)").value == 125


@pytest.mark.parametrize("param, value", [("budget", "nan"), ("runtime", "5000"), ("runtime", "-5"), ("country", "A" * 61)])
def test_a_bad_link_says_which_parameter_is_wrong(casting_demo, param, value):
    store.set_active("demo")
    at = AppTest.from_file(APP, default_timeout=300)
    at.query_params.update({"year": "2019", "genres": "Action", param: value})
    at.run()
    at.switch_page("pages/casting.py").run()
    assert not at.exception
    assert any(e.value.startswith(f"The link's brief cannot be used: {param}") and value[:30] in e.value for e in at.error)
    assert any("Fill in the brief" in i.value for i in at.info)


def test_every_submit_casts_what_the_form_holds(casting_demo):
    """A person changing the budget brief after brief gets each new brief. The form's widgets were
    unkeyed: after a brief went into the URL, the next run made new widgets with it as defaults and
    dropped the person's edit, so every second submit re-served the previous slate."""
    at = _open(casting_demo)
    for budget in (80, 90, 100, 110):
        _number(at, "Budget (millions of US$)").set_value(float(budget))
        next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
        assert not at.exception
        url = at.query_params["budget"]
        assert (url if isinstance(url, list) else [url]) == [str(budget)]


def test_detail_switch_shows_another_pick_without_recasting(casting_demo, monkeypatch):
    at = _open(casting_demo)
    next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
    slate = next(d for d in at.dataframe if "p_cal" in d.value.columns).value
    import core.casting as casting_package
    from pages.state import casting as casting_state

    def no_recast(*args, **kwargs):
        raise AssertionError("the slate was recomputed for a detail switch")
    monkeypatch.setattr(casting_state, "cast_brief", no_recast)
    monkeypatch.setattr(casting_package, "cast_brief", no_recast)
    at.selectbox(key="casting-pick").set_value(slate["actor"].iloc[1]).run()
    assert not at.exception
    assert at.selectbox(key="casting-pick").value == slate["actor"].iloc[1]


def test_casting_page_shows_a_clear_error_for_a_bad_brief(casting_demo):
    at = _open(casting_demo)
    _number(at, "Budget (millions of US$)").set_value(0.0)
    next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
    assert not at.exception
    assert any("budget must be a positive number" in e.value for e in at.error)


def test_casting_page_what_if_compares_side_by_side(casting_demo):
    at = _open(casting_demo)
    next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
    assert not any(s.label == "Swap out" for s in at.selectbox)  # a closed lazy expander sends nothing
    at.session_state[WHAT_IF_OPEN] = True  # the person opens "What if…"
    at.run()
    slate = next(d for d in at.dataframe if "p_cal" in d.value.columns).value
    next(s for s in at.selectbox if s.label == "Swap out").set_value(slate["actor"].iloc[0])
    next(b for b in at.form_submit_button if b.label == "Compare").click().run()
    assert not at.exception
    table = next(d for d in at.dataframe if "p_cal_after" in d.value.columns).value
    assert table["actor"].tolist() == slate["actor"].tolist()
    assert table["actor_after"].iloc[0] != slate["actor"].iloc[0]
    assert any(m.label == "Slate's mean chance it resonates" for m in at.metric)


def test_retrain_asks_first_then_trains_in_the_background(casting_demo):
    from core.jobs import RUNNER

    at = _open(casting_demo)
    next(s for s in at.selectbox if s.label == "Target").set_value("popularity")
    next(b for b in at.form_submit_button if b.label == "Retrain…").click().run()
    assert not at.exception
    assert RUNNER.current("casting-train:demo") is None  # nothing happens before the confirmation
    at.button(key="casting-retrain-cancel").click().run()
    assert not any(b.key == "casting-retrain-confirm" for b in at.button)

    next(b for b in at.form_submit_button if b.label == "Retrain…").click().run()
    at.button(key="casting-retrain-confirm").click().run()
    job = RUNNER.current("casting-train:demo")
    assert job is not None and job.join(1200) and job.snapshot().status == "complete", job.snapshot().error
    try:
        at.run()
        assert not at.exception
        assert any("Casting model of demo: done" in s.value for s in at.success)
        assert "popularity" in " ".join(c.value for c in at.caption)  # the page serves the new model
    finally:  # later tests expect the session's default model
        from core.casting import CastingConfig, train_and_save

        train_and_save(store.load_catalog("demo"), CastingConfig())
        from pages.state import casting as casting_state

        casting_state.forget_models()


def test_a_catalog_without_scores_says_why_and_offers_the_fixes(demo_catalog, isolated_dirs):
    from core.catalog.demo import build_demo_catalog

    build_demo_catalog("unscored", n_movies=300, seed=4)
    catalog = store.load_catalog("unscored")
    movies = catalog.movies.assign(vote_average=float("nan"), popularity=float("nan"), vote_count=float("nan"))
    store.rewrite_catalog(catalog, tables={**store.catalog_tables(catalog), "movies": movies})
    store.set_active("unscored")
    at = AppTest.from_file(APP, default_timeout=300).run()
    at.switch_page("pages/casting.py").run()
    assert not at.exception
    assert any(e.value.startswith("Casting cannot train on catalog unscored:") for e in at.error)
    assert any("merge" in i.value and "imdb5000" in i.value for i in at.info)
    assert any(s.label == "Target" for s in at.selectbox)  # the controls to try another target or cutoff
    assert any(b.label == "Retrain…" for b in at.form_submit_button)


def test_co_stars_go_into_the_url_and_leave_the_slate(casting_demo):
    at = _open(casting_demo)
    next(m for m in at.multiselect if m.label == "Genres").set_value(["Action", "Adventure"])
    next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
    first = next(d for d in at.dataframe if "p_cal" in d.value.columns).value
    star = first["actor"].iloc[0]
    next(t for t in at.text_input if t.label.startswith("Co-stars already cast")).set_value(star.upper())
    next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
    assert not at.exception
    url = {k: v if isinstance(v, list) else [v] for k, v in dict(at.query_params).items()}
    assert url["co_star"] == [star.upper()]
    slate = next(d for d in at.dataframe if "p_cal" in d.value.columns).value
    assert star not in set(slate["actor"])


def test_co_star_help_and_a_bad_co_star_list(casting_demo):
    from core.casting import co_star_help

    at = _open(casting_demo)
    box = next(t for t in at.text_input if t.label.startswith("Co-stars already cast"))
    assert box.proto.help == co_star_help(casting_demo.config.feature_set)
    assert "does not use their records" in box.proto.help
    box.set_value("a,,b")
    next(b for b in at.form_submit_button if b.label == "Cast this brief").click().run()
    assert not at.exception
    assert any(e.value.startswith("co_stars: must name an actor between every two commas") for e in at.error)
    assert "co_star" not in at.query_params
