"""Comparable past films for each pick, and what-if changes to a brief or its slate."""
from __future__ import annotations

import numpy as np
import pandas as pd

from core.casting.brief import Brief, resolve_director, validate_brief
from core.casting.scoring import score_actors
from core.casting.trained import TrainedCasting
from core.errors import MarqueeError

COMPARABLES_PER_PICK = 3


def roles_by_person(trained: TrainedCasting) -> dict:
    """Long-table row positions of each actor: built once per bound catalog (a per-brief scan of
    every row for each pick was half of a brief's time on the merged catalog)."""
    index = trained.extra.get("roles_by_person")
    if index is None:
        index = trained.data.rows.groupby("person_id", sort=False).indices
        trained.extra["roles_by_person"] = index
    return index


def comparables(trained: TrainedCasting, brief: Brief, slate: pd.DataFrame) -> pd.DataFrame:
    """Each pick's earlier films, closest first: shared genres, then budget decile distance, then recency.

    All picks' earlier roles are taken in one positional take of the eight columns used (taking
    every column of the long table pick by pick, then sorting each pick's films, was ~65 % of a
    brief's CPU in a profiled app server on the demo catalog)."""
    rows = trained.data.rows
    target = trained.config.target
    decile = trained.featurizer.budget_decile([brief.budget_musd * 1e6])[0]
    wanted = set(brief.genres)
    by_person = roles_by_person(trained)
    picks = list(slate[["rank", "actor", "person_id"]].itertuples(index=False))
    positions = [np.asarray(by_person.get(int(pick.person_id), []), dtype=np.int64) for pick in picks]
    used = ["title", "year", "budget", "genres", "bill_order", "budget_decile", target, "label"]
    past = rows.iloc[np.concatenate(positions) if positions else np.empty(0, dtype=np.int64),
                     [rows.columns.get_loc(c) for c in used]]
    past = past.assign(pick=np.repeat(np.arange(len(picks)), [len(p) for p in positions]))
    past = past[past["year"] < brief.year]
    shared = past["genres"].map(lambda gs: len(wanted.intersection(gs)))
    distance = (past["budget_decile"] - decile).abs().fillna(99)
    ranked = past.assign(shared=shared, distance=distance, similar=(shared > 0) & (distance <= 1))
    ranked = ranked.sort_values(["pick", "similar", "shared", "distance", "year"],
                                ascending=[True, False, False, True, False], kind="stable")
    ranked = ranked.groupby("pick", sort=False).head(COMPARABLES_PER_PICK)
    out = []
    for film in ranked.itertuples(index=False):
        pick = picks[film.pick]
        value = getattr(film, target)
        out.append({
            "rank": pick.rank, "actor": pick.actor, "person_id": int(pick.person_id), "title": film.title,
            "year": int(film.year), "budget_musd": None if np.isnan(film.budget) else round(film.budget / 1e6, 2),
            "genres": ", ".join(film.genres), "bill_order": int(film.bill_order) + 1,
            target: None if pd.isna(value) else round(float(value), 3),
            "resonated": None if np.isnan(film.label) else bool(film.label),
            "match": "same genre, similar budget" if film.similar else
                     ("same genre" if film.shared else "nearest earlier film"),
        })
    return pd.DataFrame(out, columns=["rank", "actor", "person_id", "title", "year", "budget_musd", "genres",
                                      "bill_order", target, "resonated", "match"])


def resolve_actor(trained: TrainedCasting, who) -> int:
    """Person id from an id or a (case-insensitive) actor name in the catalog."""
    rows = trained.data.rows
    if isinstance(who, (int, np.integer)) or (isinstance(who, str) and who.strip().isdigit()):
        person = int(who)
        if person in set(rows["person_id"]):
            return person
        raise MarqueeError(f"no actor with person id {person} in catalog {trained.catalog_name!r}")
    matches = rows[rows["actor"].str.lower() == str(who).strip().lower()]
    if matches.empty:
        raise MarqueeError(f"no actor named {who!r} in catalog {trained.catalog_name!r}")
    return int(matches["person_id"].value_counts().index[0])


def what_if(trained: TrainedCasting, brief: Brief, slate_ids, swap_out=None, swap_in=None,
            year: int | None = None, budget_musd: float | None = None) -> tuple[pd.DataFrame, dict]:
    """Original vs changed calibrated probabilities, position by position, and the slate means."""
    brief = validate_brief(brief, trained)
    changes = {k: v for k, v in {"year": year, "budget_musd": budget_musd}.items() if v is not None}
    changed = validate_brief(brief.with_changes(**changes), trained)
    before_ids = [int(i) for i in slate_ids]
    after_ids = list(before_ids)
    if swap_out is not None or swap_in is not None:
        if swap_out is None or swap_in is None:
            raise MarqueeError("a swap needs both the actor to take out and the actor to bring in")
        out_id, in_id = resolve_actor(trained, swap_out), resolve_actor(trained, swap_in)
        if out_id not in after_ids:
            raise MarqueeError(f"{swap_out!r} is not in the slate")
        after_ids[after_ids.index(out_id)] = in_id
    before = _scores(trained, brief, before_ids)
    after = _scores(trained, changed, after_ids)
    table = pd.DataFrame({
        "position": np.arange(1, len(before_ids) + 1), "actor": before["actor"], "p_cal": before["p_cal"],
        "actor_after": after["actor"], "p_cal_after": after["p_cal"],
        "change": after["p_cal"].to_numpy() - before["p_cal"].to_numpy(),
        "roles_before_year_after": after["prior_roles"],
    })
    summary = {"brief": brief.to_dict(), "changed_brief": changed.to_dict(),
               "slate_mean_p_cal": float(before["p_cal"].mean()), "slate_mean_p_cal_after": float(after["p_cal"].mean())}
    return table, summary


def _scores(trained: TrainedCasting, brief: Brief, ids: list[int]) -> pd.DataFrame:
    director_id, name = resolve_director(trained, brief.director)
    return score_actors(trained, brief, ids, director_id, name).frame.reset_index(drop=True)
