"""Why each pick: reason codes from perturbation deltas, and "unsung" alternates from cosine kNN.

Reason codes: for each pick, one feature group at a time is set to a reference value (the
training median, "a typical actor") and the change in
p_base is that group's contribution, written in plain words with the actor's own values.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.casting.scoring import BFD_TOLERANCE, IDLE_YEARS, Scored
from core.casting.trained import TrainedCasting

REASON_GROUPS = {
    "track record": ["atr3", "actor_scored_prior"],
    "experience": ["actor_roles_prior"],
    "billing history": ["actor_top3_share"],
    "release pace": ["pace3", "years_since_last"],
    "genre fit": ["genre_affinity"],
    "language fit": ["language_affinity"],
    "budget fit": ["actor_budget_decile", "bfd"],
    "recent record": ["actor_rate", "actor_pct_recent", "actor_trend"],
    "record in these genres": ["actor_genre_pct"],
}
TOP_REASONS = 3
MIN_DELTA = 0.005       # contributions under half a point are not worth a reason
ALTERNATES_PER_PICK = 3
NEIGHBOURS = 25         # alternates come from the 25 most similar profiles ...
UNSUNG_WEIGHT = 0.3     # ... re-ranked by similarity − UNSUNG_WEIGHT × exposure percentile


def reason_codes(trained: TrainedCasting, pool: Scored, picks: np.ndarray) -> pd.DataFrame:
    X = pool.X.iloc[picks].reset_index(drop=True)
    slate = pool.frame.iloc[picks].reset_index(drop=True)
    groups = {name: columns for name, columns in REASON_GROUPS.items() if set(columns) <= set(X.columns)}
    batches = []
    for columns in groups.values():
        changed = X.copy()
        for column in columns:
            changed[column] = trained.reference[column]
        batches.append(changed)
    # contributions on the calibrated scale, so they add up (roughly) to the actor's effect
    perturbed = trained.head.calibrate(trained.head.predict_base(pd.concat(batches, ignore_index=True)))
    deltas = slate["p_cal"].to_numpy()[None, :] - perturbed.reshape(len(groups), len(X))
    rows = []
    for i, pick in slate.iterrows():
        if "base_chance" in pick:
            rows.append(_row(i, pick, "summary", "base chance and actor effect", float(pick["actor_effect"]),
                             f"For this brief the base chance is {pick['base_chance'] * 100:.1f}% (the film with a "
                             f"typical actor); {pick['actor']} moves it by {pick['actor_effect'] * 100:+.1f} points "
                             f"to {pick['p_cal'] * 100:.1f}%"))
        model_rows = [(group, float(deltas[g, i])) for g, group in enumerate(groups)]
        model_rows.sort(key=lambda item: -abs(item[1]))
        for group, delta in [item for item in model_rows if abs(item[1]) >= MIN_DELTA][:TOP_REASONS]:
            rows.append(_row(i, pick, "model", group, delta,
                             f"{_describe(group, X.iloc[i], trained, pool)} ({_points(delta)} vs a typical actor)"))
        rows += _adjustment_rows(i, pick, pool, trained)
    return pd.DataFrame(rows, columns=["rank", "person_id", "actor", "kind", "factor", "delta", "reason"])


def _row(i: int, pick, kind: str, factor: str, delta: float, text: str) -> dict:
    return {"rank": i + 1, "person_id": int(pick["person_id"]), "actor": pick["actor"], "kind": kind,
            "factor": factor, "delta": round(delta, 4), "reason": text}


def _points(delta: float) -> str:
    direction = "raises" if delta >= 0 else "lowers"
    return f"{direction} the chance by {abs(delta) * 100:.1f} points"


def _describe(group: str, x: pd.Series, trained: TrainedCasting, pool: Scored) -> str:
    brief = pool.brief
    if group == "track record":
        n = int(min(x["actor_scored_prior"], 3))
        if n == 0:
            return "No rated earlier films yet"
        return (f"Last {n} rated film{'s' if n > 1 else ''} averaged percentile {x['atr3'] * 100:.0f} "
                f"of {trained.config.target.replace('_', ' ')} (shrunk towards the middle)")
    if group == "experience":
        return f"{int(x['actor_roles_prior'])} earlier roles"
    if group == "billing history":
        return f"Billed in the top 3 in {x['actor_top3_share'] * 100:.0f}% of earlier roles"
    if group == "release pace":
        since = int(x["years_since_last"])
        return f"{int(x['pace3'])} roles in the 3 years before {brief.year}; last role {since} year{'s' if since != 1 else ''} earlier"
    if group == "genre fit":
        return f"{x['genre_affinity'] * 100:.0f}% of earlier roles were in {' / '.join(brief.genres)}"
    if group == "language fit":
        if np.isnan(x["language_affinity"]):
            return "Languages of earlier films unknown"
        return f"{x['language_affinity'] * 100:.0f}% of earlier roles were in language '{brief.language}'"
    if group == "recent record":
        return (f"Recent films (recency-weighted) averaged percentile {x['actor_pct_recent'] * 100:.0f}; "
                f"{x['actor_rate'] * 100:.0f}% shrunk resonance rate")
    if group == "record in these genres":
        return f"Earlier {' / '.join(brief.genres)} films averaged percentile {x['actor_genre_pct'] * 100:.0f} (shrunk)"
    if np.isnan(x["actor_budget_decile"]) or np.isnan(x["budget_decile"]):
        return "Budget level of earlier films unknown"
    return (f"Recent films averaged budget decile {x['actor_budget_decile']:.1f} of 0–9 (this film: "
            f"{x['budget_decile']:.0f}, a gap of {x['bfd']:.1f})")


def _adjustment_rows(i: int, pick, pool: Scored, trained: TrainedCasting) -> list[dict]:
    rows = []
    if pick["bfd_penalty"] > 0:
        rows.append(_row(i, pick, "constraint", "budget mismatch", -pick["bfd_penalty"],
                         f"Budget mismatch of {pick['bfd']:.1f} deciles (more than {BFD_TOLERANCE:.0f}) costs "
                         f"{pick['bfd_penalty'] * 100:.1f} points of ranking score"))
    if pick["cadence_penalty"] > 0:
        busy = pick["pace3"] > trained.pace_high
        text = (f"Very busy: {pick['pace3']} roles in 3 years (busiest 5% is above {trained.pace_high:.0f})" if busy
                else f"Idle for {pick['years_since_last']:.0f} years (more than {IDLE_YEARS})")
        rows.append(_row(i, pick, "constraint", "cadence", -pick["cadence_penalty"],
                         text + f"; costs {pick['cadence_penalty'] * 100:.1f} points of ranking score"))
    if pool.director_name and pick["synergy"] != 0:
        rows.append(_row(i, pick, "synergy", "director", pick["synergy"],
                         f"Director {pool.director_name}: synergy bump of {pick['synergy'] * 100:+.1f} points "
                         f"(director track record and shared past films)"))
    return rows


def alternates(pool: Scored, picks: np.ndarray) -> pd.DataFrame:
    """For each pick, similar but less-exposed actors (cosine kNN over as-of actor profiles).

    Among the pick's NEIGHBOURS most similar profiles, actors with fewer earlier roles than the
    pick are kept when there are enough, then ranked by similarity − UNSUNG_WEIGHT × exposure.
    """
    frame = pool.frame
    exposure = frame["prior_roles"].rank(pct=True).to_numpy()
    excluded = np.zeros(len(frame), dtype=bool)
    excluded[picks] = True
    actor, person = frame["actor"].to_numpy(), frame["person_id"].to_numpy()
    roles, p_cal, p_high = frame["prior_roles"].to_numpy(), frame["p_cal"].to_numpy(), frame["p_high"].to_numpy()
    # the nearest profiles of every pick at once (one matrix product instead of one per pick)
    similarities = pool.profiles[np.asarray(picks, dtype=np.int64)] @ pool.profiles.T if len(picks) else np.zeros((0, 0))
    rows = []
    for rank, pick in enumerate(picks, start=1):
        similarity = similarities[rank - 1].copy()
        similarity[excluded] = -np.inf
        near = np.argsort(-similarity, kind="stable")[:NEIGHBOURS]
        near = near[np.isfinite(similarity[near])]
        unsung = near[roles[near] < roles[pick]]
        if len(unsung) >= ALTERNATES_PER_PICK:
            near = unsung  # prefer actors with fewer earlier roles than the pick
        score = similarity[near] - UNSUNG_WEIGHT * exposure[near]
        for alt_rank, j in enumerate(near[np.argsort(-score, kind="stable")][:ALTERNATES_PER_PICK], start=1):
            rows.append({
                "rank": rank, "pick": actor[pick], "pick_person_id": int(person[pick]),
                "alternate_rank": alt_rank, "alternate": actor[j], "person_id": int(person[j]),
                "similarity": round(float(similarity[j]), 3), "prior_roles": int(roles[j]),
                "pick_prior_roles": int(roles[pick]),
                "p_cal": round(float(p_cal[j]), 4), "p_high": round(float(p_high[j]), 4),
            })
    return pd.DataFrame(rows, columns=["rank", "pick", "pick_person_id", "alternate_rank", "alternate", "person_id",
                                       "similarity", "prior_roles", "pick_prior_roles", "p_cal", "p_high"])
