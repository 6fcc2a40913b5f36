"""Drift detection and the promotion rule, on hand-made metrics and on real models."""
from __future__ import annotations

import numpy as np

import pytest

from core.artifacts import ArtifactStore, Slot
from core.cf import CFRecommender, PopularityFallback, genre_table
from core.errors import MarqueeError
from core.models import NonFiniteModel
from core.monitoring import (Decision, DriftPolicy, DriftReport, check_drift, judge_challenger, paired_comparison,
                             record_decision)


def metrics(r2: float, **segments) -> dict:
    return {"global": {"rmse": 0.9, "mae": 0.7, "r2": r2, "count": 5000, "mse_se": 0.01},
            "segments": {name: {"rmse": rmse, "mae": rmse * 0.8, "r2": 0.2, "count": count, "mse_se": 0.01}
                         for name, (rmse, count) in segments.items()}}


def test_drift_triggers_on_r2_and_degraded_segments_only():
    base = metrics(0.30, Drama=(0.80, 900), Horror=(0.85, 300), Western=(0.70, 120))
    calm = check_drift(base, metrics(0.29, Drama=(0.82, 800), Horror=(0.86, 280), Western=(0.72, 130)))
    assert not calm.triggered and calm.degraded == [] and calm.reasons == []
    # Horror +20% degrades; Western +40% but only 60 ratings this round: ignored.
    drifted = check_drift(base, metrics(0.29, Drama=(0.82, 800), Horror=(1.02, 280), Western=(0.98, 60)))
    assert drifted.triggered and drifted.degraded == ["Horror"]
    assert drifted.ignored == ["Western"] and drifted.stable == ["Drama"]
    assert "segment Horror: RMSE 1.020 vs baseline 0.850" in drifted.reasons[0]
    fallen = check_drift(base, metrics(0.20, Drama=(0.80, 800)))
    assert fallen.triggered and "global R² 0.200 fell below the champion's baseline 0.300" in fallen.reasons[0]


def test_a_rise_within_noise_is_not_drift():
    base = metrics(0.30, Drama=(0.80, 150))
    noisy = metrics(0.30, Drama=(0.92, 150))
    noisy["segments"]["Drama"]["mse_se"] = base["segments"]["Drama"]["mse_se"] = 0.2
    assert not check_drift(base, noisy).triggered
    small_round = metrics(0.25)
    small_round["global"]["r2_se"] = base["global"]["r2_se"] = 0.02   # a 0.05 drop is under 2 standard errors
    assert not check_drift(base, small_round).triggered
    base["global"]["r2_se"] = small_round["global"]["r2_se"] = 0.01   # … and over 3 with more ratings
    assert check_drift(base, small_round).triggered


def comparison(**segments) -> dict:
    rows = {name: {"count": count, "champion_rmse": old, "challenger_rmse": new, "z": z}
            for name, (old, new, count, z) in segments.items()}
    old = np.mean([r["champion_rmse"] for r in rows.values()])
    new = np.mean([r["challenger_rmse"] for r in rows.values()])
    return {"global": {"count": 5000, "champion_rmse": old, "challenger_rmse": new, "z": 0.0}, "segments": rows}


DRIFT = DriftReport(triggered=True, reasons=["segment Horror…"], degraded=["Horror"], stable=["Drama", "Comedy"], ignored=[])


def test_challenger_improving_degraded_segment_without_harm_is_promoted():
    decision = judge_challenger(comparison(Horror=(1.10, 0.90, 300, -8.0), Drama=(0.80, 0.80, 900, 0.1),
                                           Comedy=(0.82, 0.81, 700, -1.0)), DRIFT)
    assert decision.promote
    assert decision.reasons[0].startswith("promoted: improves 1 degraded segment(s)")


def test_challenger_harming_a_stable_segment_is_rejected():
    decision = judge_challenger(comparison(Horror=(1.10, 0.85, 300, -9.0), Drama=(0.80, 0.90, 900, 6.0),
                                           Comedy=(0.82, 0.80, 700, -1.0)), DRIFT)
    assert not decision.promote
    assert any(r.startswith("stable segment Drama harmed: RMSE 0.900 vs champion 0.800") for r in decision.reasons)
    assert {c["segment"]: c["outcome"] for c in decision.checks}["Drama"] == "harmed"


