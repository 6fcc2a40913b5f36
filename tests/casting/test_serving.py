"""Serving briefs: slate, constraints, synergy, alternates, reasons, comparables, what-if, exports."""
from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest

from core.casting import BRIEF_FILE_NAMES, Brief, brief_files, cast_brief, what_if, with_weights, write_brief_exports
from core.casting.scoring import MIN_PRIOR_ROLES
from core.errors import MarqueeError

BRIEF = Brief(year=2018, budget_musd=60.0, genres=("Action", "Thriller"), bill_order=1, n=6)


@pytest.fixture(scope="module")
def result(casting_demo):
    return cast_brief(casting_demo, BRIEF)


def test_slate_is_ranked_unique_and_as_of(casting_demo, result):
    slate = result.slate
    assert len(slate) == 6 and slate["person_id"].is_unique
    assert slate["rank"].tolist() == list(range(1, 7))
    assert ((slate["p_cal"] > 0) & (slate["p_cal"] < 1)).all()
    rows = casting_demo.data.rows
    for person in slate["person_id"]:
        past = rows[(rows["person_id"] == person) & (rows["year"] < 2018)]
        assert len(past) >= 2 and past["year"].max() >= 2010
    expected = (slate["p_cal"] + casting_demo.config.alpha_cycle * slate["cycle"] + slate["synergy"]
                - slate["bfd_penalty"] - slate["cadence_penalty"])
    np.testing.assert_allclose(slate["p_high"], expected)
    assert result.flags["candidates"] > 100 and result.flags["synthetic_catalog"] is True


def test_constraints_penalise_budget_mismatch_and_cadence(casting_demo):
    pool_result = cast_brief(casting_demo, BRIEF.with_changes(budget_musd=2.0, n=20))
    slate = pool_result.slate
    assert (slate.loc[slate["bfd"] > 2, "bfd_penalty"] > 0).all()
    assert (slate.loc[slate["bfd"] <= 2, "bfd_penalty"] == 0).all()
    penalised = pool_result.reasons[pool_result.reasons["factor"] == "budget mismatch"]
    assert set(penalised["rank"]) == set(slate.loc[slate["bfd_penalty"] > 0, "rank"])


def test_alternates_are_similar_less_exposed_and_outside_the_slate(result):
    alts = result.alternates
    assert set(alts["rank"]) == set(result.slate["rank"])
    assert not set(alts["person_id"]) & set(result.slate["person_id"])
    assert (alts["similarity"] > 0).all()
    # less exposed where that is possible: a pick with the minimum history (2 roles) has no one
    # below it, so only picks above the minimum are checked (the film-led model picks such actors)
    above = alts[alts["pick_prior_roles"] > MIN_PRIOR_ROLES]
    assert len(above) >= 3
    assert (above["prior_roles"] < above["pick_prior_roles"]).mean() > 0.6
    means = above.groupby("rank")[["prior_roles", "pick_prior_roles"]].mean()
    assert (means["prior_roles"] < means["pick_prior_roles"]).all()


def test_reasons_are_plain_words_with_signed_contributions(result):
    reasons = result.reasons
    assert set(reasons["rank"]) == set(result.slate["rank"])
    model = reasons[reasons["kind"] == "model"]
    assert model.groupby("rank").size().max() <= 3
    assert model["reason"].str.contains(r"(?:raises|lowers) the chance by \d+\.\d points").all()
    assert (model["delta"].abs() >= 0.005).all()
    from core.casting.explain import REASON_GROUPS

    assert set(model["factor"]) <= set(REASON_GROUPS)
    summary = reasons[reasons["kind"] == "summary"]
    assert summary.groupby("rank").size().eq(1).all() and set(summary["rank"]) == set(result.slate["rank"])
    # the actor's effect orders the slate exactly as p_cal does (one base chance per brief)
    assert result.slate["base_chance"].nunique() == 1
    np.testing.assert_allclose(result.slate["actor_effect"], result.slate["p_cal"] - result.slate["base_chance"])


def test_comparables_are_earlier_films_of_the_pick(casting_demo, result):
    comps = result.comparables
    assert len(comps) > 0 and (comps["year"] < 2018).all()
    rows = casting_demo.data.rows
    for comp in comps.itertuples(index=False):
        assert ((rows["person_id"] == comp.person_id) & (rows["title"] == comp.title)).any()
    similar = comps[comps["match"] == "same genre, similar budget"]
    assert similar["genres"].str.contains("Action|Thriller").all()


