"""Deterministic synthetic demo catalog with a saved hidden ground truth.

The generative story, so later models can be checked against it:

* **People** have careers (active years), a language region and, for actors, a latent
  ``star_power`` ~ N(0, 1); directors have a ``director_effect`` ~ N(0, 0.6).
* **Films** get a year, language, genres, a director active that year and a budget driven by
  genre, language and era. Stars are more likely in big-budget films and are billed first.
* A film's latent **quality** = 0.6·mean star power of its top-3 billed actors
  + director effect + genre effect + noise. ``vote_average`` is a linear map of quality,
  popularity and revenue/budget rise with star power.
* **Ratings** come from a latent-factor user model: rating = μ + b_u + b_i + p_u·q_i + ε, with
  item factors tied to genres, clipped to 0.5–5 in half stars. Users tend to watch popular
  films they are predicted to like (ratings are missing not at random, as in real data).

Everything derives from one ``numpy`` generator seeded by ``seed``: the same arguments give
byte-identical tables.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.catalog import demo_text as text
from core.catalog import store
from core.io import write_json_atomic, write_parquet_atomic
from core.progress import ProgressFn, null_progress

import pyarrow as pa

FIRST_YEAR, LAST_YEAR = 1980, 2024
N_FACTORS = 6
RATING_NOISE_SD = 0.75
GLOBAL_MEAN = 3.0
RATING_END = pd.Timestamp("2025-06-30", tz="UTC")


def build_demo_catalog(name: str = "demo", seed: int = 7, n_movies: int = 3000,
                       progress: ProgressFn | None = None, data_dir: Path | None = None) -> dict[str, Any]:
    """Generate the synthetic catalog and write it (with ``ground_truth/``) as ``name``."""
    progress = progress or null_progress
    if n_movies < 50:
        from core.errors import MarqueeError
        raise MarqueeError(f"the demo needs at least 50 films, got {n_movies}")
    rng = np.random.default_rng(seed)
    progress(0, 5, "people")
    people, careers = _people(rng, n_movies)
    progress(1, 5, "films")
    movies, quality = _movies(rng, n_movies)
    progress(2, 5, "casting")
    credits, movies, quality = _cast_and_crew(rng, movies, quality, careers)
    progress(3, 5, "ratings")
    ratings, users, items = _ratings(rng, movies, quality)
    progress(4, 5, "writing")

    truth = {
        "seed": seed, "n_movies": n_movies, "n_factors": N_FACTORS, "global_mean": GLOBAL_MEAN,
        "rating_noise_sd": RATING_NOISE_SD,
        "quality": "0.6*mean(star_power of top-3 billed) + director_effect + genre_effect + N(0, 0.45)",
        "vote_average": "clip(6.3 + 1.1*quality + N(0, 0.25), 1, 9.6)",
        "rating": "clip(round2(global_mean + user.bias + item.bias + dot(user.f, item.f) + N(0, sd)), 0.5, 5)",
        "genre_effect": text.GENRE_QUALITY,
    }
    actors = careers[careers["is_actor"]][["person_id", "star_power", "career_start", "career_end", "region"]]
    directors = careers[careers["is_director"]][["person_id", "director_effect", "career_start", "career_end", "region"]]
    movie_truth = pd.DataFrame({"movie_id": movies["movie_id"], "quality": quality})
    items = items.merge(movie_truth, on="movie_id")

    def write_truth(folder: Path) -> None:
        write_parquet_atomic(folder / "actors.parquet", pa.Table.from_pandas(actors, preserve_index=False))
        write_parquet_atomic(folder / "directors.parquet", pa.Table.from_pandas(directors, preserve_index=False))
        write_parquet_atomic(folder / "users.parquet", pa.Table.from_pandas(users, preserve_index=False))
        write_parquet_atomic(folder / "items.parquet", pa.Table.from_pandas(items, preserve_index=False))
        write_json_atomic(folder / "truth.json", truth)

    store.write_catalog(
        name, {"movies": movies, "people": people, "credits": credits, "ratings": ratings},
        source="synthetic demo generator", synthetic=True,
        parameters={"seed": seed, "n_movies": n_movies}, extras={"ground_truth": write_truth},
        report={"note": "synthetic data; hidden truth in ground_truth/"}, data_dir=data_dir)
    progress(5, 5, "done")
    return {"catalog": name, "movies": len(movies), "people": len(people), "credits": len(credits),
            "ratings": len(ratings), "users": len(users), "seed": seed}


# ------------------------------------------------------------------------------------- people
def _name_pool(rng: np.random.Generator, region: str, count: int, used: set[str]) -> list[str]:
    firsts, lasts = text.FIRST_NAMES[region], text.LAST_NAMES[region]
    names = []
    while len(names) < count:
        candidate = f"{firsts[rng.integers(len(firsts))]} {lasts[rng.integers(len(lasts))]}"
        if candidate in used:
            # Real catalogs have namesakes too, but unique names keep entity search unambiguous.
            candidate = f"{candidate} {'Jr.' if rng.random() < 0.5 else 'II'}"
            if candidate in used:
                continue
        used.add(candidate)
        names.append(candidate)
    return names


def _people(rng: np.random.Generator, n_movies: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_actors = max(60, int(n_movies * 0.6))
    n_directors = max(15, int(n_movies * 0.12))
    regions = sorted({region for _, _, region in text.LANGUAGES.values()})
    region_weight = {r: sum(w for w, _, reg in text.LANGUAGES.values() if reg == r) for r in regions}
    probs = np.array([region_weight[r] for r in regions], dtype=float)
    probs /= probs.sum()
    total = n_actors + n_directors
    person_region = rng.choice(regions, size=total, p=probs)
    used: set[str] = set()
    names = []
    for region in person_region:
        names += _name_pool(rng, region, 1, used)
    is_actor = np.arange(total) < n_actors
    career_start = rng.integers(FIRST_YEAR - 15, LAST_YEAR - 3, size=total)
    career_length = rng.integers(6, 40, size=total)
    star_power = np.where(is_actor, rng.normal(0.0, 1.0, size=total), np.nan)
    director_effect = np.where(~is_actor, rng.normal(0.0, 0.6, size=total), np.nan)
    gender = rng.choice([1, 2], size=total)
    popularity = np.round(np.exp(np.where(is_actor, 0.8 * np.nan_to_num(star_power), 0.0) + rng.normal(1.0, 0.5, total)), 3)
    careers = pd.DataFrame({
        "person_id": np.arange(1, total + 1, dtype=np.int64), "region": person_region,
        "is_actor": is_actor, "is_director": ~is_actor, "career_start": career_start,
        "career_end": np.minimum(career_start + career_length, LAST_YEAR + 5),
        "star_power": star_power, "director_effect": director_effect,
        "genre_taste": list(rng.dirichlet(np.full(len(text.GENRES), 0.6), size=total)),
    })
    people = pd.DataFrame({
        "person_id": careers["person_id"], "name": names, "gender": gender, "popularity": popularity,
        "known_for_department": np.where(is_actor, "Acting", "Directing"),
    })
    return people, careers


# ------------------------------------------------------------------------------------- films
def _movies(rng: np.random.Generator, n_movies: int) -> tuple[pd.DataFrame, np.ndarray]:
    years_span = np.arange(FIRST_YEAR, LAST_YEAR + 1)
    year_weight = np.linspace(1.0, 2.5, len(years_span))  # more films in recent years
    years = np.sort(rng.choice(years_span, size=n_movies, p=year_weight / year_weight.sum()))
    lang_codes = list(text.LANGUAGES)
    lang_weight = np.array([text.LANGUAGES[c][0] for c in lang_codes], dtype=float)
    languages = rng.choice(lang_codes, size=n_movies, p=lang_weight / lang_weight.sum())
    genre_weight = np.array([text.GENRE_WEIGHTS[g] for g in text.GENRES], dtype=float)
    genre_weight /= genre_weight.sum()

    rows = []
    titles_seen: set[str] = set()
    for i in range(n_movies):
        n_genres = rng.choice([1, 2, 3], p=[0.35, 0.45, 0.2])
        genres = list(rng.choice(text.GENRES, size=n_genres, replace=False, p=genre_weight))
        year = int(years[i])
        language = str(languages[i])
        budget_scale = text.GENRE_BUDGET[genres[0]] * text.LANGUAGES[language][1] * (0.45 + 0.55 * (year - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR))
        budget = float(np.round(np.exp(rng.normal(np.log(25e6 * budget_scale), 0.7)), -4))
        release = dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))
        title = _title(rng, titles_seen)
        runtime = float(np.clip(rng.normal(88 if "Animation" in genres else 106, 16), 70, 200))
        rows.append({
            "movie_id": i + 1, "title": title, "original_title": title, "overview": _blurb(rng, genres),
            "release_date": release, "year": year, "runtime": round(runtime), "original_language": language,
            "spoken_languages": [language] + (["en"] if language != "en" and rng.random() < 0.3 else []),
            "genres": genres, "keywords": _keywords(rng, genres),
            "budget": budget if rng.random() > 0.12 else None, "adult": False,
        })
    movies = pd.DataFrame(rows)
    quality = np.array([np.mean([text.GENRE_QUALITY[g] for g in gs]) for gs in movies["genres"]])
    return movies, quality


def _title(rng: np.random.Generator, seen: set[str]) -> str:
    for _ in range(20):
        pattern = rng.integers(5)
        adj = text.TITLE_ADJECTIVES[rng.integers(len(text.TITLE_ADJECTIVES))]
        noun = text.TITLE_NOUNS[rng.integers(len(text.TITLE_NOUNS))]
        place = text.TITLE_PLACES[rng.integers(len(text.TITLE_PLACES))]
        title = [f"The {adj} {noun}", f"{noun} of {place}", f"{adj} {noun}", f"The {noun}",
                 f"{adj} in {place}"][pattern]
        if title not in seen:
            break
        title = f"{title} {['II', 'Returns', 'Rising', '2'][rng.integers(4)]}"
        if title not in seen:
            break
    seen.add(title)
    return title


def _blurb(rng: np.random.Generator, genres: list[str]) -> str:
    lead = text.BLURBS[genres[0]]
    flavour = text.BLURBS[genres[-1]]
    who = lead[0][rng.integers(len(lead[0]))]
    where = lead[1][rng.integers(len(lead[1]))]
    what = lead[2][rng.integers(len(lead[2]))]
    how = flavour[3][rng.integers(len(flavour[3]))]
    return f"In {where}, {who} {what}. {how[0].upper() + how[1:]}."


def _keywords(rng: np.random.Generator, genres: list[str]) -> list[str]:
    pool = sorted({k for g in genres for k in text.KEYWORDS[g]})
    return list(rng.choice(pool, size=min(len(pool), int(rng.integers(2, 6))), replace=False))


# ------------------------------------------------------------------------- cast and crew
def _cast_and_crew(rng: np.random.Generator, movies: pd.DataFrame, base_quality: np.ndarray,
                   careers: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    actors = careers[careers["is_actor"]].reset_index(drop=True)
    directors = careers[careers["is_director"]].reset_index(drop=True)
    genre_index = {g: i for i, g in enumerate(text.GENRES)}
    actor_taste = np.vstack(actors["genre_taste"].to_numpy())
    # Column arrays once, not per film.
    actor_start, actor_end = actors["career_start"].to_numpy(), actors["career_end"].to_numpy()
    # Regions as small integer codes: one integer comparison per person and film, not a string one.
    region_code = {r: c for c, r in enumerate(sorted(set(careers["region"])))}
    actor_region = actors["region"].map(region_code).to_numpy()
    actor_star = actors["star_power"].to_numpy()
    actor_ids = actors["person_id"].to_numpy()
    director_start, director_end = directors["career_start"].to_numpy(), directors["career_end"].to_numpy()
    director_region = directors["region"].map(region_code).to_numpy()
    director_ids, director_effect = directors["person_id"].to_numpy(), directors["director_effect"].to_numpy()
    every_director = np.arange(len(directors))
    budgets = movies["budget"].fillna(movies["budget"].median()).to_numpy()
    budget_z = (np.log(budgets) - np.log(budgets).mean()) / np.log(budgets).std()

    credit_rows, qualities, popularity, vote_average, vote_count, revenue = [], [], [], [], [], []
    for i, film in enumerate(movies.itertuples(index=False)):
        region = region_code.get(text.LANGUAGES[film.original_language][2], -1)
        year = film.year
        # Director: active that year, same region when possible (row positions, in table order).
        active_dirs = np.flatnonzero((director_start <= year) & (director_end >= year))
        local_dirs = active_dirs[director_region[active_dirs] == region]
        pool = local_dirs if len(local_dirs) else (active_dirs if len(active_dirs) else every_director)
        director = int(pool[int(rng.integers(len(pool)))])
        credit_rows.append((film.movie_id, int(director_ids[director]), "crew", "Director", None, None))

        # Cast: active actors, mostly from the film's region, drawn towards genre taste; big
        # budgets attract stars.
        active = (actor_start <= year) & (actor_end >= year)
        local = actor_region == region
        weight = active * np.where(local, 1.0, 0.06)
        genre_cols = [genre_index[g] for g in film.genres]
        weight = weight * (0.2 + actor_taste[:, genre_cols].sum(axis=1))
        weight = weight * np.exp(0.9 * actor_star * budget_z[i])
        if weight.sum() == 0:
            weight = np.ones(len(actors))
        n_cast = int(rng.integers(4, 11))
        chosen = rng.choice(len(actors), size=min(n_cast, int((weight > 0).sum())), replace=False, p=weight / weight.sum())
        stars = actor_star[chosen]
        # Billing follows star power (with noise): stars are top-billed.
        order = np.argsort(-(stars + rng.normal(0, 0.5, len(stars))))
        for bill, idx in enumerate(order):
            person = int(actor_ids[chosen[idx]])
            credit_rows.append((film.movie_id, person, "cast", "Actor", None, bill))
        top_star = float(np.mean(stars[order][:3]))
        quality = 0.6 * top_star + float(director_effect[director]) + base_quality[i] + rng.normal(0, 0.45)
        qualities.append(quality)
        recency = (year - FIRST_YEAR) / (LAST_YEAR - FIRST_YEAR)
        pop = float(np.exp(0.7 * top_star + 0.35 * budget_z[i] + 0.3 * quality + 1.2 * recency + rng.normal(1.2, 0.4)))
        popularity.append(round(pop, 3))
        vote_average.append(round(float(np.clip(6.3 + 1.1 * quality + rng.normal(0, 0.25), 1.0, 9.6)), 1))
        vote_count.append(int(np.exp(np.log(pop) * 1.3 + rng.normal(3.0, 0.5))))
        if pd.isna(film.budget):
            revenue.append(None)
        else:
            multiple = np.exp(0.45 * quality + 0.35 * top_star + rng.normal(0.6, 0.7))
            revenue.append(float(np.round(film.budget * multiple, -3)))

    credits = pd.DataFrame(credit_rows, columns=["movie_id", "person_id", "role", "job", "character", "bill_order"])
    credits["bill_order"] = credits["bill_order"].astype("Int64")
    movies = movies.assign(popularity=popularity, vote_average=vote_average, vote_count=vote_count, revenue=revenue)
    return credits, movies, np.asarray(qualities)


# ------------------------------------------------------------------------------- ratings
def _ratings(rng: np.random.Generator, movies: pd.DataFrame, quality: np.ndarray,
             n_users: int | None = None) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    n_items = len(movies)
    n_users = n_users or max(50, n_items // 5)
    genre_loading = rng.normal(0, 0.6, size=(len(text.GENRES), N_FACTORS))
    genre_matrix = np.zeros((n_items, len(text.GENRES)))
    genre_index = {g: i for i, g in enumerate(text.GENRES)}
    for row, genres in enumerate(movies["genres"]):
        for g in genres:
            genre_matrix[row, genre_index[g]] = 1.0 / len(genres)
    item_factors = genre_matrix @ genre_loading + rng.normal(0, 0.25, size=(n_items, N_FACTORS))
    item_bias = 0.35 * quality
    cohort = rng.integers(0, 4, size=n_users)
    cohort_shift = rng.normal(0, 0.35, size=(4, N_FACTORS))
    user_factors = rng.normal(0, 0.45, size=(n_users, N_FACTORS)) + cohort_shift[cohort]
    user_bias = rng.normal(0, 0.3, size=n_users)

    release = pd.to_datetime(movies["release_date"]).dt.tz_localize("UTC")
    # Seconds since the epoch, independent of pandas' datetime resolution.
    release_s = ((release - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(seconds=1)).to_numpy(dtype=np.int64)
    end_s = RATING_END.value // 10**9
    popularity = movies["popularity"].to_numpy()
    log_pop = np.log(popularity)
    activity = np.clip(np.exp(rng.normal(np.log(60), 0.8, size=n_users)), 8, n_items // 3).astype(int)
    user_start = pd.Timestamp("1998-01-01", tz="UTC").value // 10**9 + rng.integers(0, 26 * 365 * 86400, size=n_users)

    frames = []
    for u in range(n_users):
        affinity = item_factors @ user_factors[u] + item_bias
        weight = np.exp(0.8 * (log_pop - log_pop.mean()) + 0.8 * affinity)
        # Only films released before the end of the rating window can be watched.
        weight = weight * (release_s < end_s - 86400)
        count = min(int(activity[u]), int((weight > 0).sum()))
        items = rng.choice(n_items, size=count, replace=False, p=weight / weight.sum())
        mean = GLOBAL_MEAN + user_bias[u] + item_bias[items] + item_factors[items] @ user_factors[u]
        rating = np.clip(np.round((mean + rng.normal(0, RATING_NOISE_SD, size=count)) * 2) / 2, 0.5, 5.0)
        start = np.maximum(release_s[items], user_start[u])
        start = np.minimum(start, end_s - 86400)
        stamps = start + (rng.random(count) * (end_s - start)).astype(np.int64)
        frames.append(pd.DataFrame({"user_id": u + 1, "movie_id": movies["movie_id"].to_numpy()[items],
                                    "rating": rating, "timestamp": stamps}))
    ratings = pd.concat(frames, ignore_index=True)
    ratings["timestamp"] = pd.to_datetime(ratings["timestamp"], unit="s", utc=True)
    users = pd.DataFrame({"user_id": np.arange(1, n_users + 1), "bias": user_bias, "cohort": cohort})
    items_truth = pd.DataFrame({"movie_id": movies["movie_id"], "bias": item_bias})
    for k in range(N_FACTORS):
        users[f"f{k}"] = user_factors[:, k]
        items_truth[f"f{k}"] = item_factors[:, k]
    return ratings, users, items_truth
