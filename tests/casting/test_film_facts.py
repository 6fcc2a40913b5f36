"""Brief-time film facts (country, content rating, picture format) in training and in a brief."""
from __future__ import annotations

import numpy as np
import pytest

from core.casting import Brief, CastingConfig, cast_brief, train_casting
from core.casting.brief import validate_brief
from core.errors import MarqueeError
from tests.casting.conftest import catalog_with
from tests.casting.test_features import _with_facts


@pytest.fixture(scope="module")
def facts_model(demo_catalog):
    """The default model on the demo catalog with facts, where USA films resonate more often."""
    movies = _with_facts(demo_catalog.movies, np.random.default_rng(11))
    usa = (movies["country"] == "USA").to_numpy()
    movies["vote_average"] = (movies["vote_average"] + np.where(usa, 0.8, -0.8)).clip(0, 10)
    return train_casting(catalog_with(demo_catalog, movies=movies), CastingConfig())


def test_the_contract_holds_every_fact_group_and_the_film_only_model_has_no_person_feature(facts_model):
    from core.casting.features import ACTOR_FEATURES, DIRECTOR_FEATURES, film_attribute_columns

    names = facts_model.featurizer.feature_names_
    assert {"country_usa", "rating_r", "black_and_white", "aspect_ratio"} <= set(names)
    film = film_attribute_columns(names)
    assert "country_usa" in film and "runtime" in film and "genre_drama" in film
    assert not set(film) & (set(ACTOR_FEATURES) | set(DIRECTOR_FEATURES) | {"bill_order"})


def test_brief_country_and_rating_use_the_catalog_spelling_or_say_what_is_known(facts_model):
    brief = Brief(2012, 40.0, ("Drama",), country=" usa ", content_rating="pg-13")
    clean = validate_brief(brief, facts_model)
    assert clean.country == "USA" and clean.content_rating == "PG-13"
    assert validate_brief(Brief(2012, 40.0, ("Drama",), country="  "), facts_model).country is None
    with pytest.raises(MarqueeError, match=r"unknown country 'Narnia': catalog countries are .*USA"):
        validate_brief(Brief(2012, 40.0, ("Drama",), country="Narnia"), facts_model)
    with pytest.raises(MarqueeError, match=r"unknown content rating 'PG\\x1b'"):
        validate_brief(Brief(2012, 40.0, ("Drama",), content_rating="PG\x1b"), facts_model)
    with pytest.raises(MarqueeError, match="country must be text"):
        validate_brief(Brief(2012, 40.0, ("Drama",), country=5), facts_model)


def test_the_country_of_a_brief_moves_the_base_chance(facts_model):
    """USA films resonate more in this catalog: the same brief made in the USA gets a higher base chance."""
    usa = cast_brief(facts_model, Brief(2012, 40.0, ("Drama",), n=5, country="USA"))
    india = cast_brief(facts_model, Brief(2012, 40.0, ("Drama",), n=5, country="India"))
    assert usa.slate["p_cal"].mean() > india.slate["p_cal"].mean()
