"""Strictly as-of casting features and the feature contract.

``CastingFeaturizer.fit`` learns, from training years only, the resonance threshold and
percentile scale, the budget decile edges and the genre and language vocabularies. Feature rows
are then built from ``TrailingHistory`` queries, so a film released in year Y only ever sees
films released before Y. Training rows and serving briefs go through the same ``_assemble``.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.casting.history import TrailingHistory
from core.casting.longtable import UNKNOWN_LANGUAGE, LongTable, ResonanceTarget
from core.errors import MarqueeError
from core.splitting import split_by_year

TRAILING_K = 3        # ATR3 / DTR3 / trailing budget decile look at the last three roles
PACE_YEARS = 3        # release density: roles in the three years before Y
SHRINK = 2.0          # pseudo-count pulling short histories towards the neutral percentile 0.5
BILL_CAP = 15
GAP_CAP = 30
CYCLE_PERIOD = 10.0   # years; the cyclical year encoding

BASE_FEATURES = [
    "bill_order", "actor_roles_prior", "atr3", "actor_scored_prior", "actor_top3_share", "pace3",
    "years_since_last", "genre_affinity", "language_affinity", "budget_decile", "actor_budget_decile",
    "bfd", "dtr3", "director_films_prior", "year_sin", "year_cos",
]
CYCLE_FEATURES = ["year_sin", "year_cos"]
# Brief-time film features (the "brief" feature set): known before release and entered in the
# brief form. Never the film's own post-release fields (scores, votes, gross) nor its keywords.
FILM_FEATURES = ["runtime", "log_budget", "budget_known", "budget_vs_genre_year", "n_genres", "release_year"]
DIRECTOR_EXTRA = ["director_rate", "director_pct_mean"]
# What is derived from the candidate actor's own history (everything else is the same for every
# candidate of one brief: the film, its director, the billing position asked for).
# Actor-director pair history (earlier films together) was measured and left out: it lowered the
# validation AUROC on both real catalogs (benchmarks/bench_casting_ablation.py measures it).
PEOPLE_EXTRA = ["actor_rate", "actor_pct_recent", "actor_trend", "actor_genre_pct"]
ACTOR_FEATURES = ["actor_roles_prior", "atr3", "actor_scored_prior", "actor_top3_share", "pace3",
                  "years_since_last", "genre_affinity", "language_affinity", "actor_budget_decile", "bfd",
                  *PEOPLE_EXTRA]
# The co-star record (brief set): the other billed actors' own as-of records, the actor left out.
# For a brief they are the co-stars it names, the same for every candidate (so film-level: they set
# the base chance, not the slate's order); with none named they are missing (``co_stars`` = 0), as
# they are for a training film whose co-stars are masked (CO_STAR_MASK_SHARE of the films). Only in
# the "brief_co_stars" feature set: not the default, because a brief naming no co-star scored
# lower than the plain brief set on validation years (IMDB-5000 logit 0.796 vs 0.797, gbm 0.791
# vs 0.796) and most briefs name none.
CO_STAR_FEATURES = ["co_star_atr3", "co_star_rate", "co_star_pct_recent", "co_star_roles", "co_stars"]
CO_STAR_SOURCES = {"co_star_atr3": "atr3", "co_star_rate": "actor_rate", "co_star_pct_recent": "actor_pct_recent",
                   "co_star_roles": "actor_roles_prior"}
RECENCY_HALF_LIFE = 5.0    # years: an actor's film of five years ago counts half as much as last year's
ACTOR_SHRINK = 3.0         # pseudo-films pulling a short acting record towards the base rate / middle
FEATURE_SETS = ("seed", "brief", "brief_co_stars")  # brief_co_stars: brief + the co-star record
GENRE_BUDGET_YEARS = 5     # budget relative to films of the same genre released in the five years before
DIRECTOR_SHRINK = 3.0      # pseudo-films pulling a short directing record towards the base rate
ALL_GENRES_KEY = "*"
# Brief-time facts of the film beyond genres/runtime/language/budget (IMDB-5000 has them; other
# catalogs leave them unknown). Candidate groups (FACT_GROUPS, measured by
# benchmarks/bench_casting_ablation.py): main production country and content rating as one-hot
# columns over the most frequent training values plus "other", and the picture format (black and
# white, aspect ratio). The default "brief" contract has the country only (DEFAULT_FACT_GROUPS):
# - format is out: no brief states it (Brief has no such field), so serving would always feed it
#   missing while training saw real values;
# - content rating is out: chosen between {country} and {country + content rating} on validation
#   years 2008-10 with the head-selection rule (the smaller set stays unless the larger wins by more
#   than 0.005): + country logit / ens IMDB-5000 0.8008 / 0.8076, Wiki+IMDB 0.8420 / 0.8344;
#   + country and content rating 0.8008 / 0.8056, 0.8372 / 0.8346 (never better by 0.005, lower on
#   three of four). Content rating alone lowered validation on both catalogs (logit -0.001 / -0.006),
#   and IMDB-5000's rating is today's certificate (TV-*, "Unrated" DVD cuts), not clearly brief-time.
OTHER = "other"            # the catch-all value of a one-hot group: its column name is reserved
N_COUNTRIES = 8
N_RATINGS = 8
MIN_RATING_FILMS = 20      # a content rating needs this many training films for its own column
FORMAT_FEATURES = ["black_and_white", "aspect_ratio"]
FACT_GROUPS = ("country", "content_rating", "format")   # candidates (the ablation measures each)
DEFAULT_FACT_GROUPS = ("country",)                      # the default contract (see above)
DIRECTOR_FEATURES = ["dtr3", "director_films_prior", *DIRECTOR_EXTRA]


@dataclass
class FilmSpec:
    """Film-level inputs of a batch of rows (arrays of equal length)."""

    year: np.ndarray
    budget: np.ndarray
    genres: list
    language: np.ndarray
    director_id: np.ndarray
    bill_order: np.ndarray
    runtime: np.ndarray | None = None
    country: np.ndarray | None = None          # None: unknown for every row
    content_rating: np.ndarray | None = None
    black_and_white: np.ndarray | None = None  # 1.0 / 0.0 / NaN
    aspect_ratio: np.ndarray | None = None


@dataclass
class Annotated:
    """The long table with labels, percentiles, deciles and genre/language codes attached."""

    films: pd.DataFrame
    rows: pd.DataFrame
    film_genres: np.ndarray   # (n_films, n_vocab) 0/1
    row_film: np.ndarray      # row -> film position


@dataclass
class Histories:
    actor: TrailingHistory
    director: TrailingHistory
    pair: TrailingHistory
    genre_budget: TrailingHistory | None = None


def _column_name(prefix: str, value: str) -> str:
    """A contract column for one value of a one-hot group: lower-case, runs of anything but a-z0-9
    as one "_" (so "PG-13" and "PG 13" share a column)."""
    return prefix + re.sub(r"[^a-z0-9]+", "_", str(value).lower()).strip("_")


def genre_slug(genre: str) -> str:
    return _column_name("genre_", genre)


def language_slug(language: str) -> str:
    return _column_name("lang_", language)


def country_slug(country: str) -> str:
    return _column_name("country_", country)


def rating_slug(rating: str) -> str:
    return _column_name("rating_", rating)


def film_level_columns(names: list[str]) -> list[str]:
    """The columns that are the same for every candidate of one brief (film, director, billing).
    The model on these is the "film + director" baseline: it includes the director's history."""
    return [n for n in names if n not in ACTOR_FEATURES]


