"""Brief-time film facts in training and in a brief; every contract input can be served."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from core.casting import Brief, CastingConfig, cast_brief, train_casting
from core.casting.brief import validate_brief
from core.casting.features import (ACTOR_FEATURES, CO_STAR_FEATURES, DIRECTOR_FEATURES, FACT_GROUPS,
                                   film_attribute_columns)
from core.casting.scoring import candidate_pool
from core.errors import MarqueeError
from tests.casting.conftest import catalog_with
from tests.casting.test_features import _with_facts

# A light model (logistic head only, Platt): these tests check the contract and the direction of
# the country's effect, not the head choice, and the full default fit took ~45 s under load.
LIGHT = CastingConfig(candidates=("logit",), calibration="platt")


@pytest.fixture(scope="module")
def facts_model(demo_catalog):
    """The default contract on the demo catalog with facts, where USA films resonate more often."""
    movies = _with_facts(demo_catalog.movies, np.random.default_rng(11))
    usa = (movies["country"] == "USA").to_numpy()
    movies["vote_average"] = (movies["vote_average"] + np.where(usa, 0.8, -0.8)).clip(0, 10)
    return train_casting(catalog_with(demo_catalog, movies=movies), LIGHT)


def test_the_default_contract_has_the_country_only_and_film_only_has_no_person_feature(facts_model):
    names = facts_model.featurizer.feature_names_
    assert {"country_usa", "country_other"} <= set(names)
    # recorded in this catalog, but no brief states the format and the content rating lost on validation
    assert not [n for n in names if n.startswith("rating_") or n in ("black_and_white", "aspect_ratio")]
    film = film_attribute_columns(names)
    assert "country_usa" in film and "runtime" in film and "genre_drama" in film
    assert not set(film) & (set(ACTOR_FEATURES) | set(DIRECTOR_FEATURES) | {"bill_order"})


def _stated_everything(trained) -> Brief:
    """A brief with every field a brief can state."""
    films = trained.data.films
    director = films["director"].dropna().value_counts().index[0]
    kwargs = dict(year=2012, budget_musd=40.0, genres=("Drama",), bill_order=2, n=5, director=director,
                  language=trained.featurizer.default_language_, runtime=110.0, country="USA")
    assert {f.name for f in dataclasses.fields(Brief)} - set(kwargs) == {"co_stars"}  # a new field: state it here
    return validate_brief(Brief(**kwargs), trained)


def test_every_contract_feature_is_computed_from_history_or_settable_from_a_brief(facts_model):
    """Serving a brief that states everything leaves no film input missing: a contract feature that
    no brief can set (the picture format was one) would be NaN for every served candidate while
    training saw real values."""
    scored = candidate_pool(facts_model, _stated_everything(facts_model))
    assert len(scored.X) > 0
    history = set(ACTOR_FEATURES) | set(DIRECTOR_FEATURES) | set(CO_STAR_FEATURES)
    from_brief = [n for n in facts_model.featurizer.feature_names_ if n not in history]
    missing = [n for n in from_brief if not np.isfinite(scored.X[n].to_numpy(dtype=float)).all()]
    assert missing == []
    country = [n for n in from_brief if n.startswith("country_")]
    assert country and (scored.X[country].sum(axis=1) == 1).all() and (scored.X["country_usa"] == 1).all()


def test_fact_groups_are_only_the_known_candidates():
    from core.casting.features import DEFAULT_FACT_GROUPS, CastingFeaturizer

    assert set(DEFAULT_FACT_GROUPS) <= set(FACT_GROUPS)
    with pytest.raises(MarqueeError, match="unknown film fact groups colour"):
        CastingFeaturizer(feature_set="brief", fact_groups=("country", "colour"))


def test_brief_country_uses_the_catalog_spelling_or_says_what_is_known(facts_model):
    clean = validate_brief(Brief(2012, 40.0, ("Drama",), country=" usa "), facts_model)
    assert clean.country == "USA"
    assert validate_brief(Brief(2012, 40.0, ("Drama",), country="  "), facts_model).country is None
    with pytest.raises(MarqueeError, match=r"unknown country 'Narnia': catalog countries are .*USA"):
        validate_brief(Brief(2012, 40.0, ("Drama",), country="Narnia"), facts_model)
    with pytest.raises(MarqueeError, match=r"unknown country 'US\\x1b'"):
        validate_brief(Brief(2012, 40.0, ("Drama",), country="US\x1b"), facts_model)
    with pytest.raises(MarqueeError, match="country must be text"):
        validate_brief(Brief(2012, 40.0, ("Drama",), country=5), facts_model)
    assert "content_rating" not in {f.name for f in dataclasses.fields(Brief)}


def test_the_country_of_a_brief_moves_the_base_chance(facts_model):
    """USA films resonate more in this catalog: the same brief made in the USA gets a higher base chance."""
    usa = cast_brief(facts_model, Brief(2012, 40.0, ("Drama",), n=5, country="USA"))
    india = cast_brief(facts_model, Brief(2012, 40.0, ("Drama",), n=5, country="India"))
    assert usa.slate["p_cal"].mean() > india.slate["p_cal"].mean()
