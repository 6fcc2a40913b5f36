"""The simulation loop: chronological rounds of consumption served by the run's champion.

A round: every user is shown the champion's ranking of the films they have not seen and consumes
some of them (:mod:`core.simulation.behaviour`); the world (:mod:`core.simulation.world`) rates
them. The champion is scored on those new ratings — it never trained on them — globally and per
genre. Then the run's *reviewer* looks at the round: the monitoring package's reviewer checks for
drift, trains a challenger and applies the promotion rules (:mod:`core.monitoring`); without one
the run only observes. The reviewer is given, not imported, because monitoring ranks above the
simulation.

A run can be continued one round at a time (the Monitoring page's button) or many at once (the
CLI). Every random draw comes from a generator seeded by (seed, round), and Surprise is seeded
too, so the same seed gives the same results however the rounds are stepped.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import pandas as pd

from core.artifacts import ArtifactStore, Slot, Version, default_store
from core.cf import (CFRecommender, SIMULATION_PARAMS, WORLD_PARAMS, beyond_accuracy, genre_table,
                     holdout_baseline)
from core.errors import MarqueeError
from core.metrics import segment_metrics
from core.progress import ProgressFn, null_progress
from core.simulation.behaviour import Behaviour, consume
from core.simulation.storage import (HISTORY_COLUMNS, NEW_FILMS, SEGMENT_COLUMNS, SEGMENTS, SIMULATED, RunFiles,
                                     list_runs, run_slot)
from core.validation import integer
from core.simulation.world import Scenario, World, calibrate_noise, most_rated_genre, rating_step

log = logging.getLogger(__name__)


@dataclass
class RoundContext:
    """What a reviewer sees after a round's consumption (before the round is committed)."""

    number: int
    champion_version: str
    champion: CFRecommender
    baseline: dict                  # the champion's drift baseline (from its manifest)
    metrics: dict                   # the champion's accuracy on this round's ratings (global, per genre)
    history: pd.DataFrame           # every rating before this round
    fresh: pd.DataFrame             # this round's ratings
    genres: pd.DataFrame            # (movie_id, genre) of every film, new ones included
    rng: np.random.Generator        # the round's generator (draws continue the round's sequence)
    models: ArtifactStore           # the run's model store
    slot: Slot                      # the run's model slot
    seed: int
    data_checksum: str
    catalog_ratings: int
    behaviour: Behaviour
    films: pd.DataFrame | None = None  # the catalog's films table (side information for a refit)


@dataclass
class RoundReview:
    """A reviewer's verdict on a round: drift found, segments' status, and any decision taken."""

    drift_triggered: bool = False
    drift_reasons: list[str] = field(default_factory=list)
    degraded: list[str] = field(default_factory=list)
    stable: list[str] = field(default_factory=list)
    decision: dict[str, Any] | None = None   # {"challenger", "promoted", "reasons"}


class Reviewer(Protocol):
    def review(self, context: RoundContext) -> RoundReview: ...

    def to_dict(self) -> dict[str, Any]: ...


class Observer:
    """The reviewer of an unmonitored run: records rounds, never retrains."""

    def review(self, context: RoundContext) -> RoundReview:
        return RoundReview()

    def to_dict(self) -> dict[str, Any]:
        return {"reviewer": "observer"}


