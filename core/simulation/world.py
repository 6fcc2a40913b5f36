"""Simulation scenarios and the simulated "world" that produces ratings.

The world is a richer factor model fitted to the catalog (the champion configuration of
:mod:`core.cf.params`, seeded apart from the deployed model), so the deployed champion is an
imperfect estimate of it that retraining on new ratings can improve. A simulated rating is the
world's predicted score plus Gaussian noise of a calibrated size, clipped and rounded to the
catalog's rating step. Scenario knobs change the world from ``start_round`` on:

* ``penalty_genre``/``penalty``: films of one genre are rated ``penalty`` stars lower;
* ``cohort_fraction``/``cohort_shift``: a seeded cohort of users shifts its taste vector by
  ``cohort_shift`` per-dimension standard deviations in one random direction;
* ``new_users_per_round``/``new_films_per_round``: people and films the champion has never seen
  arrive, their vectors drawn around randomly chosen existing ones.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

import numpy as np
import pandas as pd

from core.cf import FactorModel
from core.errors import MarqueeError
from core.io import load_npz, save_npz
from core.validation import finite_float, integer, plain_text

WORLD = "world.npz"


@dataclass(frozen=True)
class Scenario:
    name: str = "baseline"
    start_round: int = 2
    penalty_genre: str | None = None
    penalty: float = 0.0
    cohort_fraction: float = 0.0
    cohort_shift: float = 0.0
    new_users_per_round: int = 0
    new_films_per_round: int = 0

    def __post_init__(self) -> None:
        """Knobs are checked where they enter (CLI, page, a stored run): one line naming the knob."""
        integer(self.start_round, "start_round (--start-round)", 1, 1_000_000)
        finite_float(self.penalty, "penalty (--penalty)", -10.0, 10.0)
        finite_float(self.cohort_fraction, "cohort_fraction (--cohort-fraction)", 0.0, 1.0)
        finite_float(self.cohort_shift, "cohort_shift (--cohort-shift)", -100.0, 100.0)
        integer(self.new_users_per_round, "new_users_per_round (--new-users)", 0, 100_000)
        integer(self.new_films_per_round, "new_films_per_round (--new-films)", 0, 100_000)
        if self.penalty_genre is not None:
            object.__setattr__(self, "penalty_genre", plain_text(self.penalty_genre, "genre (--genre)", max_length=100))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Scenario":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def active(self, round_number: int) -> bool:
        return round_number >= self.start_round

    def describe(self) -> str:
        parts = []
        if self.penalty and self.penalty_genre:
            parts.append(f"{self.penalty_genre} films rated {self.penalty:g} lower")
        if self.cohort_fraction and self.cohort_shift:
            parts.append(f"{100 * self.cohort_fraction:.0f}% of users shift taste by {self.cohort_shift:g} sd")
        if self.new_users_per_round:
            parts.append(f"{self.new_users_per_round} new users per round")
        if self.new_films_per_round:
            parts.append(f"{self.new_films_per_round} new films per round")
        what = "; ".join(parts) or "no drift"
        return f"{self.name}: {what}" + (f" from round {self.start_round}" if parts else "")


PRESETS: dict[str, dict] = {
    "baseline": {},
    "genre-penalty": {"penalty": 1.0},
    "cohort-shift": {"cohort_fraction": 0.3, "cohort_shift": 1.5},
    "new-users": {"new_users_per_round": 40},
    "new-films": {"new_films_per_round": 60},
    "mixed": {"penalty": 0.7, "cohort_fraction": 0.2, "cohort_shift": 1.0, "new_users_per_round": 20,
              "new_films_per_round": 30},
}


def make_scenario(name: str, **overrides) -> Scenario:
    """A preset scenario with knobs overridden (``None`` overrides are ignored)."""
    if name not in PRESETS:
        raise MarqueeError(f"unknown scenario {name!r}: choose from {', '.join(PRESETS)}")
    knobs = {**PRESETS[name], **{k: v for k, v in overrides.items() if v is not None}}
    return Scenario(name=name, **knobs)


def most_rated_genre(ratings: pd.DataFrame, genres: pd.DataFrame) -> str:
    counts = ratings[["movie_id"]].merge(genres, on="movie_id")["genre"].value_counts()
    if counts.empty:
        raise MarqueeError("the catalog's rated films carry no genres, so a genre penalty has nothing to act on")
    return str(counts.sort_index().sort_values(ascending=False, kind="stable").index[0])


@dataclass
class World:
    """The simulated truth: factor arrays for every user and film, plus the cohort's shift."""

    factors: FactorModel
    step: float
    cohort: np.ndarray     # raw user ids in the shifting cohort
    shift: np.ndarray      # taste shift vector added to the cohort's factors

    @classmethod
    def from_model(cls, model: FactorModel, step: float, scenario: Scenario, rng: np.random.Generator) -> "World":
        factors = replace(model, bu=model.bu.copy(), bi=model.bi.copy(), pu=model.pu.copy(), qi=model.qi.copy())
        n_cohort = int(round(scenario.cohort_fraction * len(model.user_ids)))
        cohort = np.sort(rng.choice(model.user_ids, size=n_cohort, replace=False)) if n_cohort else np.zeros(0, np.int64)
        direction = rng.normal(size=model.n_factors)
        direction /= max(np.linalg.norm(direction), 1e-12)
        shift = scenario.cohort_shift * model.pu.std(axis=0) * direction * np.sqrt(model.n_factors)
        return cls(factors=factors, step=step, cohort=cohort.astype(np.int64), shift=shift)

    def score(self, user_ids, movie_ids, round_number: int, scenario: Scenario, genre_flags: np.ndarray) -> np.ndarray:
        """Noise-free rating of aligned (user, film) pairs in a round; ``genre_flags`` marks films of
        the penalised genre."""
        f = self.factors
        bu, pu = f.user_terms(f.user_inner(user_ids))
        bi, qi = f.item_terms(f.item_inner(movie_ids))
        if scenario.active(round_number) and len(self.cohort):
            pu = pu + np.isin(user_ids, self.cohort)[:, None] * self.shift[None, :]
        score = f.mu + bu + bi + np.einsum("nk,nk->n", pu, qi)
        if scenario.active(round_number) and scenario.penalty:
            score = score - scenario.penalty * genre_flags
        return score

    def observe(self, score: np.ndarray, noise: np.ndarray) -> np.ndarray:
        """Score plus noise, rounded to the rating step and clipped to the scale."""
        low, high = self.factors.rating_scale
        return np.clip(np.round((score + noise) / self.step) * self.step, low, high)

    def add_users(self, count: int, rng: np.random.Generator) -> np.ndarray:
        f = self.factors
        _, new_ids, ids, bu, pu = _spawn(f.user_ids, f.bu, f.pu, count, rng)
        self.factors = replace(f, bu=bu, pu=pu, user_ids=ids)
        return new_ids

    def add_films(self, count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """New films modelled on random existing ones; returns (new ids, template ids)."""
        f = self.factors
        templates, new_ids, ids, bi, qi = _spawn(f.item_ids, f.bi, f.qi, count, rng)
        self.factors = replace(f, bi=bi, qi=qi, item_ids=ids)
        return new_ids, templates

    def save(self, folder: Path) -> None:
        save_npz(Path(folder) / WORLD, {**self.factors.to_arrays(), "step": np.array([self.step]),
                                        "cohort": self.cohort, "shift": self.shift})

    @classmethod
    def load(cls, folder: Path) -> "World":
        a = load_npz(Path(folder) / WORLD, "simulation world")
        return cls(factors=FactorModel.from_arrays(a), step=float(a["step"][0]), cohort=a["cohort"], shift=a["shift"])


def _spawn(ids: np.ndarray, bias: np.ndarray, factors: np.ndarray, count: int, rng: np.random.Generator):
    """``count`` newcomers, each a noisy copy of a random existing row (half the population spread).

    Returns (template ids, new ids, and the ids, biases and factors with the newcomers appended)."""
    template = rng.integers(0, len(ids), size=count)
    new_ids = ids.max() + 1 + np.arange(count)
    new_bias = bias[template] + rng.normal(0, bias.std() * 0.5, size=count)
    new_factors = factors[template] + rng.normal(0, 1, size=(count, factors.shape[1])) * factors.std(axis=0) * 0.5
    return (ids[template], new_ids, np.concatenate([ids, new_ids]), np.concatenate([bias, new_bias]),
            np.vstack([factors, new_factors]))


def rating_step(ratings: pd.Series) -> float:
    """1 for whole-star catalogs, 0.5 for half stars, else the smallest positive gap (≥ 0.1)."""
    values = np.unique(ratings.to_numpy(float))
    if np.allclose(values, np.round(values)):
        return 1.0
    if np.allclose(values * 2, np.round(values * 2)):
        return 0.5
    gaps = np.diff(values)
    return float(max(gaps[gaps > 0].min(), 0.1)) if len(gaps) else 1.0


def calibrate_noise(score: np.ndarray, prediction: np.ndarray, target_r2: float, world: World,
                    rng: np.random.Generator) -> float:
    """Noise sd such that ``prediction`` (the champion's) reaches R² ``target_r2`` on ratings
    simulated from the world's ``score``; the rounding to the rating step is included.

    Bisection over fixed standard-normal draws. When the champion's disagreement with the world
    alone already pushes R² below the target, the noise is zero.
    """
    target_r2 = float(np.clip(target_r2, 0.02, 0.98))
    z = rng.standard_normal(len(score))

    def simulated_r2(sigma: float) -> float:
        y = world.observe(score, sigma * z)
        total = np.sum((y - y.mean()) ** 2)
        return 1.0 - np.sum((y - prediction) ** 2) / total if total > 0 else 0.0

    low, high = 0.0, 4.0 * float(np.std(score)) + 1.0
    if simulated_r2(low) <= target_r2:
        return 0.0
    for _ in range(40):
        middle = 0.5 * (low + high)
        if simulated_r2(middle) > target_r2:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)

