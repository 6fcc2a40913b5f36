"""Champion/challenger retraining for a simulation run: the reviewer the monitoring package
attaches to :class:`core.simulation.Simulation`.

After each round it checks the champion's accuracy on the round against the champion's baseline
(:func:`~core.monitoring.drift.check_drift`). On drift, the round is split into an adaptation half
(added to the challenger's training data) and a validation half on which champion and challenger
are compared (:func:`~core.monitoring.drift.paired_comparison`); the promotion rules decide and the
decision, with its reasons, goes to the run's decision log (:mod:`core.monitoring.promotion`).
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from core.artifacts import ArtifactStore, default_store
from core.cf import CFRecommender
from core.metrics import segment_metrics
from core.monitoring.drift import DriftPolicy, DriftReport, check_drift, paired_comparison
from core.monitoring.promotion import judge_challenger, record_decision
from core.progress import ProgressFn
from core.simulation import RoundContext, RoundReview, Scenario, Simulation, check_rounds, list_runs


class RetrainingReviewer:
    """Drift check → challenger → promotion rules → decision log, once per round."""

    def __init__(self, policy: DriftPolicy = DriftPolicy(), challenger_params: dict[str, Any] | None = None):
        self.policy = policy
        self.challenger_params = dict(challenger_params or {})

    def to_dict(self) -> dict[str, Any]:
        return {"reviewer": "retraining", "policy": self.policy.to_dict(), "challenger_params": self.challenger_params}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "RetrainingReviewer":
        data = data or {}
        return cls(DriftPolicy.from_dict(data.get("policy")), data.get("challenger_params"))

    def review(self, context: RoundContext) -> RoundReview:
        drift = check_drift(context.baseline, context.metrics, self.policy)
        decision = self._challenge(context, drift) if drift.triggered else None
        return RoundReview(drift_triggered=drift.triggered, drift_reasons=drift.reasons, degraded=drift.degraded,
                           stable=drift.stable, decision=decision)

    def _challenge(self, context: RoundContext, drift: DriftReport) -> dict[str, Any]:
        """Train a challenger on history + half the round; judge both on the other half."""
        fresh, history, number = context.fresh, context.history, context.number
        order = context.rng.permutation(len(fresh))
        cut = int(round(len(fresh) * context.behaviour.validation_share))
        validation, adapt = fresh.iloc[np.sort(order[:cut])], fresh.iloc[np.sort(order[cut:])]
        seen = pd.concat([history, adapt[history.columns]], ignore_index=True)
        params = {**context.champion.get_params(), **self.challenger_params,
                  "random_state": context.seed * 1000 + number}
        challenger = CFRecommender(**params).fit(seen, films=context.films)
        users, items = validation["user_id"].to_numpy(), validation["movie_id"].to_numpy()
        both = validation.assign(champion=context.champion.predict(users, items, history=seen),
                                 challenger=challenger.predict(users, items, history=seen))
        verdict = judge_challenger(paired_comparison(both, context.genres), drift, self.policy)
        baseline = segment_metrics(both.assign(prediction=both["challenger"]), context.genres)
        challenger.metrics_ = {f"baseline_{k}": baseline["global"][k] for k in ("rmse", "mae", "r2", "count")}
        version = context.models.save(
            context.slot, challenger, data_checksum=context.data_checksum, metrics=challenger.metrics_,
            note=f"challenger trained after drift in round {number}", baseline=baseline,
            trained_on={"catalog_ratings": context.catalog_ratings,
                        "simulated_ratings": int(len(seen) - context.catalog_ratings), "through_round": number})
        record_decision(context.models, context.slot, context.champion_version, version.name, verdict, drift,
                        round=number, validation_ratings=int(len(validation)))
        return {"challenger": version.name, "promoted": verdict.promote, "reasons": verdict.reasons}


def start_simulation(catalog, run: str, scenario: Scenario, seed: int = 0, policy: DriftPolicy = DriftPolicy(),
                     params: dict | None = None, challenger_params: dict | None = None,
                     store: ArtifactStore | None = None, progress: ProgressFn | None = None) -> Simulation:
    """A new monitored run (replacing one of the same name)."""
    return Simulation.create(catalog, run, scenario, seed=seed, params=params,
                             reviewer=RetrainingReviewer(policy, challenger_params), store=store, progress=progress)


def open_simulation(catalog, run: str, store: ArtifactStore | None = None) -> Simulation:
    """An existing run with its retraining reviewer rebuilt from the run's configuration."""
    simulation = Simulation.open(catalog, run, store=store)
    simulation.reviewer = RetrainingReviewer.from_dict(simulation.config.get("monitor"))
    return simulation


def simulate(catalog, rounds: int, scenario: Scenario, seed: int = 0, run: str | None = None,
             policy: DriftPolicy = DriftPolicy(), params: dict | None = None, resume: bool = False,
             challenger_params: dict | None = None, store: ArtifactStore | None = None,
             progress: ProgressFn | None = None) -> dict[str, Any]:
    """Create (or with ``resume`` continue) a monitored run and advance it by ``rounds`` rounds."""
    check_rounds(rounds)
    store = store or default_store()
    run = run or f"{scenario.name}-seed{seed}"
    if resume and run in list_runs(catalog.name, store):
        simulation = open_simulation(catalog, run, store)
    else:
        simulation = start_simulation(catalog, run, scenario, seed, policy, params, challenger_params, store, progress)
    simulation.run(rounds, progress)
    return simulation.summary()
