"""Behaviour simulation in chronological rounds, with drift checks and champion/challenger
retraining after every round.

A round: every user is shown the champion's ranking of the films they have not seen and
consumes 1–20 of them, drawn with probability ∝ 1/(rank+1)^``rank_exponent`` (Gumbel top-k,
so without replacement); the world (:mod:`core.cf.scenario`) rates them. The champion is scored on
those new ratings — it never trained on them — globally and per genre. If :func:`check_drift`
fires, the round is split into an adaptation half (added to the challenger's training data) and a
validation half on which champion and challenger are compared by :func:`judge_challenger`; the
decision and its reasons go to the run's model registry.

A run lives in ``artifacts/cf/simulations/<catalog>/<run>/`` and can be continued one round at a
time (the Monitoring page's button) or many at once (the CLI). Every random draw comes from a
generator seeded by (seed, round), and Surprise is seeded too, so the same seed gives the same
results however the rounds are stepped.
"""
from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from core import config
from core.catalog.store import Catalog, validate_name
from core.cf.compare import CHAMPION_PARAMS, SIMULATION_PARAMS, beyond_accuracy
from core.cf.drift import DriftPolicy, check_drift, genre_table, judge_challenger, paired_comparison, segment_metrics
from core.cf.recommender import CFRecommender
from core.cf.registry import ModelRegistry
from core.cf.scenario import Scenario, World, calibrate_noise, most_rated_genre, rating_step
from core.cf.train import holdout_baseline
from core.errors import MarqueeError
from core.io import read_json, staged_dir, write_json_atomic, write_parquet_atomic
from core.progress import ProgressFn, null_progress

log = logging.getLogger(__name__)

HISTORY_COLUMNS = ("user_id", "movie_id", "rating", "timestamp")
WORLD_PARAMS = {**CHAMPION_PARAMS, "n_bags": 1}
CONFIG, ROUNDS, SIMULATED, SEGMENTS, NEW_FILMS = ("config.json", "rounds.json", "simulated.parquet",
                                                  "segments.parquet", "new_films.parquet")


@dataclass(frozen=True)
class Behaviour:
    list_size: int = 10            # length of the list shown (for coverage, diversity, personalization)
    min_per_round: int = 1
    max_per_round: int = 20
    rank_exponent: float = 1.0
    round_days: int = 7
    holdout_fraction: float = 0.2  # latest share of history that measures the first champion's baseline
    validation_share: float = 0.5  # share of a drifted round kept to judge champion against challenger


def simulations_root(catalog: str) -> Path:
    return config.artifacts_dir() / "cf" / "simulations" / validate_name(catalog)


def list_runs(catalog: str) -> list[str]:
    root = simulations_root(catalog)
    if not root.exists():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and (p / CONFIG).exists())