def test_director_synergy_bump(casting_demo):
    films = casting_demo.data.films
    director = films.loc[films["year"] < 2018, "director"].value_counts().index[0]
    plain = cast_brief(casting_demo, BRIEF)
    with_director = cast_brief(casting_demo, BRIEF.with_changes(director=director.upper()))
    assert with_director.flags["director"] == director
    assert (plain.slate["synergy"] == 0).all() and (with_director.slate["synergy"] != 0).all()
    assert (with_director.reasons["factor"] == "director").sum() == len(with_director.slate)
    doubled = cast_brief(with_weights(casting_demo, director_weight=1.0), BRIEF.with_changes(director=director), explain=False)
    off = cast_brief(with_weights(casting_demo, director_weight=0.0), BRIEF.with_changes(director=director), explain=False)
    assert (off.slate["synergy"] == 0).all()
    same = with_director.slate.set_index("person_id")["synergy"]
    np.testing.assert_allclose(doubled.slate.set_index("person_id")["synergy"].reindex(same.index).dropna(),
                               2 * same.loc[same.index.isin(doubled.slate["person_id"])])


@pytest.mark.parametrize("changes, message", [
    ({"budget_musd": 0}, "budget must be a positive number"),
    ({"budget_musd": -5}, "budget must be a positive number"),
    ({"budget_musd": float("nan")}, "budget must be a positive number"),
    ({"year": 1950}, r"year 1950 is outside the data: .* films from 1980 to 2024, so briefs can be for 1981–2025"),
    ({"year": 2031}, "year 2031 is outside the data"),
    ({"genres": ("Action", "Space Opera")}, "unknown genre 'Space Opera': catalog genres are Action, Adventure"),
    ({"genres": ()}, "choose at least one genre"),
    ({"bill_order": 0}, "bill order must be a whole number from 1"),
    ({"n": 0}, "slate size must be a whole number from 1"),
    ({"director": "Nobody Atall"}, "no director named 'Nobody Atall'"),
    ({"language": "xx"}, "unknown language 'xx'"),
])
def test_invalid_briefs_get_clear_errors(casting_demo, changes, message):
    with pytest.raises(MarqueeError, match=message):
        cast_brief(casting_demo, BRIEF.with_changes(**changes))


def test_genre_names_are_matched_case_insensitively(casting_demo):
    result = cast_brief(casting_demo, BRIEF.with_changes(genres=("action", " THRILLER")), explain=False)
    assert result.brief.genres == ("Action", "Thriller")


def test_what_if_swap_and_year_change(casting_demo, result):
    ids = result.slate["person_id"].tolist()
    out_actor, in_actor = result.slate["actor"].iloc[0], result.alternates["alternate"].iloc[0]
    table, summary = what_if(casting_demo, BRIEF, ids, swap_out=out_actor, swap_in=in_actor)
    assert table["actor"].tolist() == result.slate["actor"].tolist()
    assert table["actor_after"].iloc[0] == in_actor and (table["actor_after"].iloc[1:] == table["actor"].iloc[1:]).all()
    np.testing.assert_allclose(table["p_cal"], result.slate["p_cal"])
    assert table["change"].iloc[0] != 0 and (table["change"].iloc[1:] == 0).all()
    alternate_p = result.alternates["p_cal"].iloc[0]
    assert table["p_cal_after"].iloc[0] == pytest.approx(alternate_p, abs=1e-4)

    moved, summary = what_if(casting_demo, BRIEF, ids, year=2012, budget_musd=10.0)
    assert summary["changed_brief"]["year"] == 2012 and summary["changed_brief"]["budget_musd"] == 10.0
    assert (moved["change"] != 0).any()
    with pytest.raises(MarqueeError, match="no actor named 'Nobody Atall'"):
        what_if(casting_demo, BRIEF, ids, swap_out=out_actor, swap_in="Nobody Atall")
    with pytest.raises(MarqueeError, match="is not in the slate"):
        what_if(casting_demo, BRIEF, ids, swap_out=in_actor, swap_in=out_actor)


