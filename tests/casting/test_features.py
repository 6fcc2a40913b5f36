"""As-of features: no peeking at the future, training-years-only transforms, the feature contract."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.casting.features import FACT_GROUPS, CastingFeaturizer, enforce_contract
from core.casting.history import TrailingHistory
from core.casting.longtable import build_long_table
from core.errors import MarqueeError
from tests.casting.conftest import catalog_with, change_films_from, unmoved_rows


def _features(catalog, featurizer=None, cutoff=2010):
    table = build_long_table(catalog)
    featurizer = featurizer or CastingFeaturizer(cutoff=cutoff).fit(table)
    data = featurizer.annotate(table)
    hist = featurizer.histories(data)
    return featurizer, data, hist, featurizer.transform(data, hist)


def _truncate(catalog, year):
    """The catalog with every film released in ``year`` or later deleted."""
    keep = catalog.movies[catalog.movies["year"] < year]
    return catalog_with(catalog, movies=keep, credits=catalog.credits[catalog.credits["movie_id"].isin(keep["movie_id"])])


@pytest.mark.parametrize("year", [1996, 2016])
def test_features_for_year_do_not_change_when_the_future_is_deleted(demo_catalog, year):
    featurizer, data, hist, X = _features(demo_catalog)
    _, data_cut, hist_cut, X_cut = _features(_truncate(demo_catalog, year), featurizer)
    # every earlier row keeps exactly the same features
    key = ["movie_id", "person_id"]
    full = pd.concat([data.rows[key], X], axis=1)
    full = full[data.rows["year"] < year].sort_values(key).reset_index(drop=True)
    cut = pd.concat([data_cut.rows[key], X_cut], axis=1).sort_values(key).reset_index(drop=True)
    pd.testing.assert_frame_equal(full, cut)
    # and every actor's and director's state as of `year` (what a brief for that year sees) too
    actors = hist.actor.entities_.to_numpy()
    years = np.full(len(actors), year)
    state, state_cut = featurizer.actor_state(hist, actors, years), featurizer.actor_state(hist_cut, actors, years)
    for name in state:
        np.testing.assert_array_equal(state[name], state_cut[name], err_msg=name)
    directors = hist.director.entities_.to_numpy()
    d_years = np.full(len(directors), year)
    for name, values in featurizer.director_state(hist, directors, d_years).items():
        np.testing.assert_array_equal(values, featurizer.director_state(hist_cut, directors, d_years)[name])


def test_holdout_year_brief_features_unchanged_with_a_fresh_fit(demo_catalog):
    """With the cutoff before Y, refitting on the truncated catalog gives the same brief features."""
    from core.casting.features import FilmSpec

    year = 2016
    full, _, hist, _ = _features(demo_catalog)
    cut, _, hist_cut, _ = _features(_truncate(demo_catalog, year))
    actors = hist.actor.entities_.to_numpy()
    n = len(actors)
    spec = FilmSpec(year=np.full(n, year), budget=np.full(n, 4e7), genres=[("Drama", "Crime")] * n,
                    language=np.full(n, "en"), director_id=np.full(n, np.nan), bill_order=np.zeros(n))

    def brief_rows(featurizer, history):
        state = featurizer.actor_state(history, actors, spec.year)
        return featurizer.assemble(state, featurizer.director_state(history, spec.director_id, spec.year), spec)

    pd.testing.assert_frame_equal(brief_rows(full, hist), brief_rows(cut, hist_cut))


def test_thresholds_and_bins_depend_on_training_years_only(demo_catalog):
    base = CastingFeaturizer(cutoff=2010).fit(build_long_table(demo_catalog))
    rng = np.random.default_rng(0)
    movies = demo_catalog.movies.copy()
    later = movies["year"] > 2010
    movies.loc[later, "vote_average"] = rng.uniform(1, 10, later.sum()).round(1)
    movies.loc[later, "budget"] = movies.loc[later, "budget"] * 10
    holdout_changed = CastingFeaturizer(cutoff=2010).fit(build_long_table(catalog_with(demo_catalog, movies=movies)))
    assert holdout_changed.target_.threshold_ == base.target_.threshold_
    np.testing.assert_array_equal(holdout_changed.budget_edges_, base.budget_edges_)
    assert holdout_changed.genres_ == base.genres_

    movies = demo_catalog.movies.copy()
    earlier = movies["year"] <= 2010
    movies.loc[earlier, "vote_average"] = (movies.loc[earlier, "vote_average"] + 0.5).clip(upper=10)
    movies.loc[earlier, "budget"] = movies.loc[earlier, "budget"] * 3
    train_changed = CastingFeaturizer(cutoff=2010).fit(build_long_table(catalog_with(demo_catalog, movies=movies)))
    assert train_changed.target_.threshold_ == pytest.approx(base.target_.threshold_ + 0.5)
    np.testing.assert_allclose(train_changed.budget_edges_, base.budget_edges_ + np.log(3))


def test_trailing_history_sees_only_earlier_years():
    history = TrailingHistory([7, 7, 7, 7, 9], [2000, 2001, 2001, 2003, 2001],
                              {"x": np.array([1.0, 2.0, np.nan, 4.0, 8.0])})
    at = history.locate([7, 7, 7, 9, 42], [2001, 2002, 2010, 2001, 2005])
    np.testing.assert_array_equal(at.count, [1, 3, 4, 0, 0])
    mean, n = history.last_k_mean("x", at, k=2)
    np.testing.assert_array_equal(n, [1, 2, 2, 0, 0])
    np.testing.assert_allclose(mean[:3], [1.0, 1.5, 3.0])
    assert np.isnan(mean[3:]).all()
    np.testing.assert_array_equal(history.count_since(at, [2001, 2002, 2010, 2001, 2005], 1), [1, 2, 0, 0, 0])
    np.testing.assert_array_equal(history.last_year(at)[:3], [2000, 2001, 2003])


def test_feature_contract_is_enforced(casting_demo):
    names = casting_demo.feature_names
    frame = pd.DataFrame({n: [0.0] for n in reversed(names)})
    assert list(enforce_contract(frame, names).columns) == names
    with pytest.raises(MarqueeError, match="contract broken: missing columns bfd"):
        enforce_contract(frame.drop(columns=["bfd"]), names)
    assert casting_demo.head.feature_names_ == names


def test_long_table_rows_and_target(demo_catalog):
    table = build_long_table(demo_catalog)
    cast = demo_catalog.credits[demo_catalog.credits["role"] == "cast"]
    assert len(table.rows) == len(cast)
    assert {"movie_id", "person_id", "year", "budget", "bill_order", "genres", "director", "language",
            "vote_average", "popularity", "roi"} <= set(table.rows.columns)
    featurizer = CastingFeaturizer(target="roi", quantile=0.8, cutoff=2005).fit(table)
    train_roi = table.films.loc[table.films["year"] <= 2005, "roi"].dropna()
    assert featurizer.target_.threshold_ == pytest.approx(train_roi.quantile(0.8))


# ---------------------------------------------------------------- brief feature set: no peeking, per group
def _brief_features(catalog, featurizer):
    table = build_long_table(catalog)
    data = featurizer.annotate(table)
    return data, featurizer.transform(data, featurizer.histories(data))


def _groups(names):
    from core.casting.features import ACTOR_FEATURES, CO_STAR_FEATURES, DIRECTOR_EXTRA, FILM_FEATURES, FORMAT_FEATURES

    return {
        "film_facts": [n for n in names if n.startswith(("country_", "rating_")) or n in FORMAT_FEATURES],
        "co_star_record": list(CO_STAR_FEATURES),
        "actor": [n for n in names if n in ACTOR_FEATURES],
        "director": ["dtr3", "director_films_prior", *DIRECTOR_EXTRA],
        "film": [n for n in names if n not in ACTOR_FEATURES and n != "release_year"
                 and (n in FILM_FEATURES or n.startswith(("genre_", "lang_")) or n == "budget_decile")],
        "billing_and_year": ["bill_order", "year_sin", "year_cos", "release_year"],
    }


@pytest.fixture(scope="module")
def brief_featurizer(demo_catalog):
    return CastingFeaturizer(cutoff=2010, n_genres=40, feature_set="brief_co_stars").fit(build_long_table(demo_catalog))


COUNTRIES = np.array(["USA", "UK", "France", "India", "Japan", None], dtype=object)
RATINGS = np.array(["R", "PG-13", "PG", "G", "Not Rated", None], dtype=object)


def _with_facts(movies, rng):
    """Random brief-time facts (country, content rating, colour, aspect ratio) for every film."""
    n = len(movies)
    return movies.assign(country=rng.choice(COUNTRIES, n, p=[.5, .15, .1, .1, .1, .05]),
                         content_rating=rng.choice(RATINGS, n, p=[.35, .3, .15, .05, .1, .05]),
                         color=rng.choice(np.array([True, False, None], dtype=object), n, p=[.85, .1, .05]),
                         aspect_ratio=rng.choice([1.33, 1.85, 2.35, np.nan], n))


@pytest.fixture(scope="module")
def facts_catalog(demo_catalog):
    """The demo catalog with brief-time facts (the demo builder has none)."""
    return catalog_with(demo_catalog, movies=_with_facts(demo_catalog.movies, np.random.default_rng(5)))


@pytest.fixture(scope="module")
def facts_featurizer(facts_catalog):
    """Every candidate fact group (the default contract has the country only): the no-peek tests cover them all."""
    return CastingFeaturizer(cutoff=2010, n_genres=40, feature_set="brief_co_stars",
                             fact_groups=FACT_GROUPS).fit(build_long_table(facts_catalog))


def test_film_facts_are_in_the_contract_with_training_years_vocabularies(facts_catalog, facts_featurizer):
    names = facts_featurizer.feature_names_
    assert {"country_usa", "country_uk", "country_other", "rating_r", "rating_pg_13", "rating_other"} <= set(names)
    assert set(facts_featurizer.fact_columns(("country", "content_rating", "format"))) <= set(names)
    # later films' facts never move the vocabularies (fitted on years <= cutoff)
    movies = facts_catalog.movies.copy()
    later = movies["year"] > 2010
    movies.loc[later, "country"] = "Narnia"
    movies.loc[later, "content_rating"] = "TV-MA"
    refit = CastingFeaturizer(cutoff=2010, n_genres=40, feature_set="brief_co_stars", fact_groups=FACT_GROUPS).fit(
        build_long_table(catalog_with(facts_catalog, movies=movies)))
    assert refit.countries_ == facts_featurizer.countries_ and refit.ratings_ == facts_featurizer.ratings_
    assert refit.feature_names_ == names
    # a film's facts land in its own row: unknown country counts in no country column
    data, X = _brief_features(facts_catalog, facts_featurizer)
    rows = data.rows.reset_index(drop=True)
    X = X.reset_index(drop=True)
    usa = rows["country"] == "USA"
    assert (X.loc[usa, "country_usa"] == 1).all() and (X.loc[~usa, "country_usa"] == 0).all()
    unknown = rows["country"] == "unknown"
    assert unknown.any() and (X.loc[unknown, [c for c in names if c.startswith("country_")]].sum(axis=1) == 0).all()
    bw = rows["black_and_white"] == 1
    assert bw.any() and (X.loc[bw, "black_and_white"] == 1).all()


def test_feature_groups_cover_the_brief_contract(brief_featurizer):
    names = brief_featurizer.feature_names_
    covered = [c for cols in _groups(names).values() for c in cols]
    assert sorted(covered) == sorted(names) and len(covered) == len(set(covered))


@pytest.mark.parametrize("year", [1998, 2012])
@pytest.mark.parametrize("group", ["actor", "director", "film", "film_facts", "billing_and_year", "co_star_record"])
def test_no_peek_per_feature_group(facts_catalog, facts_featurizer, year, group):
    """Change every film of year ≥ Y (outcomes, budget, genres, runtime, language, country, content
    rating, colour, aspect ratio, half its cast) except a kept half of year Y's films: no feature of
    the group changes for rows before Y or rows of the kept films (films of the same year never see
    each other)."""
    demo_catalog, brief_featurizer = facts_catalog, facts_featurizer
    rng = np.random.default_rng(year)
    movies, credits, kept, changed = change_films_from(demo_catalog, year, rng)
    facts = _with_facts(movies.loc[changed], rng)
    for column in ("country", "content_rating", "color", "aspect_ratio"):
        movies.loc[changed, column] = facts[column]
    perturbed = catalog_with(demo_catalog, movies=movies, credits=credits)
    data, X = _brief_features(demo_catalog, brief_featurizer)
    data_p, X_p = _brief_features(perturbed, brief_featurizer)
    columns = _groups(brief_featurizer.feature_names_)[group]
    before, after = unmoved_rows(data, X[columns], year, kept), unmoved_rows(data_p, X_p[columns], year, kept)
    key = ["movie_id", "person_id"]
    assert len(before) > 100 and before[key].equals(after[key])
    pd.testing.assert_frame_equal(before, after)


def test_features_never_read_post_release_fields_or_keywords(demo_catalog, brief_featurizer):
    """Votes, popularity, gross and plot keywords of every film are scrambled: no feature moves
    (the target, vote average, is only read through earlier films' labels)."""
    rng = np.random.default_rng(0)
    movies = demo_catalog.movies.astype({"popularity": float, "revenue": float})
    n = len(movies)
    movies["vote_count"] = rng.integers(0, 10**6, n)
    movies["popularity"] = rng.uniform(0, 500, n)
    movies["revenue"] = rng.uniform(0, 1e9, n)
    movies["keywords"] = [["box office flop"] if i % 3 else ["critically acclaimed", "cult film"] for i in range(n)]
    _, X = _brief_features(demo_catalog, brief_featurizer)
    _, X_p = _brief_features(catalog_with(demo_catalog, movies=movies), brief_featurizer)
    pd.testing.assert_frame_equal(X, X_p)
    # and a film's own score (with every later one) never reaches the rows of its year
    year = 2005
    own = demo_catalog.movies.copy()
    later = own["year"] >= year
    own.loc[later, "vote_average"] = 10.0 - own.loc[later, "vote_average"].fillna(5.0)
    data, X = _brief_features(demo_catalog, brief_featurizer)
    data_o, X_o = _brief_features(catalog_with(demo_catalog, movies=own), brief_featurizer)
    assert not data.rows["label"].equals(data_o.rows["label"])
    upto = (data.rows["year"] <= year).to_numpy()
    pd.testing.assert_frame_equal(X[upto], X_o[upto])


def test_co_star_record_is_the_other_billed_actors_as_of_record(demo_catalog, brief_featurizer):
    """Each row's co-star columns are the mean as-of record of the film's other billed actors."""
    data, X = _brief_features(demo_catalog, brief_featurizer)
    rows = data.rows.reset_index(drop=True)
    X = X.reset_index(drop=True)
    film = rows.loc[rows.groupby("movie_id")["person_id"].transform("size") >= 3, "movie_id"].iloc[0]
    cast = rows.index[rows["movie_id"] == film]
    for i in cast:
        others = [j for j in cast if j != i]
        assert X.at[i, "co_stars"] == len(others)
        assert X.at[i, "co_star_atr3"] == pytest.approx(X.loc[others, "atr3"].mean())
        assert X.at[i, "co_star_roles"] == pytest.approx(X.loc[others, "actor_roles_prior"].mean())


def test_brief_features_skip_the_co_star_record_and_equal_brief_co_stars_without_it(demo_catalog, brief_featurizer,
                                                                                    monkeypatch):
    """The default 'brief' set has no co-star columns: transform builds no co-star pairs or records
    (they would be dropped by the contract), and its features equal brief_co_stars' other columns."""
    from core.casting import features

    table = build_long_table(demo_catalog)
    brief = CastingFeaturizer(cutoff=2010, n_genres=40, feature_set="brief").fit(table)
    assert brief.feature_names_ == [n for n in brief_featurizer.feature_names_ if n not in features.CO_STAR_FEATURES]
    with_co_stars = _features(demo_catalog, brief_featurizer)[3]

    def not_for_brief(*args, **kwargs):
        raise AssertionError("co-star pairs or records built for the 'brief' feature set")
    monkeypatch.setattr(features, "co_star_pairs", not_for_brief)
    monkeypatch.setattr(CastingFeaturizer, "co_star_record", not_for_brief)
    X = _features(demo_catalog, brief)[3]
    pd.testing.assert_frame_equal(X, with_co_stars[brief.feature_names_])


def test_post_release_columns_never_reach_the_catalog_or_the_contract(facts_featurizer):
    """IMDB-5000's post-release columns have no place in the movies schema, and no contract column is
    built from a film's own score, votes, popularity, gross or keywords (only earlier films' labels)."""
    from core.catalog.importers.imdb5000 import COLUMNS, OPTIONAL_COLUMNS
    from core.catalog.schema import MOVIES

    post_release = {"num_critic_for_reviews", "num_user_for_reviews", "movie_facebook_likes", "director_facebook_likes",
                    "actor_1_facebook_likes", "actor_2_facebook_likes", "actor_3_facebook_likes",
                    "cast_total_facebook_likes", "facenumber_in_poster"}
    assert not post_release & set(MOVIES.names)
    assert not post_release & (set(COLUMNS) | set(OPTIONAL_COLUMNS))
    assert set(OPTIONAL_COLUMNS) == {"content_rating", "color", "aspect_ratio"}
    leaky = ("vote", "popularity", "revenue", "gross", "roi", "keyword", "likes", "imdb_score", "critic", "facenumber")
    assert not [n for n in facts_featurizer.feature_names_ if any(w in n for w in leaky)]


def test_fact_columns_are_unique_and_the_catch_all_name_is_reserved(facts_catalog):
    """A country called "Other" counts in the catch-all column instead of colliding with it, and
    spellings of one rating ("PG-13", "PG 13") share one column, counted together."""
    movies = facts_catalog.movies.copy()
    train = (movies["year"] <= 2010).to_numpy()
    spelled = train & (movies["content_rating"] == "PG-13").to_numpy() & (np.arange(len(movies)) % 2 == 0)
    movies.loc[spelled, "content_rating"] = "PG 13"
    other = train & (movies["country"] == "UK").to_numpy()
    movies.loc[other, "country"] = "Other"   # now the second most frequent training country
    catalog = catalog_with(facts_catalog, movies=movies)
    featurizer = CastingFeaturizer(cutoff=2010, n_genres=40, feature_set="brief", fact_groups=FACT_GROUPS).fit(
        build_long_table(catalog))
    names = featurizer.feature_names_
    assert len(names) == len(set(names))
    assert "Other" not in featurizer.countries_ and names.count("country_other") == 1
    assert sum(r in ("PG-13", "PG 13") for r in featurizer.ratings_) == 1
    data, X = _brief_features(catalog, featurizer)
    rows, X = data.rows.reset_index(drop=True), X.reset_index(drop=True)
    assert (X.loc[rows["content_rating"].isin(["PG-13", "PG 13"]), "rating_pg_13"] == 1).all()
    assert (X.loc[rows["country"] == "Other", "country_other"] == 1).all()
    assert (X.loc[rows["country"] == "Other", [c for c in names if c.startswith("country_") and c != "country_other"]]
            .sum(axis=1) == 0).all()