class Simulation:
    """An opened simulation run; ``run_round`` advances it by one round and saves it."""

    def __init__(self, run_dir: Path, catalog: Catalog):
        self.run_dir = Path(run_dir)
        self.config = read_json(self.run_dir / CONFIG)
        if self.config["data_checksum"] != catalog.data_checksum:
            raise MarqueeError(f"catalog {catalog.name!r} changed since simulation {self.run_dir.name!r} started; "
                               "start a new simulation")
        self.catalog = catalog
        self.scenario = Scenario.from_dict(self.config["scenario"])
        self.policy = DriftPolicy(**self.config["policy"])
        self.behaviour = Behaviour(**self.config["behaviour"])
        self.registry = ModelRegistry(self.run_dir / "registry")
        self.world = World.load(self.run_dir)
        self.rounds: list[dict] = read_json(self.run_dir / ROUNDS)
        self.simulated = _read(self.run_dir / SIMULATED, [*HISTORY_COLUMNS, "round"])
        if len(self.simulated):  # Parquet stores second timestamps as milliseconds: restore the catalog's types
            self.simulated = self.simulated.astype({c: catalog.ratings[c].dtype for c in HISTORY_COLUMNS})
        self.new_films = _read(self.run_dir / NEW_FILMS, ["movie_id", "genres"])
        self._champion: tuple[str, CFRecommender] | None = None
        self._history: pd.DataFrame | None = None

    # ------------------------------------------------------------------ creation
    @classmethod
    def create(cls, catalog: Catalog, run: str, scenario: Scenario, seed: int = 0,
               policy: DriftPolicy = DriftPolicy(), params: dict | None = None,
               behaviour: Behaviour = Behaviour(), challenger_params: dict | None = None,
               progress: ProgressFn | None = None) -> "Simulation":
        """Start a run: train the first champion, build the world from it, calibrate the noise.

        The real held-out R² comes from a temporal holdout of the catalog (fit on the earlier
        ratings, score the latest ``holdout_fraction``). The noise is calibrated so the champion's
        R² on simulated, drift-free consumption equals it; the champion's metrics on that reference
        sample (global and per genre) are its drift baseline, so later rounds compare like with like.
        """
        progress = progress or null_progress
        run_dir = simulations_root(catalog.name) / validate_name(run)
        ratings = catalog.ratings[list(HISTORY_COLUMNS)]
        if ratings["user_id"].nunique() < 10 or len(ratings) < 200:
            raise MarqueeError(f"catalog {catalog.name!r}: a simulation needs at least 10 users and 200 ratings")
        genres = genre_table(catalog.movies)
        if scenario.penalty and not scenario.penalty_genre:
            scenario = Scenario.from_dict({**scenario.to_dict(), "penalty_genre": most_rated_genre(ratings, genres)})
        if scenario.penalty_genre and scenario.penalty_genre not in set(genres["genre"]):
            raise MarqueeError(f"genre {scenario.penalty_genre!r} does not occur in catalog {catalog.name!r} "
                               f"(known: {', '.join(sorted(set(genres['genre']))[:20])})")
        params = {**SIMULATION_PARAMS, **(params or {}), "random_state": seed}
        progress(0, 4, "measuring real held-out accuracy on a temporal holdout")
        holdout = holdout_baseline(ratings, catalog.movies, params, behaviour.holdout_fraction)
        progress(1, 4, "training the first champion on all ratings")
        champion = CFRecommender(**params).fit(ratings)
        progress(2, 4, "fitting the simulated world")
        world_model = CFRecommender(**{**WORLD_PARAMS, "random_state": seed + 1}).fit(ratings)
        progress(3, 4, "calibrating the rating noise")
        rng = np.random.default_rng([seed, 0])
        world = World.from_model(world_model.model_, rating_step(ratings["rating"]), scenario, rng)
        vectors = champion.resolve_users(world.factors.user_ids, ratings)
        pairs = [_consume(champion, vectors, world.factors.item_ids, ratings, behaviour, rng) for _ in range(2)]
        users, items = np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
        score = world.score(users, items, 0, scenario, np.zeros(len(users)))
        prediction = champion.predict(users, items, history=ratings)
        sigma = calibrate_noise(score, prediction, holdout["global"]["r2"], world, rng)
        reference = pd.DataFrame({"movie_id": items, "prediction": prediction,
                                  "rating": world.observe(score, sigma * rng.standard_normal(len(score)))})
        baseline = segment_metrics(reference, genres)

        # Written whole in a staging folder, then swapped in: a failed start leaves no half run.
        with staged_dir(run_dir) as staging:
            registry = ModelRegistry(staging / "registry")
            version = registry.register(champion, baseline=baseline, data_checksum=catalog.data_checksum,
                                        trained_on={"catalog_ratings": len(ratings), "simulated_ratings": 0},
                                        note="initial champion", holdout=holdout)
            registry.promote(version)
            registry.log_decision({"round": 0, "champion": None, "challenger": version, "promoted": True, "drift": None,
                                   "reasons": [f"initial champion trained on {len(ratings):,} catalog ratings; real "
                                               f"held-out R² {holdout['global']['r2']:.3f} on the latest "
                                               f"{100 * behaviour.holdout_fraction:.0f}% of ratings; simulated baseline "
                                               f"R² {baseline['global']['r2']:.3f} with noise sd {sigma:.3f}"]})
            world.save(staging)
            write_json_atomic(staging / CONFIG, {
                "run": run, "catalog": catalog.name, "data_checksum": catalog.data_checksum, "seed": seed,
                "scenario": scenario.to_dict(), "scenario_text": scenario.describe(), "policy": policy.to_dict(),
                "behaviour": asdict(behaviour), "params": params, "challenger_params": challenger_params or {},
                "world_params": WORLD_PARAMS, "sigma": sigma,
                "target_r2": holdout["global"]["r2"], "holdout": holdout["global"], "baseline": baseline["global"],
                "start": ratings["timestamp"].max(),
            })
            write_json_atomic(staging / ROUNDS, [])
        progress(4, 4, f"ready: noise sd {sigma:.3f} for a target R² of {holdout['global']['r2']:.3f}")
        return cls(run_dir, catalog)

    @classmethod
    def open(cls, catalog: Catalog, run: str) -> "Simulation":
        run_dir = simulations_root(catalog.name) / validate_name(run)
        if not (run_dir / CONFIG).exists():
            raise MarqueeError(f"no simulation named {run!r} for catalog {catalog.name!r} "
                               f"(known: {', '.join(list_runs(catalog.name)) or 'none'})")
        return cls(run_dir, catalog)

    # ------------------------------------------------------------------ state
    @property
    def history(self) -> pd.DataFrame:
        """Catalog ratings followed by every simulated rating so far."""
        if self._history is None:
            base = self.catalog.ratings[list(HISTORY_COLUMNS)]
            self._history = base if self.simulated.empty else pd.concat(
                [base, self.simulated[base.columns]], ignore_index=True)
        return self._history

    @property
    def movies(self) -> pd.DataFrame:
        films = self.catalog.movies[["movie_id", "genres"]]
        return films if self.new_films.empty else pd.concat([films, self.new_films], ignore_index=True)

    def champion(self) -> tuple[str, CFRecommender]:
        version = self.registry.champion()
        if self._champion is None or self._champion[0] != version:
            self._champion = (version, self.registry.load(version))
        return self._champion

    def segments(self) -> pd.DataFrame:
        return _read(self.run_dir / SEGMENTS, ["round", "segment", "count", "rmse", "baseline_rmse", "status"])

    # ------------------------------------------------------------------ rounds
    def run(self, rounds: int, progress: ProgressFn | None = None) -> list[dict]:
        progress = progress or null_progress
        records = []
        for done in range(rounds):
            records.append(self.run_round())
            progress(done + 1, rounds, _round_text(records[-1]))
        return records

    def run_round(self) -> dict[str, Any]:
        started = time.perf_counter()
        number = len(self.rounds) + 1
        seed, scenario, behaviour = self.config["seed"], self.scenario, self.behaviour
        rng = np.random.default_rng([seed, number])
        version, champion = self.champion()
        history = self.history
        new_users, new_films = self._arrivals(number, rng)
        movies = self.movies
        genres = genre_table(movies)

        users = self.world.factors.user_ids
        vectors = champion.resolve_users(users, history)
        chosen_users, chosen_items = _consume(champion, vectors, self.world.factors.item_ids, history, behaviour, rng)
        flags = np.isin(chosen_items, genres.loc[genres["genre"] == scenario.penalty_genre, "movie_id"]) \
            if scenario.penalty_genre else np.zeros(len(chosen_items))
        score = self.world.score(chosen_users, chosen_items, number, scenario, flags)
        rating = self.world.observe(score, self.config["sigma"] * rng.standard_normal(len(score)))
        start = pd.Timestamp(self.config["start"]) + pd.Timedelta(days=behaviour.round_days * (number - 1))
        offsets = pd.to_timedelta(rng.uniform(0, behaviour.round_days * 86400, len(rating)).astype(np.int64), unit="s")
        fresh = pd.DataFrame({"user_id": chosen_users, "movie_id": chosen_items, "rating": rating,
                              "timestamp": start + offsets, "round": number})

        shown = champion.recommend(history, user_ids=users, n=behaviour.list_size)
        lists = shown.groupby("user_id")["movie_id"].agg(list).to_dict()
        metrics = segment_metrics(fresh.assign(prediction=champion.predict(chosen_users, chosen_items, history=history)),
                                  genres)
        baseline = self.registry.baseline(version)
        drift = check_drift(baseline, metrics, self.policy)
        decision = self._challenge(number, version, champion, drift, history, fresh, genres, rng) \
            if drift.triggered else None

        fresh = fresh.astype({c: history[c].dtype for c in HISTORY_COLUMNS})
        self.simulated = pd.concat([self.simulated, fresh], ignore_index=True) if len(self.simulated) else fresh
        self._history = pd.concat([history, fresh[list(HISTORY_COLUMNS)]], ignore_index=True)
        record = {
            "round": number, "champion": version, "champion_after": self.registry.champion(),
            "users": int(len(users)), "new_users": int(len(new_users)), "new_films": int(len(new_films)),
            "ratings": int(len(fresh)), **{k: metrics["global"][k] for k in ("rmse", "mae", "r2")},
            "baseline_r2": baseline["global"]["r2"], "baseline_rmse": baseline["global"]["rmse"],
            **beyond_accuracy(lists, movies),
            "sources": {str(k): int(v) for k, v in pd.Series(vectors.source).value_counts().items()},
            "drift_triggered": drift.triggered, "drift_reasons": drift.reasons, "degraded": drift.degraded,
            "decision": decision, "seconds": round(time.perf_counter() - started, 3),
        }
        self.rounds.append(record)
        self._save(number, metrics, baseline, drift)
        log.info(_round_text(record))
        return record

    def _arrivals(self, number: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        scenario = self.scenario
        if not scenario.active(number):
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        new_users = self.world.add_users(scenario.new_users_per_round, rng) if scenario.new_users_per_round else np.zeros(0, np.int64)
        new_films = np.zeros(0, np.int64)
        if scenario.new_films_per_round:
            new_films, templates = self.world.add_films(scenario.new_films_per_round, rng)
            template_genres = self.movies.set_index("movie_id")["genres"]
            rows = pd.DataFrame({"movie_id": new_films, "genres": [_as_list(template_genres.get(t)) for t in templates]})
            self.new_films = pd.concat([self.new_films, rows], ignore_index=True) if len(self.new_films) else rows
        return new_users, new_films

    def _challenge(self, number: int, version: str, champion: CFRecommender, drift, history: pd.DataFrame,
                   fresh: pd.DataFrame, genres: pd.DataFrame, rng: np.random.Generator) -> dict[str, Any]:
        """Train a challenger on history + half the round; judge both on the other half."""
        order = rng.permutation(len(fresh))
        cut = int(round(len(fresh) * self.behaviour.validation_share))
        validation, adapt = fresh.iloc[np.sort(order[:cut])], fresh.iloc[np.sort(order[cut:])]
        seen = pd.concat([history, adapt[history.columns]], ignore_index=True)
        params = {**champion.get_params(), **self.config.get("challenger_params", {}),
                  "random_state": int(self.config["seed"]) * 1000 + number}
        challenger = CFRecommender(**params).fit(seen)
        users, items = validation["user_id"].to_numpy(), validation["movie_id"].to_numpy()
        both = validation.assign(champion=champion.predict(users, items, history=seen),
                                 challenger=challenger.predict(users, items, history=seen))
        comparison = paired_comparison(both, genres)
        verdict = judge_challenger(comparison, drift, self.policy)
        new_version = self.registry.register(
            challenger, baseline=segment_metrics(both.assign(prediction=both["challenger"]), genres),
            data_checksum=self.config["data_checksum"],
            trained_on={"catalog_ratings": len(self.catalog.ratings), "simulated_ratings": len(seen) - len(self.catalog.ratings),
                        "through_round": number}, note=f"challenger trained after drift in round {number}")
        if verdict.promote:
            self.registry.promote(new_version)
        else:
            self.registry.set_status(new_version, "rejected")
        self.registry.log_decision({"round": number, "champion": version, "challenger": new_version,
                                    "promoted": verdict.promote, "reasons": verdict.reasons, "checks": verdict.checks,
                                    "drift": drift.to_dict(), "validation_ratings": int(len(validation))})
        return {"challenger": new_version, "promoted": verdict.promote, "reasons": verdict.reasons}

    def _save(self, number: int, metrics: dict, baseline: dict, drift) -> None:
        rows = []
        for segment, info in metrics["segments"].items():
            status = "degraded" if segment in drift.degraded else "stable" if segment in drift.stable else "ignored"
            rows.append({"round": number, "segment": segment, "count": info["count"], "rmse": info["rmse"],
                         "baseline_rmse": baseline["segments"].get(segment, {}).get("rmse", np.nan), "status": status})
        segments = pd.concat([self.segments(), pd.DataFrame(rows)], ignore_index=True)
        write_parquet_atomic(self.run_dir / SEGMENTS, pa.Table.from_pandas(segments, preserve_index=False))
        write_parquet_atomic(self.run_dir / SIMULATED, pa.Table.from_pandas(self.simulated, preserve_index=False))
        if len(self.new_films):
            write_parquet_atomic(self.run_dir / NEW_FILMS, pa.Table.from_pandas(self.new_films, preserve_index=False))
        self.world.save(self.run_dir)
        write_json_atomic(self.run_dir / ROUNDS, self.rounds)

    def summary(self) -> dict[str, Any]:
        return {"run": self.config["run"], "run_dir": str(self.run_dir), "catalog": self.config["catalog"],
                "seed": self.config["seed"], "scenario": self.config["scenario_text"],
                "target_r2": self.config["target_r2"], "noise_sd": self.config["sigma"],
                "baseline": self.config["baseline"], "rounds": self.rounds, "champion": self.registry.champion(),
                "decisions": [{k: d.get(k) for k in ("round", "champion", "challenger", "promoted", "reasons")}
                              for d in self.registry.decisions()]}


def _consume(champion: CFRecommender, vectors, item_ids: np.ndarray, history: pd.DataFrame, behaviour: Behaviour,
             rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each user picks 1–20 unseen films, the film at rank r (0 = the champion's best) drawn with
    weight 1/(r+1)^rank_exponent, without replacement (Gumbel top-k over rank positions)."""
    scores = champion.score_matrix(vectors, item_ids)
    rows = pd.Index(vectors.user_ids).get_indexer(history["user_id"].to_numpy())
    cols = pd.Index(item_ids).get_indexer(history["movie_id"].to_numpy())
    keep = (rows >= 0) & (cols >= 0)
    scores[rows[keep], cols[keep]] = -np.inf
    n_users, n_items = scores.shape
    available = np.isfinite(scores).sum(axis=1)
    counts = np.minimum(rng.integers(behaviour.min_per_round, behaviour.max_per_round + 1, size=n_users), available)
    positions = np.arange(n_items)
    keys = -behaviour.rank_exponent * np.log1p(positions)[None, :] + rng.gumbel(size=scores.shape)
    keys[positions[None, :] >= available[:, None]] = -np.inf
    most = int(max(counts.max(initial=0), 1))
    top = np.argpartition(-keys, most - 1, axis=1)[:, :most]
    top = np.take_along_axis(top, np.argsort(-np.take_along_axis(keys, top, axis=1), axis=1, kind="stable"), axis=1)
    users, items = [], []
    for row in np.flatnonzero(counts):
        ranks = top[row, :counts[row]]
        ranked = np.argpartition(-scores[row], np.sort(ranks))
        users.append(np.full(len(ranks), row))
        items.append(ranked[ranks])
    if not users:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return vectors.user_ids[np.concatenate(users)], item_ids[np.concatenate(items)]


def _as_list(value) -> list[str]:
    """Genres as a plain list (Parquet gives arrays back; missing genres give None)."""
    return [] if value is None else [str(v) for v in value]


def _read(path: Path, columns: list[str]) -> pd.DataFrame:
    return pd.read_parquet(path) if path.exists() else pd.DataFrame(columns=columns)


def _round_text(record: dict) -> str:
    text = f"round {record['round']}: R² {record['r2']:.3f} (baseline {record['baseline_r2']:.3f})"
    if record["decision"]:
        text += f"; challenger {record['decision']['challenger']} " + ("promoted" if record["decision"]["promoted"] else "rejected")
    return text


def run_simulation(catalog: Catalog, rounds: int, scenario: Scenario, seed: int = 0, run: str | None = None,
                   policy: DriftPolicy = DriftPolicy(), params: dict | None = None, resume: bool = False,
                   challenger_params: dict | None = None, progress: ProgressFn | None = None) -> dict[str, Any]:
    """Create (or with ``resume`` continue) a run and advance it by ``rounds`` rounds."""
    run = run or f"{scenario.name}-seed{seed}"
    if resume and run in list_runs(catalog.name):
        simulation = Simulation.open(catalog, run)
    else:
        simulation = Simulation.create(catalog, run, scenario, seed=seed, policy=policy, params=params,
                                       challenger_params=challenger_params, progress=progress)
    simulation.run(rounds, progress)
    return simulation.summary()