def test_exports_write_csvs_manifest_and_model_card(casting_demo, result, tmp_path):
    written = write_brief_exports(result, casting_demo, tmp_path / "brief")
    names = {p.name for p in written}
    assert names == {"slate.csv", "alternates.csv", "reasons.csv", "comparables.csv", "manifest.json", "model_card.html"}
    assert list(brief_files(result, casting_demo, with_plots=False)) == list(BRIEF_FILE_NAMES)  # the page's buttons
    slate = pd.read_csv(tmp_path / "brief" / "slate.csv")
    assert slate["actor"].tolist() == result.slate["actor"].tolist()
    assert len(pd.read_csv(tmp_path / "brief" / "reasons.csv")) == len(result.reasons)
    manifest = json.loads((tmp_path / "brief" / "manifest.json").read_text())
    assert manifest["kind"] == "casting-brief" and manifest["parameters"]["year"] == 2018
    assert manifest["data_checksum"] == casting_demo.data_checksum
    assert len(manifest["model_version"]) == 12 and manifest["created_at"] and manifest["model_trained_at"]
    assert manifest["flags"]["candidates"] == result.flags["candidates"]
    card = (tmp_path / "brief" / "model_card.html").read_text(encoding="utf-8")
    # What matters is the figures a reader sees, not how plotly's JSON writer escapes them
    # ("–" is written raw with orjson installed and as \u2013 without): decode the figures.
    figures = _plotly_figures(card)
    titles = [figure["layout"]["title"]["text"] for figure in figures]
    assert titles == ["Reliability on holdout years", "Precision–recall on holdout years", "PR-AUC per holdout year",
                      "Permutation importance (drop in holdout AUROC)"]
    for figure in figures:
        assert any(len(trace.get("x", [])) for trace in figure["data"]), figure["layout"]["title"]["text"]
    importance = next(t for t in figures[3]["data"] if t["type"] == "bar")
    assert set(importance["y"]) == set(casting_demo.importance["feature"].head(15))
    # opens offline: plotly.js is inlined once, nothing is fetched from elsewhere
    assert card.count("plotly.js v") == 1 and "<script src" not in card


def _plotly_figures(html: str) -> list[dict]:
    """The (data, layout) of every ``Plotly.newPlot("id", data, layout, config)`` call in a page."""
    decoder = json.JSONDecoder()
    figures = []
    for call in re.finditer(r'Plotly\.newPlot\(\s*"[^"]+",\s*', html):
        data, end = decoder.raw_decode(html, call.end())
        layout, _ = decoder.raw_decode(html, re.compile(r",\s*").match(html, end).end())
        figures.append({"data": data, "layout": layout})
    return figures


def test_named_co_stars_set_the_base_chance_and_leave_the_slate(casting_demo, casting_demo_co_stars):
    """Co-stars already cast are not candidates; with the co-star record their records move the
    brief's base chance, the same for every candidate (film-level); the default model ignores
    them; an unknown name is refused naming it."""
    plain = cast_brief(casting_demo_co_stars, BRIEF, explain=False)
    stars = tuple(plain.slate["actor"].iloc[:2])
    named = cast_brief(casting_demo_co_stars, BRIEF.with_changes(co_stars=tuple(s.upper() for s in stars)),
                       explain=False)
    assert named.brief.co_stars == stars
    assert not set(stars) & set(named.slate["actor"])
    assert named.slate["base_chance"].nunique() == 1
    assert named.slate["base_chance"].iloc[0] != plain.slate["base_chance"].iloc[0]
    default = cast_brief(casting_demo, BRIEF, explain=False)
    default_named = cast_brief(casting_demo, BRIEF.with_changes(co_stars=stars), explain=False)
    assert not set(stars) & set(default_named.slate["actor"])
    assert default_named.slate["base_chance"].iloc[0] == default.slate["base_chance"].iloc[0]
    with pytest.raises(MarqueeError, match="no actor named 'Nobody Atall'"):
        cast_brief(casting_demo, BRIEF.with_changes(co_stars=("Nobody Atall",)))


def test_holdout_is_also_scored_without_co_stars(casting_demo, casting_demo_co_stars):
    metrics = casting_demo_co_stars.metrics["without_co_stars"]
    assert 0.0 <= metrics["ece"] <= 1.0 and 0.0 <= metrics["auroc"] <= 1.0
    assert "co_star_atr3" in casting_demo_co_stars.feature_names
    assert "co_star_atr3" not in casting_demo.feature_names and "without_co_stars" not in casting_demo.metrics