def test_challenger_not_improving_degraded_segment_or_regressing_is_rejected():
    decision = judge_challenger(comparison(Horror=(1.10, 1.12, 300, 2.0), Drama=(0.80, 0.80, 900, 0.0)), DRIFT)
    assert not decision.promote
    assert any("degraded segment Horror not improved" in r for r in decision.reasons)
    assert any("global RMSE regressed" in r for r in decision.reasons)


def test_real_challenger_trained_on_corrupted_genre_is_rejected(cf_catalog):
    """A challenger trained on ratings where one stable genre was vandalised must be rejected,
    with the reason naming that genre."""
    ratings = cf_catalog.ratings.sample(frac=1.0, random_state=0).reset_index(drop=True)
    genres = genre_table(cf_catalog.movies)
    train, validation = ratings.iloc[:13000], ratings.iloc[13000:]
    comedy = genres.loc[genres["genre"] == "Comedy", "movie_id"]
    vandalised = train.assign(rating=np.where(train["movie_id"].isin(comedy), 0.5, train["rating"]))
    params = {"n_factors": 20, "n_epochs": 15, "random_state": 1}
    champion = CFRecommender(**params).fit(train)
    challenger = CFRecommender(**params).fit(vandalised)
    both = validation.assign(champion=champion.predict(validation["user_id"], validation["movie_id"]),
                             challenger=challenger.predict(validation["user_id"], validation["movie_id"]))
    result = paired_comparison(both, genres)
    assert result["segments"]["Comedy"]["z"] > 5
    no_drift = DriftReport(triggered=True, reasons=["global R² fell"], degraded=[], stable=[], ignored=[])
    decision = judge_challenger(result, no_drift, DriftPolicy())
    assert not decision.promote
    assert any(r.startswith("stable segment Comedy harmed") for r in decision.reasons)


def test_decisions_apply_to_any_model_kind_in_the_store(tmp_path, tiny_ratings):
    """Promotion and the decision log are generic: here on the popularity model's slot."""
    store = ArtifactStore(tmp_path / "artifacts")
    slot = Slot("cf-popularity", "demo")
    first = store.save(slot, PopularityFallback(min_votes=1).fit(tiny_ratings), data_checksum="abc", metrics={"rmse": 1.0})
    store.promote(slot, first.name)
    second = store.save(slot, PopularityFallback(min_votes=2).fit(tiny_ratings), data_checksum="abc",
                        metrics={"rmse": 0.9})
    record = record_decision(store, slot, first.name, second.name, Decision(True, ["promoted: better"]), round=3)
    assert store.champion(slot).name == second.name and record["round"] == 3
    third = store.save(slot, PopularityFallback(min_votes=3).fit(tiny_ratings), data_checksum="abc",
                       metrics={"rmse": 1.2})
    record_decision(store, slot, second.name, third.name, Decision(False, ["global RMSE regressed"]))
    assert store.champion(slot).name == second.name
    assert {v.name: v.info["status"] for v in store.versions(slot)} == {
        "v0001": "retired", "v0002": "champion", "v0003": "rejected"}
    assert [d["promoted"] for d in store.decisions(slot)] == [True, False]
    assert store.decisions(slot)[1]["reasons"] == ["global RMSE regressed"]


def test_a_challenger_with_non_finite_metrics_is_never_promoted(tmp_path, tiny_ratings):
    store = ArtifactStore(tmp_path / "artifacts")
    slot = Slot("cf-popularity", "demo")
    with pytest.raises(NonFiniteModel):
        store.save(slot, PopularityFallback(min_votes=1).fit(tiny_ratings), data_checksum="abc",
                   metrics={"rmse": float("nan")})
    assert store.versions(slot) == []


def test_drift_policy_refuses_nonsense():
    with pytest.raises(MarqueeError, match="min_z"):
        DriftPolicy(min_z=float("nan"))
    assert DriftPolicy.from_dict({"min_z": 2.0, "unknown": 1}).min_z == 2.0
