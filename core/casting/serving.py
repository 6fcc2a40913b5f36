"""Serve a brief: as-of candidates → p_base, p_cal, ranking score p_high → constrained, diverse slate.

p_high = p_cal + ALPHA_CYCLE·cycle(year) + director synergy − budget-fit and cadence penalties.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.casting.brief import Brief, resolve_director, validate_brief
from core.casting.features import FilmSpec, pair_keys
from core.casting.training import TrainedCasting, director_frame

MIN_PRIOR_ROLES = 2     # candidates have at least this many roles before the brief's year
MAX_GAP_YEARS = 8       # ... and one within this many years
BFD_TOLERANCE = 2.0     # budget deciles of mismatch allowed before the penalty starts
BFD_PENALTY = 0.03      # per decile beyond the tolerance
CADENCE_PENALTY = 0.05  # for an extreme release pace (busiest 5% of training) or a long idle spell
IDLE_YEARS = 5
DIVERSITY = 0.08        # weight of the similarity to already chosen picks
POOL_FACTOR = 10        # the diverse selection looks at the best POOL_FACTOR·n + 20 candidates


@dataclass
class Scored:
    """Actors scored for one brief: display frame, contract features and profiles."""

    brief: Brief
    frame: pd.DataFrame
    X: pd.DataFrame
    profiles: np.ndarray
    director_id: float
    director_name: str | None


@dataclass
class BriefResult:
    brief: Brief
    slate: pd.DataFrame
    alternates: pd.DataFrame
    reasons: pd.DataFrame
    comparables: pd.DataFrame
    flags: dict
    timings: dict = field(default_factory=dict)


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
                    director_id=np.full(n, director_id), bill_order=np.full(n, brief.bill_order - 1))


def score_actors(trained: TrainedCasting, brief: Brief, person_ids, director_id: float = float("nan"),
                 director_name: str | None = None) -> Scored:
    """Score the given actors for a (validated) brief, every feature as of the brief's year."""
    featurizer, cfg = trained.featurizer, trained.config
    ids = np.asarray(person_ids, dtype=np.int64)
    n = len(ids)
    spec = film_spec(trained, brief, n, director_id)
    state = featurizer.actor_state(trained.hist, ids, spec.year)
    director = featurizer.director_state(trained.hist, spec.director_id, spec.year)
    X = featurizer.assemble(state, director, spec)
    p_base = trained.model.predict_base(X)
    p_cal = trained.model.calibrate(p_base)
    cycle = trained.model.cycle_adjustment(X)
    synergy = _synergy(trained, brief, ids, director_id)
    bfd = X["bfd"].to_numpy()
    bfd_penalty = BFD_PENALTY * np.clip(np.nan_to_num(bfd) - BFD_TOLERANCE, 0, None)
    busy = X["pace3"].to_numpy() > trained.pace_high
    idle = X["years_since_last"].to_numpy() > IDLE_YEARS
    cadence_penalty = CADENCE_PENALTY * (busy.astype(float) + idle.astype(float))
    frame = pd.DataFrame({
        "person_id": ids, "actor": actor_names(trained).reindex(ids).fillna("?").to_numpy(),
        "p_base": p_base, "p_cal": p_cal,
        "p_high": p_cal + cfg.alpha_cycle * cycle + synergy - bfd_penalty - cadence_penalty,
        "cycle": cycle, "synergy": synergy, "bfd_penalty": bfd_penalty, "cadence_penalty": cadence_penalty,
        "prior_roles": X["actor_roles_prior"].to_numpy().astype(int), "atr3": X["atr3"].to_numpy(),
        "pace3": X["pace3"].to_numpy().astype(int), "years_since_last": X["years_since_last"].to_numpy(),
        "actor_budget_decile": X["actor_budget_decile"].to_numpy(), "bfd": bfd,
    })
    return Scored(brief=brief, frame=frame, X=X, profiles=_profiles(state), director_id=director_id,
                  director_name=director_name)


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
    return score_actors(trained, brief, ids[eligible], director_id, director_name)


def select_slate(pool: Scored, n: int) -> np.ndarray:
    """Greedy diverse selection: best p_high minus DIVERSITY × similarity to the picks so far."""
    order = np.argsort(-pool.frame["p_high"].to_numpy(), kind="stable")[: POOL_FACTOR * n + 20]
    score = pool.frame["p_high"].to_numpy()[order]
    profiles = pool.profiles[order]
    chosen: list[int] = []
    max_sim = np.zeros(len(order))
    for _ in range(min(n, len(order))):
        adjusted = score - DIVERSITY * np.clip(max_sim, 0, None)
        adjusted[chosen] = -np.inf
        best = int(np.argmax(adjusted))
        chosen.append(best)
        max_sim = np.maximum(max_sim, profiles @ profiles[best])
    return order[chosen]


def cast_brief(trained: TrainedCasting, brief: Brief, explain: bool = True) -> BriefResult:
    """The slate for a brief, with alternates, reason codes and comparable past films."""
    from core.casting import explain as why
    from core.casting.whatif import comparables

    started = time.perf_counter()
    brief = validate_brief(brief, trained)
    pool = candidate_pool(trained, brief)
    flags = {"synthetic_catalog": trained.synthetic, "candidates": int(len(pool.frame)),
             "director": pool.director_name, "head": trained.model.head_name_,
             "calibrator": trained.model.calibrator_name_, "model_inverted": bool(trained.model.inverted_)}
    if pool.frame.empty:
        flags["warning"] = f"no actor has {MIN_PRIOR_ROLES}+ roles within {MAX_GAP_YEARS} years before {brief.year}"
    picks = select_slate(pool, brief.n)
    if len(picks) < brief.n:
        flags["short_slate"] = f"only {len(picks)} eligible actors for a slate of {brief.n}"
    slate = pool.frame.iloc[picks].reset_index(drop=True)
    slate.insert(0, "rank", np.arange(1, len(slate) + 1))
    timings = {"slate_s": time.perf_counter() - started}
    empty = pd.DataFrame()
    alternates = why.alternates(pool, picks) if explain else empty
    reasons = why.reason_codes(trained, pool, picks) if explain else empty
    comparables_ = comparables(trained, brief, slate) if explain else empty
    timings["total_s"] = time.perf_counter() - started
    return BriefResult(brief=brief, slate=slate, alternates=alternates, reasons=reasons,
                       comparables=comparables_, flags=flags, timings=timings)