class Simulation:
    """An opened simulation run; ``run_round`` advances it by one round and saves it."""

    def __init__(self, files: RunFiles, catalog, reviewer: Reviewer | None = None):
        self.files = files
        self.run_dir = files.run_dir
        if not files.exists():
            raise MarqueeError(f"simulation {files.run_dir.name!r} is incomplete; start a new simulation")
        self.config = files.config()
        if self.config.get("data_checksum") != catalog.data_checksum:
            raise MarqueeError(f"catalog {catalog.name!r} changed since simulation {self.run_dir.name!r} started; "
                               "start a new simulation")
        self.catalog = catalog
        self.scenario = Scenario.from_dict(self.config["scenario"])
        self.behaviour = Behaviour(**self.config["behaviour"])
        self.reviewer: Reviewer = reviewer or Observer()
        self.world = World.load(files.state_dir)
        self.rounds: list[dict] = files.rounds()
        self.simulated = files.table(SIMULATED, [*HISTORY_COLUMNS, "round"])
        if len(self.simulated):  # Parquet stores second timestamps as milliseconds: restore the catalog's types
            self.simulated = self.simulated.astype({c: catalog.ratings[c].dtype for c in HISTORY_COLUMNS})
        self.new_films = files.table(NEW_FILMS, ["movie_id", "genres"])
        self._champion: tuple[str, CFRecommender] | None = None
        self._history: pd.DataFrame | None = None

    # ------------------------------------------------------------------ creation
    @classmethod
    def create(cls, catalog, run: str, scenario: Scenario, seed: int = 0, params: dict | None = None,
               behaviour: Behaviour = Behaviour(), reviewer: Reviewer | None = None,
               store: ArtifactStore | None = None, progress: ProgressFn | None = None) -> "Simulation":
        """Start a run: train the first champion, build the world from it, calibrate the noise.

        The real held-out R² comes from a temporal holdout of the catalog (fit on the earlier
        ratings, score the latest ``holdout_fraction``). The noise is calibrated so the champion's
        R² on simulated, drift-free consumption equals it; the champion's metrics on that reference
        sample (global and per genre) are its drift baseline, so later rounds compare like with like.
        An existing run of that name is replaced.
        """
        progress = progress or null_progress
        reviewer = reviewer or Observer()
        store = store or default_store()
        seed = integer(seed, "seed (--seed)", 0, 2 ** 31 - 1)
        run_dir = store.slot_dir(run_slot(catalog.name, run))
        ratings = catalog.ratings[list(HISTORY_COLUMNS)]
        if ratings["user_id"].nunique() < 10 or len(ratings) < 200:
            raise MarqueeError(f"catalog {catalog.name!r}: a simulation needs at least 10 users and 200 ratings "
                               f"(it has {ratings['user_id'].nunique()} users, {len(ratings)} ratings)")
        genres = genre_table(catalog.movies)
        if scenario.penalty and not scenario.penalty_genre:
            scenario = Scenario.from_dict({**scenario.to_dict(), "penalty_genre": most_rated_genre(ratings, genres)})
        if scenario.penalty_genre and scenario.penalty_genre not in set(genres["genre"]):
            raise MarqueeError(f"genre {scenario.penalty_genre!r} does not occur in catalog {catalog.name!r} "
                               f"(known: {', '.join(sorted(set(genres['genre']))[:20])})")
        params = {**SIMULATION_PARAMS, **(params or {}), "random_state": int(seed)}
        CFRecommender(**params).check_params()
        progress(0, 4, "measuring real held-out accuracy on a temporal holdout")
        holdout = holdout_baseline(ratings, catalog.movies, params, behaviour.holdout_fraction)
        progress(1, 4, "training the first champion on all ratings")
        champion = CFRecommender(**params).fit(ratings, films=catalog.movies)
        progress(2, 4, "fitting the simulated world")
        world_model = CFRecommender(**{**WORLD_PARAMS, "random_state": int(seed) + 1}).fit(ratings)
        progress(3, 4, "calibrating the rating noise")
        rng = np.random.default_rng([int(seed), 0])
        world = World.from_model(world_model.model_, rating_step(ratings["rating"]), scenario, rng)
        vectors = champion.resolve_users(world.factors.user_ids, ratings)
        pairs = [consume(champion, vectors, world.factors.item_ids, ratings, behaviour, rng) for _ in range(2)]
        users, items = np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
        score = world.score(users, items, 0, scenario, np.zeros(len(users)))
        prediction = champion.predict(users, items, history=ratings)
        sigma = calibrate_noise(score, prediction, holdout["global"]["r2"], world, rng)
        reference = pd.DataFrame({"movie_id": items, "prediction": prediction,
                                  "rating": world.observe(score, sigma * rng.standard_normal(len(score)))})
        baseline = segment_metrics(reference, genres)
        champion.metrics_ = {f"baseline_{k}": baseline["global"][k] for k in ("rmse", "mae", "r2", "count")}
        champion.data_checksum_ = catalog.data_checksum

        def write(staging) -> None:
            files = RunFiles(staging, catalog.name)
            models, slot = files.models, files.model_slot
            version = models.save(slot, champion, data_checksum=catalog.data_checksum, metrics=champion.metrics_,
                                  note="initial champion", baseline=baseline, holdout=holdout,
                                  trained_on={"catalog_ratings": int(len(ratings)), "simulated_ratings": 0})
            models.promote(slot, version.name)
            models.log_decision(slot, {
                "round": 0, "champion": None, "challenger": version.name, "promoted": True, "drift": None,
                "reasons": [f"initial champion trained on {len(ratings):,} catalog ratings; real held-out R² "
                            f"{holdout['global']['r2']:.3f} on the latest {100 * behaviour.holdout_fraction:.0f}% "
                            f"of ratings; simulated baseline R² {baseline['global']['r2']:.3f} with noise sd "
                            f"{sigma:.3f}"]})
            RunFiles.write_config(staging, {
                "run": run, "catalog": catalog.name, "data_checksum": catalog.data_checksum, "seed": int(seed),
                "scenario": scenario.to_dict(), "scenario_text": scenario.describe(), "monitor": reviewer.to_dict(),
                "behaviour": behaviour.to_dict(), "params": params, "world_params": WORLD_PARAMS, "sigma": sigma,
                "target_r2": holdout["global"]["r2"], "holdout": holdout["global"], "baseline": baseline["global"],
                "start": ratings["timestamp"].max(),
            })
            RunFiles.write_state(files.state_dir, [], {}, world.save)

        RunFiles.create(run_dir, write)
        progress(4, 4, f"ready: noise sd {sigma:.3f} for a target R² of {holdout['global']['r2']:.3f}")
        return cls(RunFiles(run_dir, catalog.name), catalog, reviewer)

    @classmethod
    def open(cls, catalog, run: str, reviewer: Reviewer | None = None,
             store: ArtifactStore | None = None) -> "Simulation":
        store = store or default_store()
        run_dir = store.slot_dir(run_slot(catalog.name, run))
        if not RunFiles(run_dir, catalog.name).exists():
            raise MarqueeError(f"no simulation named {run!r} for catalog {catalog.name!r} "
                               f"(known: {', '.join(list_runs(catalog.name, store)) or 'none'})")
        return cls(RunFiles(run_dir, catalog.name), catalog, reviewer)

    # ------------------------------------------------------------------ state
    @property
    def models(self) -> ArtifactStore:
        return self.files.models

    @property
    def slot(self) -> Slot:
        return self.files.model_slot

    def champion_version(self) -> Version:
        champion = self.models.champion(self.slot)
        if champion is None:
            raise MarqueeError(f"simulation {self.run_dir.name!r} has no champion; start a new simulation")
        return champion

    def decisions(self) -> list[dict]:
        return self.models.decisions(self.slot)

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
        version = self.champion_version().name
        if self._champion is None or self._champion[0] != version:
            model, _ = self.models.load(CFRecommender, self.slot, version, data_checksum=self.config["data_checksum"])
            self._champion = (version, model)
        return self._champion

    def segments(self) -> pd.DataFrame:
        return self.files.table(SEGMENTS, SEGMENT_COLUMNS)

    # ------------------------------------------------------------------ rounds
    def run(self, rounds: int, progress: ProgressFn | None = None) -> list[dict]:
        check_rounds(rounds)
        progress = progress or null_progress
        records = []
        for done in range(rounds):
            records.append(self.run_round())
            progress(done + 1, rounds, _round_text(records[-1]))
        return records

    def run_round(self) -> dict[str, Any]:
        """Advance by one round and commit it; on failure the run stays as it was (on disk and here)."""
        try:
            return self._run_round()
        except BaseException:
            self.world = World.load(self.files.state_dir)  # newcomers drawn for the failed round are dropped
            raise

    def _run_round(self) -> dict[str, Any]:
        started = time.perf_counter()
        number = len(self.rounds) + 1
        seed, scenario, behaviour = int(self.config["seed"]), self.scenario, self.behaviour
        rng = np.random.default_rng([seed, number])
        version, champion = self.champion()
        history = self.history
        world = self.world
        new_users, new_films, new_film_rows = self._arrivals(number, rng)
        movies = self.movies if new_film_rows.empty else pd.concat([self.movies, new_film_rows], ignore_index=True)
        genres = genre_table(movies)

        users = world.factors.user_ids
        vectors = champion.resolve_users(users, history)
        chosen_users, chosen_items = consume(champion, vectors, world.factors.item_ids, history, behaviour, rng)
        flags = np.isin(chosen_items, genres.loc[genres["genre"] == scenario.penalty_genre, "movie_id"]) \
            if scenario.penalty_genre else np.zeros(len(chosen_items))
        score = world.score(chosen_users, chosen_items, number, scenario, flags)
        rating = world.observe(score, self.config["sigma"] * rng.standard_normal(len(score)))
        start = pd.Timestamp(self.config["start"]) + pd.Timedelta(days=behaviour.round_days * (number - 1))
        offsets = pd.to_timedelta(rng.uniform(0, behaviour.round_days * 86400, len(rating)).astype(np.int64), unit="s")
        fresh = pd.DataFrame({"user_id": chosen_users, "movie_id": chosen_items, "rating": rating,
                              "timestamp": start + offsets, "round": number})

        shown = champion.recommend(history, user_ids=users, n=behaviour.list_size)
        lists = shown.groupby("user_id")["movie_id"].agg(list).to_dict()
        metrics = segment_metrics(fresh.assign(prediction=champion.predict(chosen_users, chosen_items, history=history)),
                                  genres)
        baseline = self.models.resolve(self.slot, version).manifest["baseline"]
        review = self.reviewer.review(RoundContext(
            number=number, champion_version=version, champion=champion, baseline=baseline, metrics=metrics,
            history=history, fresh=fresh, genres=genres, rng=rng, models=self.models, slot=self.slot, seed=seed,
            data_checksum=self.config["data_checksum"], catalog_ratings=int(len(self.catalog.ratings)),
            behaviour=behaviour, films=movies))

        fresh = fresh.astype({c: history[c].dtype for c in HISTORY_COLUMNS})
        simulated = pd.concat([self.simulated, fresh], ignore_index=True) if len(self.simulated) else fresh
        new_film_table = pd.concat([self.new_films, new_film_rows], ignore_index=True) \
            if len(self.new_films) else new_film_rows
        reference = self.config["baseline"]
        record = {
            "round": number, "champion": version, "champion_after": self.champion_version().name,
            "users": int(len(users)), "new_users": int(len(new_users)), "new_films": int(len(new_films)),
            "ratings": int(len(fresh)), **{k: metrics["global"][k] for k in ("rmse", "mae", "r2")},
            # Two baselines: the current champion's own (reset at each promotion) and the first
            # champion's, fixed for the whole run, so a fall across promotions stays visible.
            "baseline_r2": baseline["global"]["r2"], "baseline_rmse": baseline["global"]["rmse"],
            "reference_r2": reference["r2"], "reference_rmse": reference["rmse"],
            **beyond_accuracy(lists, movies),
            "sources": {str(k): int(v) for k, v in pd.Series(vectors.source).value_counts().items()},
            "drift_triggered": review.drift_triggered, "drift_reasons": review.drift_reasons,
            "degraded": review.degraded, "decision": review.decision,
            "seconds": round(time.perf_counter() - started, 3),
        }
        segments = pd.concat([self.segments(), _segment_rows(number, metrics, baseline, review)], ignore_index=True)
        self.files.commit_state(self.rounds + [record],
                                {SIMULATED: simulated, SEGMENTS: segments, NEW_FILMS: new_film_table}, world.save)
        self.rounds.append(record)
        self.simulated, self.new_films = simulated, new_film_table
        self._history = pd.concat([history, fresh[list(HISTORY_COLUMNS)]], ignore_index=True)
        log.info(_round_text(record))
        return record

    def _arrivals(self, number: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, pd.DataFrame]:
        """Newcomers of this round (added to the world); returns (new users, new films, their genres)."""
        scenario = self.scenario
        empty = np.zeros(0, np.int64)
        rows = pd.DataFrame(columns=["movie_id", "genres"])
        if not scenario.active(number):
            return empty, empty, rows
        new_users = self.world.add_users(scenario.new_users_per_round, rng) if scenario.new_users_per_round else empty
        new_films = empty
        if scenario.new_films_per_round:
            new_films, templates = self.world.add_films(scenario.new_films_per_round, rng)
            template_genres = self.movies.set_index("movie_id")["genres"]
            rows = pd.DataFrame({"movie_id": new_films, "genres": [_as_list(template_genres.get(t)) for t in templates]})
        return new_users, new_films, rows

    def summary(self) -> dict[str, Any]:
        return {"run": self.config["run"], "run_dir": str(self.run_dir), "catalog": self.config["catalog"],
                "seed": self.config["seed"], "scenario": self.config["scenario_text"],
                "target_r2": self.config["target_r2"], "noise_sd": self.config["sigma"],
                "baseline": self.config["baseline"], "rounds": self.rounds, "champion": self.champion_version().name,
                "decisions": [{k: d.get(k) for k in ("round", "champion", "challenger", "promoted", "reasons")}
                              for d in self.decisions()]}


def check_rounds(rounds) -> int:
    """A number of rounds to run: a whole number from 0 to 10,000 (one line naming --rounds otherwise)."""
    return integer(rounds, "rounds (--rounds)", 0, 10_000)


def _segment_rows(number: int, metrics: dict, baseline: dict, review: RoundReview) -> pd.DataFrame:
    rows = []
    for segment, info in metrics["segments"].items():
        status = "degraded" if segment in review.degraded else "stable" if segment in review.stable else "ignored"
        rows.append({"round": number, "segment": segment, "count": info["count"], "rmse": info["rmse"],
                     "baseline_rmse": baseline["segments"].get(segment, {}).get("rmse", np.nan), "status": status})
    return pd.DataFrame(rows, columns=SEGMENT_COLUMNS)


def _as_list(value) -> list[str]:
    """Genres as a plain list (Parquet gives arrays back; missing genres give None)."""
    return [] if value is None else [str(v) for v in value]


def _round_text(record: dict) -> str:
    text = f"round {record['round']}: R² {record['r2']:.3f} (baseline {record['baseline_r2']:.3f})"
    if record["decision"]:
        text += f"; challenger {record['decision']['challenger']} " + ("promoted" if record["decision"]["promoted"] else "rejected")
    return text