def film_attribute_columns(names: list[str]) -> list[str]:
    """The film's own brief-time attributes and nothing derived from a person: no actor, director or
    co-star history, no billing position. The model on these is the issue's "film-only" model."""
    person = set(ACTOR_FEATURES) | set(DIRECTOR_FEATURES) | set(CO_STAR_FEATURES) | {"bill_order"}
    return [n for n in names if n not in person]


def pair_keys(person_ids, director_ids) -> list[str]:
    return [f"{int(p)}|{int(d)}" if d == d else "" for p, d in zip(person_ids, director_ids)]


def enforce_contract(frame: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """The columns of ``names`` in that order; a missing column is a broken contract."""
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise MarqueeError(f"casting feature contract broken: missing columns {', '.join(missing)}")
    return frame[names]


class CastingFeaturizer:
    """Training-years-only transforms plus as-of feature assembly (scikit-learn style)."""

    def __init__(self, target: str = "vote_average", quantile: float = 0.75, cutoff: int = 2010,
                 n_genres: int = 24, n_languages: int = 8, feature_set: str = "seed",
                 fact_groups: tuple[str, ...] = DEFAULT_FACT_GROUPS):
        if feature_set not in FEATURE_SETS:
            raise MarqueeError(f"unknown casting feature set {feature_set!r}: choose {' or '.join(FEATURE_SETS)}")
        self.target = target
        self.quantile = quantile
        self.cutoff = cutoff
        self.n_genres = n_genres
        self.n_languages = n_languages
        self.feature_set = feature_set
        unknown = set(fact_groups) - set(FACT_GROUPS)
        if unknown:
            raise MarqueeError(f"unknown film fact groups {', '.join(sorted(unknown))}: choose among {', '.join(FACT_GROUPS)}")
        self.fact_groups = tuple(fact_groups)

    # ------------------------------------------------------------------ fitting
    def fit(self, table: LongTable) -> "CastingFeaturizer":
        self.target_ = ResonanceTarget(self.target, self.quantile, self.cutoff).fit(table.films)
        train = split_by_year(table.films, self.cutoff)["train"]
        budgets = np.log(train["budget"].dropna().to_numpy(dtype=float))
        self.budget_edges_ = np.quantile(budgets, np.linspace(0.1, 0.9, 9)) if len(budgets) >= 10 else np.array([])
        genre_counts = pd.Series([g for gs in train["genres"] for g in gs], dtype=object).value_counts()
        ranked = sorted(genre_counts.items(), key=lambda kv: (-kv[1], kv[0]))
        self.genres_ = [g for g, _ in ranked[: self.n_genres]]
        self.known_genres_ = sorted({g for gs in table.films["genres"] for g in gs})
        known_language = train.loc[train["language"] != UNKNOWN_LANGUAGE, "language"]
        lang_counts = known_language.value_counts()
        self.languages_ = sorted(lang_counts.index[: self.n_languages], key=lambda l: (-lang_counts[l], l))
        self.default_language_ = self.languages_[0] if self.languages_ else UNKNOWN_LANGUAGE
        self.known_languages_ = sorted(set(table.films["language"]) - {UNKNOWN_LANGUAGE})
        self.countries_ = _top_values(train["country"], N_COUNTRIES, 1, country_slug)
        self.ratings_ = _top_values(train["content_rating"], N_RATINGS, MIN_RATING_FILMS, rating_slug)
        self.known_countries_ = sorted(set(table.films["country"]) - {UNKNOWN_LANGUAGE})
        self.known_ratings_ = sorted(set(table.films["content_rating"]) - {UNKNOWN_LANGUAGE})
        # a fact group joins the contract only when training films record it (a catalog without
        # countries, ratings or picture formats, such as Wikipedia alone, gets no empty columns)
        recorded = {"country": bool(self.countries_), "content_rating": bool(self.ratings_),
                    "format": bool(np.isfinite(train[FORMAT_FEATURES].to_numpy(dtype=float)).any())}
        self.fact_groups_ = [g for g in self.fact_groups if recorded[g]]
        self.feature_names_ = BASE_FEATURES + [genre_slug(g) for g in self.genres_]
        if self.feature_set != "seed":
            self.feature_names_ += (FILM_FEATURES + DIRECTOR_EXTRA + [language_slug(l) for l in self.languages_]
                                    + ["lang_other"] + PEOPLE_EXTRA + self.fact_columns(self.fact_groups_))
        if self.feature_set == "brief_co_stars":
            self.feature_names_ += CO_STAR_FEATURES
        labels = self.target_.label(train[self.target])
        self.base_rate_ = float(np.nanmean(labels)) if np.isfinite(labels).any() else 1.0 - self.quantile
        years = table.films["year"]
        self.year_range_ = (int(years.min()), int(years.max()))
        return self

    # ------------------------------------------------------------------ persistence
    def state(self) -> tuple[dict, dict[str, np.ndarray]]:
        """Fitted state as JSON-able values plus arrays (for ``core.casting.model`` to save)."""
        values = {"target": self.target, "quantile": self.quantile, "cutoff": self.cutoff, "n_genres": self.n_genres,
                  "n_languages": self.n_languages, "threshold": self.target_.threshold_,
                  "n_train_films": self.target_.n_train_films_, "genres": self.genres_,
                  "known_genres": self.known_genres_, "languages": self.languages_,
                  "default_language": self.default_language_, "known_languages": self.known_languages_,
                  "feature_names": self.feature_names_, "year_range": list(self.year_range_),
                  "feature_set": self.feature_set, "base_rate": self.base_rate_,
                  "fact_groups": list(self.fact_groups), "fact_groups_fitted": self.fact_groups_, "countries": self.countries_, "ratings": self.ratings_,
                  "known_countries": self.known_countries_, "known_ratings": self.known_ratings_}
        return values, {"train_values": self.target_.train_values_, "budget_edges": self.budget_edges_}

    @classmethod
    def from_state(cls, values: dict, arrays: dict[str, np.ndarray]) -> "CastingFeaturizer":
        featurizer = cls(values["target"], values["quantile"], values["cutoff"], values["n_genres"], values["n_languages"],
                         values.get("feature_set", "seed"), tuple(values.get("fact_groups", ())))
        featurizer.base_rate_ = float(values.get("base_rate", 1.0 - values["quantile"]))
        target = ResonanceTarget(values["target"], values["quantile"], values["cutoff"])
        target.train_values_ = np.asarray(arrays["train_values"], dtype=float)
        target.threshold_ = float(values["threshold"])
        target.n_train_films_ = int(values["n_train_films"])
        featurizer.target_ = target
        featurizer.budget_edges_ = np.asarray(arrays["budget_edges"], dtype=float)
        featurizer.genres_ = list(values["genres"])
        featurizer.known_genres_ = list(values["known_genres"])
        featurizer.languages_ = list(values["languages"])
        featurizer.default_language_ = values["default_language"]
        featurizer.known_languages_ = list(values["known_languages"])
        featurizer.feature_names_ = list(values["feature_names"])
        featurizer.fact_groups_ = list(values.get("fact_groups_fitted", []))  # models saved before these facts: none
        featurizer.countries_ = list(values.get("countries", []))
        featurizer.ratings_ = list(values.get("ratings", []))
        featurizer.known_countries_ = list(values.get("known_countries", []))
        featurizer.known_ratings_ = list(values.get("known_ratings", []))
        featurizer.year_range_ = tuple(int(y) for y in values["year_range"])
        return featurizer

    def fact_columns(self, groups) -> list[str]:
        """Contract columns of the film fact groups (country / content_rating / format)."""
        out = []
        if "country" in groups:
            out += [country_slug(c) for c in self.countries_] + [country_slug(OTHER)]
        if "content_rating" in groups:
            out += [rating_slug(r) for r in self.ratings_] + [rating_slug(OTHER)]
        if "format" in groups:
            out += FORMAT_FEATURES
        return out

    def fact_frame(self, spec: FilmSpec) -> dict[str, np.ndarray]:
        """Every fact group's columns for ``spec`` (unknown country / rating: all zeros). A value
        counts in the column of its slug, so spellings of one value ("PG-13", "PG 13") share it."""
        n = len(spec.year)
        out = {}
        for values, vocab, slug in ((spec.country, self.countries_, country_slug),
                                    (spec.content_rating, self.ratings_, rating_slug)):
            values = np.full(n, UNKNOWN_LANGUAGE, dtype=object) if values is None else np.asarray(values, dtype=object)
            known = np.array([isinstance(v, str) and v != UNKNOWN_LANGUAGE and v != "" for v in values])
            slugs = pd.Series(values).map({v: slug(v) for v in set(values[known])}).to_numpy(dtype=object)
            columns = [slug(item) for item in vocab]
            for column in columns:
                out[column] = (slugs == column).astype(float)
            out[slug(OTHER)] = (known & ~np.isin(slugs, columns)).astype(float)
        for name, values in (("black_and_white", spec.black_and_white), ("aspect_ratio", spec.aspect_ratio)):
            values = np.full(n, np.nan) if values is None else np.asarray(values, dtype=float)
            out[name] = np.where(np.isfinite(values), values, np.nan)
        return out

    def budget_decile(self, budget) -> np.ndarray:
        budget = np.asarray(budget, dtype=float)
        out = np.full(budget.shape, np.nan)
        ok = np.isfinite(budget) & (budget > 0)
        if len(self.budget_edges_):
            out[ok] = np.searchsorted(self.budget_edges_, np.log(budget[ok]), side="right")
        return out

    def genre_matrix(self, genres_list) -> np.ndarray:
        index = {g: i for i, g in enumerate(self.genres_)}
        matrix = np.zeros((len(genres_list), len(self.genres_)))
        for row, genres in enumerate(genres_list):
            for g in genres:
                if g in index:
                    matrix[row, index[g]] = 1.0
        return matrix

    def language_index(self, languages) -> np.ndarray:
        """Vocabulary position; len(vocab) for any other known language; -1 when unknown."""
        index = {l: i for i, l in enumerate(self.languages_)}
        index[UNKNOWN_LANGUAGE] = -1
        return np.array([index.get(l, len(self.languages_)) for l in languages], dtype=np.int64)

    def language_onehot(self, languages) -> np.ndarray:
        """One column per vocabulary language plus "other"; films of unknown language count in none."""
        idx = self.language_index(languages)
        onehot = np.zeros((len(idx), len(self.languages_) + 1))
        known = idx >= 0
        onehot[np.flatnonzero(known), idx[known]] = 1.0
        return onehot

    # ------------------------------------------------------------------ history
    def annotate(self, table: LongTable) -> Annotated:
        films = table.films.copy()
        films["pct"] = self.target_.percentile(films[self.target])
        films["label"] = self.target_.label(films[self.target])
        films["budget_decile"] = self.budget_decile(films["budget"])
        position = pd.Series(np.arange(len(films)), index=films["movie_id"].to_numpy())
        row_film = position.loc[table.rows["movie_id"].to_numpy()].to_numpy()
        rows = table.rows.copy()
        for column in ("pct", "label", "budget_decile"):
            rows[column] = films[column].to_numpy()[row_film]
        return Annotated(films=films, rows=rows, film_genres=self.genre_matrix(films["genres"]), row_film=row_film)

    def histories(self, data: Annotated) -> Histories:
        rows, films = data.rows, data.films
        lang_onehot = self.language_onehot(rows["language"])
        pct = rows["pct"].to_numpy(dtype=float)
        scored = np.isfinite(pct).astype(float)
        weight = _recency_weight(rows["year"].to_numpy())
        genres = data.film_genres[data.row_film]
        actor = TrailingHistory(rows["person_id"].to_numpy(), rows["year"].to_numpy(), {
            "pct": pct, "budget_decile": rows["budget_decile"].to_numpy(),
            "top3": (rows["bill_order"].to_numpy() < 3).astype(float),
            "genres": genres, "lang": lang_onehot, "label": rows["label"].to_numpy(dtype=float),
            "pct_w": np.nan_to_num(pct) * weight, "scored_w": scored * weight,
            "genre_pct": genres * np.nan_to_num(pct)[:, None], "genre_scored": genres * scored[:, None],
        })
        directed = films[films["director_id"].notna()]
        director = TrailingHistory(directed["director_id"].to_numpy(dtype=float), directed["year"].to_numpy(),
                                   {"pct": directed["pct"].to_numpy(), "label": directed["label"].to_numpy()})
        paired = rows[rows["director_id"].notna()]
        pair = TrailingHistory(pair_keys(paired["person_id"], paired["director_id"]), paired["year"].to_numpy(),
                               {"pct": paired["pct"].to_numpy()})
        return Histories(actor=actor, director=director, pair=pair, genre_budget=self._genre_budget_history(films))

    @staticmethod
    def _genre_budget_history(films: pd.DataFrame) -> TrailingHistory:
        """Log budgets of films by genre (and under ``*`` for every film), for budget-vs-genre-year."""
        budget = films["budget"].to_numpy(dtype=float)
        known = np.isfinite(budget) & (budget > 0)
        keys, years, values = [], [], []
        for genres, year, value in zip(films["genres"][known], films["year"][known], np.log(budget[known])):
            for key in (*genres, ALL_GENRES_KEY):
                keys.append(key)
                years.append(int(year))
                values.append(value)
        return TrailingHistory(keys, np.asarray(years, dtype=np.int64), {"log_budget": np.asarray(values, dtype=float)})

    def film_state(self, hist: Histories, spec: FilmSpec) -> dict[str, np.ndarray]:
        """Brief-time film features: runtime, budget (absolute and relative to its genres' recent films)."""
        n = len(spec.year)
        years = np.asarray(spec.year, dtype=np.int64)
        budget = np.asarray(spec.budget, dtype=float)
        known = np.isfinite(budget) & (budget > 0)
        log_budget = np.where(known, np.log(np.where(known, budget, 1.0)), np.nan)
        runtime = np.full(n, np.nan) if spec.runtime is None else np.asarray(spec.runtime, dtype=float)
        runtime = np.where(np.isfinite(runtime) & (runtime > 0), runtime, np.nan)
        owner = np.repeat(np.arange(n), [len(g) for g in spec.genres])
        keys = [g for genres in spec.genres for g in genres]
        total, count = np.zeros(n), np.zeros(n)
        if keys and hist.genre_budget is not None:
            at = hist.genre_budget.locate(keys, years[owner])
            mean, k = hist.genre_budget.window_mean("log_budget", at, years[owner], GENRE_BUDGET_YEARS)
            total = np.bincount(owner, weights=np.nan_to_num(mean) * k, minlength=n)
            count = np.bincount(owner, weights=k, minlength=n).astype(float)
        reference = np.full(n, np.nan)
        if hist.genre_budget is not None:
            at = hist.genre_budget.locate([ALL_GENRES_KEY] * n, years)
            overall, k_all = hist.genre_budget.window_mean("log_budget", at, years, GENRE_BUDGET_YEARS)
            reference = np.where(k_all > 0, overall, np.nan)
        reference = np.where(count > 0, total / np.maximum(count, 1.0), reference)
        return {"runtime": runtime, "log_budget": log_budget, "budget_known": known.astype(float),
                "release_year": years.astype(float),
                "budget_vs_genre_year": log_budget - reference,
                "n_genres": np.array([len(g) for g in spec.genres], dtype=float)}

    # ------------------------------------------------------------------ features
    def actor_state(self, hist: Histories, person_ids, years, director_ids=None) -> dict[str, np.ndarray]:
        """Everything about the actors' careers before each year (the actor profile); with the
        brief feature set also their shrunk rates and genre record (``director_ids`` is unused:
        pair history was measured and left out)."""
        actor = hist.actor
        years = np.asarray(years, dtype=np.int64)
        person_ids = np.asarray(person_ids, dtype=np.int64)
        at = actor.locate(person_ids, years)
        roles = at.count.astype(float)
        denominator = np.maximum(roles, 1.0)
        atr_mean, atr_n = actor.last_k_mean("pct", at, TRAILING_K)
        budget_mean, _ = actor.last_k_mean("budget_decile", at, TRAILING_K)
        last = actor.last_year(at)
        extra = {}
        if self.feature_set != "seed":
            base = getattr(self, "base_rate_", 1.0 - self.quantile)
            labelled = actor.valid_count("label", at).astype(float)
            now = _recency_weight(years)
            scored_w = actor.total("scored_w", at) / now   # effective number of scored films
            recent = (actor.total("pct_w", at) / now + ACTOR_SHRINK * 0.5) / (scored_w + ACTOR_SHRINK)
            scored = actor.valid_count("pct", at).astype(float)
            career = (actor.total("pct", at) + ACTOR_SHRINK * 0.5) / (scored + ACTOR_SHRINK)
            extra = {
                "actor_rate": (actor.total("label", at) + ACTOR_SHRINK * base) / (labelled + ACTOR_SHRINK),
                "actor_pct_recent": recent, "actor_trend": _shrunk(atr_mean, atr_n) - career,
                "genre_pct_sum": actor.total("genre_pct", at), "genre_scored": actor.total("genre_scored", at),
            }
        return {**extra,
            "actor_roles_prior": roles,
            "atr3": _shrunk(atr_mean, atr_n),
            "actor_scored_prior": actor.valid_count("pct", at).astype(float),
            "actor_top3_share": actor.total("top3", at) / denominator,
            "pace3": actor.count_since(at, years, PACE_YEARS).astype(float),
            "years_since_last": np.where(np.isnan(last), GAP_CAP, np.minimum(years - last, GAP_CAP)),
            "actor_budget_decile": budget_mean,
            "genre_share": actor.total("genres", at) / denominator[:, None],
            "lang_share": _share(actor.total("lang", at)),
        }

    def director_state(self, hist: Histories, director_ids, years) -> dict[str, np.ndarray]:
        at = hist.director.locate(np.asarray(director_ids, dtype=float), years)
        mean, n = hist.director.last_k_mean("pct", at, TRAILING_K)
        out = {"dtr3": _shrunk(mean, n), "director_films_prior": at.count.astype(float)}
        if self.feature_set != "seed":
            labelled = hist.director.valid_count("label", at).astype(float)
            base = getattr(self, "base_rate_", 1.0 - self.quantile)
            out["director_rate"] = ((hist.director.total("label", at) + DIRECTOR_SHRINK * base)
                                    / (labelled + DIRECTOR_SHRINK))
            scored = hist.director.valid_count("pct", at).astype(float)
            out["director_pct_mean"] = (hist.director.total("pct", at) + DIRECTOR_SHRINK * 0.5) / (scored + DIRECTOR_SHRINK)
        return out

    def co_star_record(self, state: dict[str, np.ndarray], owners: np.ndarray, n: int) -> dict[str, np.ndarray]:
        """Mean as-of record of each row's co-stars: ``state`` holds the co-stars' actor state
        (:meth:`actor_state`, as of the row's year), ``owners`` the row each co-star belongs to."""
        owners = np.asarray(owners, dtype=np.int64)
        count = np.bincount(owners, minlength=n).astype(float)
        out = {"co_stars": count}
        for name, source in CO_STAR_SOURCES.items():
            total = np.bincount(owners, weights=np.nan_to_num(np.asarray(state[source], dtype=float)), minlength=n)
            out[name] = np.where(count > 0, total / np.maximum(count, 1.0), np.nan)
        return out

    def assemble(self, state: dict[str, np.ndarray], director: dict[str, np.ndarray], spec: FilmSpec,
                 film: dict[str, np.ndarray] | None = None,
                 co_star: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
        """Combine actor profiles with film-level inputs into contract-ordered feature rows.

        ``film`` (from :meth:`film_state`) is required by the "brief" feature set; ``co_star``
        (from :meth:`co_star_record`) is optional: without it no co-star is known."""
        n = len(spec.year)
        film_genres = self.genre_matrix(spec.genres)
        n_genres = film_genres.sum(axis=1)
        affinity = (state["genre_share"] * film_genres).sum(axis=1) / np.maximum(n_genres, 1.0)
        lang = self.language_index(spec.language)
        decile = self.budget_decile(spec.budget)
        angle = 2.0 * np.pi * np.asarray(spec.year, dtype=float) / CYCLE_PERIOD
        columns = {
            "bill_order": np.minimum(np.asarray(spec.bill_order, dtype=float), BILL_CAP),
            **{k: state[k] for k in ("actor_roles_prior", "atr3", "actor_scored_prior", "actor_top3_share",
                                     "pace3", "years_since_last")},
            "genre_affinity": affinity,
            "language_affinity": np.where(lang >= 0, state["lang_share"][np.arange(n), np.maximum(lang, 0)], np.nan),
            "budget_decile": decile,
            "actor_budget_decile": state["actor_budget_decile"],
            "bfd": np.abs(decile - state["actor_budget_decile"]),
            "dtr3": director["dtr3"], "director_films_prior": director["director_films_prior"],
            "year_sin": np.sin(angle), "year_cos": np.cos(angle),
        }
        for i, genre in enumerate(self.genres_):
            columns[genre_slug(genre)] = film_genres[:, i]
        if self.feature_set != "seed":
            # the actor's mean percentile in earlier films sharing the brief's genres, shrunk to
            # the actor's recent mean
            genre_sum = (state["genre_pct_sum"] * film_genres).sum(axis=1)
            genre_n = (state["genre_scored"] * film_genres).sum(axis=1)
            columns["actor_genre_pct"] = (genre_sum + ACTOR_SHRINK * state["actor_pct_recent"]) / (genre_n + ACTOR_SHRINK)
            columns.update({k: state[k] for k in ("actor_rate", "actor_pct_recent", "actor_trend")})
            if film is None:
                raise MarqueeError("the brief feature set needs the film state (CastingFeaturizer.film_state)")
            columns.update({k: film[k] for k in FILM_FEATURES})
            columns.update({k: director[k] for k in DIRECTOR_EXTRA})
            onehot = self.language_onehot(spec.language)
            for i, language in enumerate([*self.languages_, "other"]):
                columns[language_slug(language)] = onehot[:, i]
            columns.update(self.fact_frame(spec))
        if self.feature_set == "brief_co_stars":  # only this set has the co-star record in its contract
            if co_star is None:
                co_star = {**{k: np.full(n, np.nan) for k in CO_STAR_SOURCES}, "co_stars": np.zeros(n)}
            columns.update({k: co_star[k] for k in CO_STAR_FEATURES})
        return enforce_contract(pd.DataFrame(columns), self.feature_names_)

    def transform(self, data: Annotated, hist: Histories) -> pd.DataFrame:
        """Feature rows for every long-table row, each as of its own release year."""
        rows = data.rows
        years = rows["year"].to_numpy(dtype=np.int64)
        spec = FilmSpec(year=years, budget=rows["budget"].to_numpy(dtype=float), genres=list(rows["genres"]),
                        language=rows["language"].to_numpy(), director_id=rows["director_id"].to_numpy(dtype=float),
                        bill_order=rows["bill_order"].to_numpy(), runtime=rows["runtime"].to_numpy(dtype=float),
                country=rows["country"].to_numpy(), content_rating=rows["content_rating"].to_numpy(),
                black_and_white=rows["black_and_white"].to_numpy(dtype=float),
                aspect_ratio=rows["aspect_ratio"].to_numpy(dtype=float))
        state = self.actor_state(hist, rows["person_id"].to_numpy(), years, spec.director_id)
        director = self.director_state(hist, spec.director_id, years)
        film = None
        if self.feature_set != "seed":  # once per film, then spread over its cast rows
            films = data.films
            per_film = self.film_state(hist, FilmSpec(
                year=films["year"].to_numpy(dtype=np.int64), budget=films["budget"].to_numpy(dtype=float),
                genres=list(films["genres"]), language=films["language"].to_numpy(),
                director_id=films["director_id"].to_numpy(dtype=float), bill_order=np.zeros(len(films)),
                runtime=films["runtime"].to_numpy(dtype=float)))
            film = {k: v[data.row_film] for k, v in per_film.items()}
        co_star = None
        if self.feature_set == "brief_co_stars":  # each row's co-stars: the film's other billed actors, same year
            mine, theirs = co_star_pairs(rows["movie_id"].to_numpy(), rows["person_id"].to_numpy())
            co_star = self.co_star_record({k: np.asarray(state[k])[theirs] for k in CO_STAR_SOURCES.values()},
                                          mine, len(rows))
        frame = self.assemble(state, director, spec, film, co_star)
        frame.index = rows.index
        return frame


def co_star_pairs(movie_ids, person_ids) -> tuple[np.ndarray, np.ndarray]:
    """(row, co-star row) positions of every pair of different actors billed in one film."""
    cast = pd.DataFrame({"movie": np.asarray(movie_ids), "person": np.asarray(person_ids),
                         "row": np.arange(len(movie_ids))})
    pairs = cast.merge(cast, on="movie", sort=False)
    pairs = pairs[pairs["person_x"] != pairs["person_y"]]
    return pairs["row_x"].to_numpy(np.int64), pairs["row_y"].to_numpy(np.int64)


def _top_values(values: pd.Series, top: int, min_count: int, slug) -> list[str]:
    """The ``top`` most frequent known values with at least ``min_count`` films (ties by name),
    counted per column name: spellings with one slug ("PG-13", "PG 13") are one value, shown in its
    most frequent spelling, and a value named like the catch-all column ("Other") stays in it."""
    known = values[(values != UNKNOWN_LANGUAGE) & values.notna() & (values != "")]
    spellings = known.value_counts()
    by_slug: dict[str, list] = {}
    for value, count in sorted(spellings.items(), key=lambda vc: (-vc[1], vc[0])):
        column = slug(value)
        if column == slug(OTHER):
            continue
        if column in by_slug:
            by_slug[column][1] += int(count)
        else:
            by_slug[column] = [value, int(count)]
    ranked = sorted((vc for vc in by_slug.values() if vc[1] >= min_count), key=lambda vc: (-vc[1], vc[0]))
    return [v for v, _ in ranked[:top]]


def _share(counts: np.ndarray) -> np.ndarray:
    """Row shares of known-language roles (NaN rows when no earlier role has a known language)."""
    total = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, counts / np.where(total > 0, total, 1.0), np.nan)


def _recency_weight(years) -> np.ndarray:
    """exp(ln 2 · (year − 2000) / half-life): ratios of these weights halve every half-life."""
    return np.exp(np.log(2.0) * (np.asarray(years, dtype=float) - 2000.0) / RECENCY_HALF_LIFE)


def _shrunk(mean: np.ndarray, n: np.ndarray) -> np.ndarray:
    """(sum of the last k percentiles + SHRINK·0.5) / (k + SHRINK): 0.5 with no history."""
    return (np.nan_to_num(mean) * n + 0.5 * SHRINK) / (n + SHRINK)
