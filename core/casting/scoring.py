"""Score actors for a brief: as-of features → p_base, p_cal and the ranking score p_high.

p_high = p_cal + ALPHA_CYCLE·cycle(year) + director synergy − budget-fit and cadence penalties.
``candidate_pool`` scores every actor with enough recent history; serving, reason codes and
what-ifs all build on the ``Scored`` frame it returns.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.casting.brief import Brief, resolve_co_stars, resolve_director
from core.casting.features import ACTOR_FEATURES, FilmSpec, pair_keys
from core.casting.longtable import UNKNOWN_LANGUAGE
from core.casting.model import director_frame
from core.casting.trained import TrainedCasting

MIN_PRIOR_ROLES = 2     # candidates have at least this many roles before the brief's year
MAX_GAP_YEARS = 8       # ... and one within this many years
BFD_TOLERANCE = 2.0     # budget deciles of mismatch allowed before the penalty starts
BFD_PENALTY = 0.03      # per decile beyond the tolerance
CADENCE_PENALTY = 0.05  # for an extreme release pace (busiest 5% of training) or a long idle spell
IDLE_YEARS = 5


@dataclass
class Scored:
    """Actors scored for one brief: display frame, contract features and profiles."""

    brief: Brief
    frame: pd.DataFrame
    X: pd.DataFrame
    profiles: np.ndarray
    director_id: float
    director_name: str | None


def actor_names(trained: TrainedCasting) -> pd.Series:
    names = trained.extra.get("actor_names")
    if names is None:
        rows = trained.data.rows
        names = rows.drop_duplicates("person_id").set_index("person_id")["actor"]
        trained.extra["actor_names"] = names
    return names


def film_spec(trained: TrainedCasting, brief: Brief, n: int, director_id: float) -> FilmSpec:
    return FilmSpec(year=np.full(n, brief.year), budget=np.full(n, brief.budget_musd * 1e6),
                    genres=[brief.genres] * n, language=np.full(n, brief.language, dtype=object),
                    director_id=np.full(n, director_id), bill_order=np.full(n, brief.bill_order - 1),
                    runtime=np.full(n, np.nan if brief.runtime is None else float(brief.runtime)),
                    country=np.full(n, brief.country or UNKNOWN_LANGUAGE, dtype=object))


def score_actors(trained: TrainedCasting, brief: Brief, person_ids, director_id: float = float("nan"),
                 director_name: str | None = None) -> Scored:
    """Score the given actors for a (validated) brief, every feature as of the brief's year."""
    featurizer, cfg = trained.featurizer, trained.config
    ids = np.asarray(person_ids, dtype=np.int64)
    n = len(ids)
    spec = film_spec(trained, brief, n, director_id)
    state = featurizer.actor_state(trained.hist, ids, spec.year, spec.director_id)
    director = featurizer.director_state(trained.hist, spec.director_id, spec.year)
    film = None
    if featurizer.feature_set != "seed":  # the same for every candidate: computed for one row, then repeated
        one = film_spec(trained, brief, 1, director_id)
        film = {k: np.repeat(v, n) for k, v in featurizer.film_state(trained.hist, one).items()}
    co_star = None
    co_ids = resolve_co_stars(trained, brief)
    if featurizer.feature_set == "brief_co_stars" and len(co_ids):  # the named co-stars' records, as of the brief's year
        others = featurizer.actor_state(trained.hist, co_ids, np.full(len(co_ids), brief.year))
        record = featurizer.co_star_record(others, np.zeros(len(co_ids), dtype=np.int64), 1)
        co_star = {k: np.repeat(v, n) for k, v in record.items()}
    X = featurizer.assemble(state, director, spec, film, co_star)
    p_base = trained.head.predict_base(X)
    p_cal = trained.head.calibrate(p_base)
    base_chance = _base_chance(trained, X)
    cycle = trained.head.cycle_adjustment(X)
    synergy = _synergy(trained, brief, ids, director_id)
    bfd = X["bfd"].to_numpy()
    bfd_penalty = BFD_PENALTY * np.clip(np.nan_to_num(bfd) - BFD_TOLERANCE, 0, None)
    busy = X["pace3"].to_numpy() > trained.pace_high
    idle = X["years_since_last"].to_numpy() > IDLE_YEARS
    cadence_penalty = CADENCE_PENALTY * (busy.astype(float) + idle.astype(float))
    frame = pd.DataFrame({
        "person_id": ids, "actor": actor_names(trained).reindex(ids).fillna("?").to_numpy(),
        "p_base": p_base, "p_cal": p_cal, "base_chance": base_chance, "actor_effect": p_cal - base_chance,
        "p_high": p_cal + cfg.alpha_cycle * cycle + synergy - bfd_penalty - cadence_penalty,
        "cycle": cycle, "synergy": synergy, "bfd_penalty": bfd_penalty, "cadence_penalty": cadence_penalty,
        "prior_roles": X["actor_roles_prior"].to_numpy().astype(int), "atr3": X["atr3"].to_numpy(),
        "pace3": X["pace3"].to_numpy().astype(int), "years_since_last": X["years_since_last"].to_numpy(),
        "actor_budget_decile": X["actor_budget_decile"].to_numpy(), "bfd": bfd,
    })
    return Scored(brief=brief, frame=frame, X=X, profiles=_profiles(state), director_id=director_id,
                  director_name=director_name)


