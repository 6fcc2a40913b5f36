"""Behaviour simulation (core.simulation) with the monitoring reviewer attached: reproducible,
calibrated, drift triggers reasoned retraining decisions; without a reviewer a run only observes."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from core.errors import MarqueeError
from core.monitoring import open_simulation, simulate, start_simulation
from core.simulation import Behaviour, Scenario, Simulation, list_runs, make_scenario

FAST = {"n_factors": 20, "n_epochs": 15}


def _strip(rounds: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "seconds"} for r in rounds]


@pytest.fixture(scope="module")
def penalty_run(cf_catalog):
    scenario = make_scenario("genre-penalty", penalty=1.5, start_round=2)
    simulation = start_simulation(cf_catalog, "penalty-test", scenario, seed=5, params=FAST)
    simulation.run(3)
    return simulation


def test_genre_penalty_triggers_retraining_with_a_reasoned_decision(penalty_run):
    rounds = penalty_run.rounds
    genre = penalty_run.scenario.penalty_genre
    assert genre == "Action"  # the most-rated genre of this catalog
    assert not rounds[0]["drift_triggered"]                     # before the drift starts
    assert rounds[1]["drift_triggered"] and genre in rounds[1]["degraded"]
    assert rounds[1]["decision"] is not None
    decisions = penalty_run.decisions()
    assert decisions[0]["round"] == 0 and decisions[0]["promoted"]   # the initial champion
    drift_decision = next(d for d in decisions if d["round"] == 2)
    assert drift_decision["reasons"] and drift_decision["drift"]["degraded"]
    assert any(f"segment {genre}" in reason for reason in drift_decision["drift"]["reasons"])
    assert {c["segment"] for c in drift_decision["checks"]} >= {genre, "global"}
    challenger = drift_decision["challenger"]
    status = penalty_run.models.resolve(penalty_run.slot, challenger).info["status"]
    assert status == ("champion" if drift_decision["promoted"] else "rejected") or status == "retired"
    manifest = penalty_run.models.resolve(penalty_run.slot, challenger).manifest
    assert manifest["trained_on"]["through_round"] == 2 and manifest["baseline"]["segments"]
    # The penalised genre's simulated ratings really are lower after the drift starts.
    simulated = penalty_run.simulated
    action = penalty_run.movies[penalty_run.movies["genres"].apply(lambda g: genre in list(g))]["movie_id"]
    before = simulated[(simulated["round"] == 1) & simulated["movie_id"].isin(action)]["rating"].mean()
    after = simulated[(simulated["round"] == 3) & simulated["movie_id"].isin(action)]["rating"].mean()
    assert after < before - 0.8


def test_rounds_are_seen_nowhere_twice_and_within_budget(penalty_run, cf_catalog):
    simulated = penalty_run.simulated
    assert not simulated.duplicated(["user_id", "movie_id"]).any()
    seen = set(zip(cf_catalog.ratings["user_id"], cf_catalog.ratings["movie_id"]))
    assert not any(pair in seen for pair in zip(simulated["user_id"], simulated["movie_id"]))
    per_user = simulated.groupby(["round", "user_id"]).size()
    assert per_user.between(1, 20).all()
    assert simulated["rating"].isin(np.arange(0.5, 5.01, 0.5)).all()
    assert (simulated["timestamp"] > cf_catalog.ratings["timestamp"].max()).all()


def test_same_seed_same_results_however_stepped(cf_catalog, penalty_run):
    scenario = make_scenario("genre-penalty", penalty=1.5, start_round=2)
    again = start_simulation(cf_catalog, "penalty-again", scenario, seed=5, params=FAST)
    again.run_round()
    reopened = open_simulation(cf_catalog, "penalty-again")
    reopened.run(2)
    assert _strip(reopened.rounds) == _strip(penalty_run.rounds)
    pd.testing.assert_frame_equal(reopened.simulated.reset_index(drop=True), penalty_run.simulated.reset_index(drop=True))
    other = start_simulation(cf_catalog, "penalty-other-seed", scenario, seed=6, params=FAST)
    assert _strip([other.run_round()]) != _strip(penalty_run.rounds[:1])
    assert {"penalty-test", "penalty-again", "penalty-other-seed"} <= set(list_runs(cf_catalog.name))


def test_noise_is_calibrated_to_real_held_out_r2(penalty_run):
    config = penalty_run.config
    assert 0.0 < config["sigma"] < 2.0
    assert abs(config["baseline"]["r2"] - config["target_r2"]) < 0.05
    assert abs(penalty_run.rounds[0]["r2"] - config["target_r2"]) < 0.08


def test_challenger_that_harms_stable_segments_is_rejected(cf_catalog):
    """A hobbled challenger (one factor, one epoch, tiny learning rate) must not replace the champion."""
    scenario = make_scenario("genre-penalty", penalty=1.5, start_round=1)
    simulation = start_simulation(cf_catalog, "hobbled", scenario, seed=2, params=FAST,
                                  challenger_params={"n_factors": 1, "n_epochs": 1, "lr_all": 1e-4})
    record = simulation.run_round()
    assert record["drift_triggered"] and record["decision"] is not None
    assert record["decision"]["promoted"] is False
    assert any("harmed" in reason for reason in record["decision"]["reasons"])
    assert simulation.champion_version().name == "v0001"
    assert simulation.models.resolve(simulation.slot, record["decision"]["challenger"]).info["status"] == "rejected"


def test_new_users_start_cold_and_are_folded_in(cf_catalog):
    scenario = make_scenario("new-users", new_users_per_round=15, start_round=1)
    summary = simulate(cf_catalog, 2, scenario, seed=3, run="arrivals", params=FAST)
    first, second = summary["rounds"]
    assert first["new_users"] == 15 and first["sources"].get("popularity", 0) >= 15
    assert second["users"] == first["users"] + 15
    assert second["sources"].get("fold-in", 0) >= 10          # last round's newcomers now have ≥5 ratings
    json.dumps(summary)                                        # the CLI prints it as JSON


def test_changed_catalog_refuses_to_resume(cf_catalog, penalty_run):
    changed = type(cf_catalog)(**{**cf_catalog.__dict__, "manifest": {**cf_catalog.manifest, "data_checksum": "other"}})
    with pytest.raises(MarqueeError, match="changed since simulation"):
        open_simulation(changed, "penalty-test")
    with pytest.raises(MarqueeError, match="no simulation named"):
        open_simulation(cf_catalog, "never-ran")
    with pytest.raises(MarqueeError, match="genre 'Noir' does not occur"):
        start_simulation(cf_catalog, "bad-genre", make_scenario("genre-penalty", penalty_genre="Noir"), params=FAST)
    assert "bad-genre" not in list_runs(cf_catalog.name)


def test_an_unmonitored_run_observes_and_never_retrains(cf_catalog):
    scenario = make_scenario("genre-penalty", penalty=1.5, start_round=1)
    simulation = Simulation.create(cf_catalog, "observed", scenario, seed=5, params=FAST)
    record = simulation.run_round()
    assert not record["drift_triggered"] and record["decision"] is None
    assert [d["round"] for d in simulation.decisions()] == [0]
    assert record["reference_r2"] == pytest.approx(simulation.config["baseline"]["r2"])


def test_the_run_lives_in_the_artifact_store(penalty_run):
    from core.config import artifacts_dir

    assert penalty_run.run_dir == artifacts_dir() / "simulation" / penalty_run.catalog.name / "penalty-test"
    names = sorted(p.name for p in penalty_run.run_dir.iterdir() if not p.name.startswith("."))
    assert names == ["config.json", "models", "state"]
    assert sorted(p.name for p in (penalty_run.run_dir / "state").iterdir()) == [
        "rounds.json", "segments.parquet", "simulated.parquet", "world.npz"]
    assert penalty_run.models.champion(penalty_run.slot).manifest["baseline"]["segments"]


def test_a_failed_round_leaves_the_run_as_it_was(cf_catalog, monkeypatch):
    scenario = make_scenario("new-users", new_users_per_round=5, start_round=1)
    simulation = start_simulation(cf_catalog, "crash", scenario, seed=4, params=FAST)
    users_before = len(simulation.world.factors.user_ids)

    def boom(context):
        raise RuntimeError("killed mid-round")

    monkeypatch.setattr(simulation.reviewer, "review", boom)
    with pytest.raises(RuntimeError):
        simulation.run_round()
    assert len(simulation.world.factors.user_ids) == users_before and simulation.rounds == []
    reopened = open_simulation(cf_catalog, "crash")
    assert reopened.rounds == [] and len(reopened.world.factors.user_ids) == users_before
    assert reopened.run_round()["round"] == 1


@pytest.mark.parametrize("knobs, field", [
    ({"penalty": float("nan")}, "penalty"), ({"penalty": float("inf")}, "penalty"),
    ({"new_users_per_round": -5}, "new_users_per_round"), ({"start_round": 0}, "start_round"),
    ({"cohort_fraction": 1.5}, "cohort_fraction"), ({"penalty_genre": "Dra\x00ma"}, "genre"),
])
def test_scenario_knobs_are_checked(knobs, field):
    with pytest.raises(MarqueeError, match=field):
        make_scenario("genre-penalty", **knobs)


def test_rounds_and_behaviour_are_checked(cf_catalog):
    with pytest.raises(MarqueeError, match="rounds"):
        simulate(cf_catalog, -1, make_scenario("baseline"), run="negative")
    assert "negative" not in list_runs(cf_catalog.name)
    with pytest.raises(MarqueeError, match="min_per_round"):
        Behaviour(min_per_round=5, max_per_round=2)
    with pytest.raises(MarqueeError, match="run name"):
        start_simulation(cf_catalog, "../escape", Scenario(), params=FAST)
