"""Serve a brief: candidate pool → constrained, diverse slate, with alternates, reasons and comparables."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.casting.brief import Brief, validate_brief
from core.casting.explain import alternates, reason_codes
from core.casting.scoring import MAX_GAP_YEARS, MIN_PRIOR_ROLES, Scored, candidate_pool
from core.casting.trained import TrainedCasting
from core.casting.whatif import comparables

DIVERSITY = 0.08        # weight of the similarity to already chosen picks
POOL_FACTOR = 10        # the diverse selection looks at the best POOL_FACTOR·n + 20 candidates


@dataclass
class BriefResult:
    brief: Brief
    slate: pd.DataFrame
    alternates: pd.DataFrame
    reasons: pd.DataFrame
    comparables: pd.DataFrame
    flags: dict
    timings: dict = field(default_factory=dict)


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
    started = time.perf_counter()
    brief = validate_brief(brief, trained)
    pool = candidate_pool(trained, brief)
    flags = {"synthetic_catalog": trained.synthetic, "candidates": int(len(pool.frame)),
             "director": pool.director_name, "head": trained.head.head_name_,
             "calibrator": trained.head.calibrator_name_, "model_inverted": bool(trained.head.inverted_)}
    if pool.frame.empty:
        flags["warning"] = f"no actor has {MIN_PRIOR_ROLES}+ roles within {MAX_GAP_YEARS} years before {brief.year}"
    picks = select_slate(pool, brief.n)
    if len(picks) < brief.n:
        flags["short_slate"] = f"only {len(picks)} eligible actors for a slate of {brief.n}"
    slate = pool.frame.iloc[picks].reset_index(drop=True)
    slate.insert(0, "rank", np.arange(1, len(slate) + 1))
    timings = {"slate_s": time.perf_counter() - started}
    empty = pd.DataFrame()
    result = BriefResult(brief=brief, slate=slate, alternates=empty, reasons=empty, comparables=empty, flags=flags,
                         timings=timings)
    if explain:
        result.alternates = alternates(pool, picks)
        result.reasons = reason_codes(trained, pool, picks)
        result.comparables = comparables(trained, brief, slate)
    timings["total_s"] = time.perf_counter() - started
    return result