def _base_chance(trained: TrainedCasting, X: pd.DataFrame) -> np.ndarray:
    """The brief's base chance: the model's own calibrated answer for this film with a typical
    actor (every actor-derived feature at its training median). It is the same for every candidate
    of a brief, so p_cal − base_chance (the actor's effect) orders a slate exactly as p_cal does."""
    if len(X) == 0:
        return np.zeros(0)
    typical = X.iloc[:1].copy()
    for column in ACTOR_FEATURES:
        if column in typical.columns:
            typical[column] = trained.reference[column]
    base = float(trained.head.calibrate(trained.head.predict_base(typical))[0])
    return np.full(len(X), base)


def _synergy(trained: TrainedCasting, brief: Brief, ids: np.ndarray, director_id: float) -> np.ndarray:
    """Director bump: w·(director head − base rate) + w·(shared past films' resonance − 0.5)·min(n,3)/3."""
    if director_id != director_id:  # NaN: no director chosen
        return np.zeros(len(ids))
    weight = trained.config.director_weight
    head = trained.director_head
    frame = director_frame(trained.featurizer, trained.hist, [director_id], [brief.year], [brief.budget_musd * 1e6])
    film_bump = weight * (head.predict_proba(frame)[0, 1] - head.base_rate_)
    pair = trained.hist.pair
    mean, count = pair.last_k_mean("pct", pair.locate(pair_keys(ids, np.full(len(ids), director_id)),
                                                      np.full(len(ids), brief.year)), 3)
    shared = np.nan_to_num(mean - 0.5) * np.minimum(count, 3) / 3.0
    return film_bump + weight * shared


def _profiles(state: dict[str, np.ndarray]) -> np.ndarray:
    """Actor profile vectors (as-of means of past roles), z-scored over the scored actors."""
    scalars = np.column_stack([state["atr3"], np.log1p(state["actor_roles_prior"]), state["actor_top3_share"],
                               state["pace3"], np.minimum(state["years_since_last"], 10), state["actor_budget_decile"]])
    matrix = np.hstack([scalars, state["genre_share"], state["lang_share"]])
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns (no known languages) become 0
        mean = np.nan_to_num(np.nanmean(matrix, axis=0)) if len(matrix) else np.zeros(matrix.shape[1])
    matrix = np.where(np.isnan(matrix), mean, matrix)
    std = matrix.std(axis=0)
    z = (matrix - matrix.mean(axis=0)) / np.where(std > 0, std, 1.0)
    norm = np.linalg.norm(z, axis=1, keepdims=True)
    return z / np.where(norm > 0, norm, 1.0)


def candidate_pool(trained: TrainedCasting, brief: Brief) -> Scored:
    """Every actor with enough recent history before the brief's year, scored."""
    director_id, director_name = resolve_director(trained, brief.director)
    ids = trained.hist.actor.entities_.to_numpy(dtype=np.int64)
    at = trained.hist.actor.locate(ids, np.full(len(ids), brief.year))
    last = trained.hist.actor.last_year(at)
    eligible = (at.count >= MIN_PRIOR_ROLES) & (brief.year - np.nan_to_num(last, nan=-1e9) <= MAX_GAP_YEARS)
    eligible &= ~np.isin(ids, resolve_co_stars(trained, brief))  # the actors already cast are not candidates
    return score_actors(trained, brief, ids[eligible], director_id, director_name)
