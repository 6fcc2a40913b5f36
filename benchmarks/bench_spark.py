"""How cost grows with work, single-machine (pandas/NumPy/Surprise/torch) vs Spark local mode.

Three workloads, three sizes each, both engines, every run in its own process with its peak memory
sampled over the whole process tree (driver + JVM + Python workers), every timing beside the load
average it ran under:

* ``ratings`` — collaborative filtering on synthetic MovieLens-like ratings (100k / 1M / 5M):
  long-tailed user activity (≥ 20 ratings each), Zipf film popularity, ratings from a latent
  factor model plus noise in half stars. Single machine: the deployed recommender's SVD (champion
  configuration, one seed: the champion averages 5, so its cost is 5× this); Spark: ALS with the
  Spark defaults of ``core.spark``, reading the ratings from Parquet.
* ``credits`` — as-of casting features over a synthetic catalog (130k / 1M / 5M cast credits,
  ~6.5 per film: 20k / 154k / 770k films): pandas ``build_long_table`` + ``CastingFeaturizer``
  vs ``core.spark.spark_casting_features`` written to Parquet.
* ``documents`` — MiniLM embedding of real Wikipedia film documents (2k / 10k measured; the 36k
  point is extrapolated from the per-document rate of the 10k run, and marked so).

    python benchmarks/bench_spark.py                              # everything (about 1-2 h on 2 cores)
    python benchmarks/bench_spark.py --workloads ratings --sizes 100000,1000000
    python benchmarks/bench_spark.py --engines spark --master local[2]

Synthetic inputs are generated once into ``--work`` (default a folder under the system temp
directory) and reused. Results: ``benchmarks/results/spark.json`` (one record per run).
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "spark.json"
SIZES = {"ratings": [100_000, 1_000_000, 5_000_000], "credits": [130_000, 1_000_000, 5_000_000],
         "documents": [2_000, 10_000, 36_000]}
MEASURED_DOCUMENTS = 10_000   # larger document counts are extrapolated from this run's rate
CAST_PER_FILM = 6.5


# ---------------------------------------------------------------------------------- memory sampling
def _children_map() -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    return children


def _tree_rss_mb(root: int) -> float:
    children, total, stack = _children_map(), 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", encoding="utf-8") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            continue
    return total / 2**20


def run_child(args: list[str], timeout: float) -> dict:
    """Run one measurement in a child process; peak RSS of its whole process tree, sampled at 4 Hz."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True)
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_mb(proc.pid))
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"error": f"timed out after {timeout:.0f}s", "peak_rss_mb": round(peak[0], 1)}
    finally:
        done.set()
        sampler.join()
    if proc.returncode != 0:
        return {"error": f"exit status {proc.returncode}", "peak_rss_mb": round(peak[0], 1)}
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = round(peak[0], 1)
    return result


# ---------------------------------------------------------------------------------- synthetic inputs
def make_ratings(n: int, path: Path, seed: int = 0) -> Path:
    """MovieLens-like ratings: every user ≥ 20 ratings with a long tail, Zipf film popularity."""
    import numpy as np
    import pandas as pd

    if path.exists():
        return path
    rng = np.random.default_rng(seed)
    users = max(50, n // 150)
    films = int(1_700 * (n / 100_000) ** 0.55)
    activity = 20 + rng.pareto(1.3, users) * 25
    per_user = np.maximum(20, np.round(activity / activity.sum() * n)).astype(np.int64)
    per_user = np.minimum(per_user, films // 2)
    popularity = 1.0 / np.arange(1, films + 1) ** 0.9
    popularity = rng.permutation(popularity / popularity.sum())
    user_col, film_col = [], []
    for user, count in enumerate(per_user):
        picked = rng.choice(films, size=int(count), replace=False, p=popularity) if count > 200 else \
            np.unique(rng.choice(films, size=int(count) * 2, p=popularity))[:count]
        user_col.append(np.full(len(picked), user + 1, dtype=np.int64))
        film_col.append(picked.astype(np.int64) + 1)
    user_ids, film_ids = np.concatenate(user_col), np.concatenate(film_col)
    k = 10
    pu, qi = rng.normal(0, 0.35, (users + 1, k)), rng.normal(0, 0.35, (films + 1, k))
    bu, bi = rng.normal(0, 0.35, users + 1), rng.normal(0, 0.5, films + 1)
    raw = 3.55 + bu[user_ids] + bi[film_ids] + np.einsum("nk,nk->n", pu[user_ids], qi[film_ids]) \
        + rng.normal(0, 0.85, len(user_ids))
    rating = np.clip(np.round(raw * 2) / 2, 0.5, 5.0).astype(np.float32)
    timestamp = pd.to_datetime(np.sort(rng.integers(946_684_800, 1_700_000_000, len(user_ids))), unit="s", utc=True)
    frame = pd.DataFrame({"user_id": user_ids, "movie_id": film_ids, "rating": rating,
                          "timestamp": timestamp[rng.permutation(len(user_ids))]})
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, index=False)
    return path


def make_credits_catalog(n_credits: int, data_dir: Path, seed: int = 0) -> str:
    """A synthetic catalog with about ``n_credits`` cast credits (skewed careers, 1950–2020)."""
    import numpy as np
    import pandas as pd

    from core.catalog import store

    name = f"credits_{n_credits}"
    if store.exists(name, data_dir):
        return name
    rng = np.random.default_rng(seed)
    films = int(n_credits / CAST_PER_FILM)
    actors, directors = max(100, n_credits // 4), max(20, films // 4)
    genres = ["Drama", "Comedy", "Thriller", "Action", "Romance", "Crime", "Horror", "Adventure", "Family",
              "Science Fiction", "Fantasy", "Mystery", "Animation", "Documentary", "War", "History", "Music",
              "Western", "Sport", "Biography"]
    genre_p = 1.0 / np.arange(1, len(genres) + 1)
    genre_p /= genre_p.sum()
    years = np.sort(rng.integers(1950, 2021, films) if films < 10 else
                    np.round(1950 + 70 * rng.beta(2.2, 1.2, films)).astype(int))
    budget = np.where(rng.random(films) < 0.6, np.exp(rng.normal(16, 1.3, films)), np.nan)
    movie_ids = np.arange(1, films + 1, dtype=np.int64)
    movies = pd.DataFrame({
        "movie_id": movie_ids, "title": [f"Film {i}" for i in movie_ids], "year": years.astype("int32"),
        "release_date": pd.to_datetime([f"{y}-{rng.integers(1, 13):02d}-{rng.integers(1, 28):02d}" for y in years]).date,
        "genres": [list(rng.choice(genres, size=rng.integers(1, 4), replace=False, p=genre_p)) for _ in range(films)],
        "original_language": rng.choice(["en", "fr", "es", "de", "ja", "it", "hi", "ko", "zh", "ru"], films,
                                        p=[0.62, 0.07, 0.06, 0.05, 0.05, 0.04, 0.04, 0.03, 0.02, 0.02]),
        "budget": budget, "revenue": np.where(np.isnan(budget), np.nan, budget * rng.lognormal(0.5, 1.0, films)),
        "vote_average": np.where(rng.random(films) < 0.9, np.clip(rng.normal(6.3, 1.0, films), 1, 10), np.nan),
        "popularity": rng.lognormal(1.5, 1.0, films),
    })
    fame = 1.0 / np.arange(1, actors + 1) ** 0.75
    fame = rng.permutation(fame / fame.sum())
    cast_sizes = np.maximum(1, rng.poisson(CAST_PER_FILM - 1, films) + 1)
    person = rng.choice(actors, size=int(cast_sizes.sum()), p=fame).astype(np.int64) + 1
    film_of = np.repeat(movie_ids, cast_sizes)
    bill = np.concatenate([np.arange(s) for s in cast_sizes])
    cast = pd.DataFrame({"movie_id": film_of, "person_id": person, "role": "cast", "job": "Actor",
                         "character": None, "bill_order": bill.astype("int32")})
    cast = cast.drop_duplicates(["movie_id", "person_id"])
    director_fame = 1.0 / np.arange(1, directors + 1) ** 0.6
    director_fame = rng.permutation(director_fame / director_fame.sum())
    crew = pd.DataFrame({"movie_id": movie_ids, "person_id": actors + 1 + rng.choice(directors, films, p=director_fame),
                         "role": "crew", "job": "Director", "character": None, "bill_order": None})
    credits = pd.concat([cast, crew], ignore_index=True)
    people = pd.DataFrame({"person_id": np.arange(1, actors + directors + 1, dtype=np.int64)})
    people["name"] = [f"Person {i}" for i in people["person_id"]]
    people = people[people["person_id"].isin(credits["person_id"])]
    store.write_catalog(name, {"movies": movies, "people": people, "credits": credits}, source="synthetic",
                        parameters={"n_credits": n_credits, "seed": seed}, synthetic=True, data_dir=data_dir)
    return name


def make_documents(n: int, work: Path, shared: Path) -> Path:
    """The first ``n`` search documents (hash, text) of the Wikipedia catalog, in a seeded order."""
    import pandas as pd

    path = work / "documents" / "wikipedia.parquet"
    if not path.exists():
        from core.catalog.importers.wikipedia import import_wikipedia
        from core.catalog.store import Catalog
        from core.search.documents import build_documents

        tables = import_wikipedia(shared / "wikipedia-movies").tables
        catalog = Catalog(name="wiki", path=None, movies=tables["movies"], people=tables["people"],
                          credits=tables["credits"], ratings=pd.DataFrame())
        documents = build_documents(catalog)[["hash", "text"]].drop_duplicates("hash")
        path.parent.mkdir(parents=True, exist_ok=True)
        documents.sample(frac=1.0, random_state=0).to_parquet(path, index=False)
    return path


# ---------------------------------------------------------------------------------- one measurement (child)
def child(workload: str, size: int, engine: str, work: Path, master: str, shared: Path) -> dict:
    sys.path.insert(0, str(ROOT))
    os.environ["MARQUEE_DATA_DIR"] = str(work / "data")
    os.environ["MARQUEE_ARTIFACTS_DIR"] = str(work / "artifacts")
    out: dict = {"workload": workload, "size": size, "engine": engine}
    if engine == "prepare":  # inputs are generated once, outside the measured runs
        started = time.perf_counter()
        if workload == "ratings":
            make_ratings(size, work / "ratings" / f"ratings_{size}.parquet")
        elif workload == "credits":
            make_credits_catalog(size, work / "data")
        else:
            make_documents(size, work, shared)
        return {**out, "seconds": round(time.perf_counter() - started, 2)}
    spark = None
    if engine == "spark":
        from core.spark import get_session

        started = time.perf_counter()
        spark = get_session(master, conf={"spark.driver.memory": os.environ.get("BENCH_SPARK_DRIVER_MEMORY", "6g"),
                                          "spark.sql.shuffle.partitions": os.environ.get("BENCH_SPARK_PARTITIONS", "4")})
        out["session_seconds"] = round(time.perf_counter() - started, 2)
    started = time.perf_counter()
    if workload == "ratings":
        out.update(_ratings(size, work, spark))
    elif workload == "credits":
        out.update(_credits(size, work, spark))
    elif workload == "documents":
        out.update(_documents(size, work, spark, shared))
    out["seconds"] = round(time.perf_counter() - started, 2)
    if spark is not None:
        from core.spark import stop_session

        stop_session()
    return out


def _ratings(size: int, work: Path, spark) -> dict:
    import pandas as pd

    path = make_ratings(size, work / "ratings" / f"ratings_{size}.parquet")
    if spark is None:
        from core.cf import SVD_TUNED_PARAMS, CFRecommender

        ratings = pd.read_parquet(path)
        model = CFRecommender(**{**SVD_TUNED_PARAMS, "n_bags": 1}).fit(ratings)
        return {"model": "Surprise SVD, tuned configuration, 1 seed", "fit_seconds": round(model.fit_seconds_, 2),
                "users": int(len(model.model_.user_ids)), "films": int(len(model.model_.item_ids))}
    from core.spark import SparkALS, als_params

    model = SparkALS(spark, als_params()).fit(spark.read.parquet(str(path)))
    recommender = model.recommender_
    return {"model": f"Spark ALS rank {model.params.rank}, {model.params.max_iter} iterations",
            "fit_seconds": round(model.fit_seconds_, 2), "users": int(len(recommender.model_.user_ids)),
            "films": int(len(recommender.model_.item_ids))}


def _credits(size: int, work: Path, spark) -> dict:
    from core.catalog import store

    name = make_credits_catalog(size, work / "data")
    if spark is None:
        from core.casting.features import CastingFeaturizer
        from core.casting.longtable import build_long_table

        catalog = store.load_catalog(name, verify=False, tables=("movies", "people", "credits"))
        started = time.perf_counter()
        table = build_long_table(catalog)
        featurizer = CastingFeaturizer().fit(table)
        data = featurizer.annotate(table)
        features = featurizer.transform(data, featurizer.histories(data))
        return {"rows": int(len(features)), "features": int(features.shape[1]),
                "compute_seconds": round(time.perf_counter() - started, 2)}
    from core.spark import read_catalog, spark_casting_features

    started = time.perf_counter()
    result = spark_casting_features(spark, read_catalog(spark, name, tables=("movies", "people", "credits")), name=name)
    target = work / "spark-out" / f"casting_{size}"
    result.rows.write.mode("overwrite").parquet(str(target))
    rows = spark.read.parquet(str(target)).count()
    return {"rows": int(rows), "features": len(result.feature_names),
            "compute_seconds": round(time.perf_counter() - started, 2)}


def _documents(size: int, work: Path, spark, shared: Path) -> dict:
    import pandas as pd

    from core.search.embeddings import Encoder

    documents = pd.read_parquet(make_documents(size, work, shared)).head(size)
    if len(documents) < size:
        raise SystemExit(f"only {len(documents)} documents available")
    if spark is None:
        encoder = Encoder()
        started = time.perf_counter()
        vectors = encoder.encode(documents["text"].tolist())
        return {"vectors": int(len(vectors)), "compute_seconds": round(time.perf_counter() - started, 2),
                "threads": encoder.threads}
    from core.config import embedding_model_path
    from core.search.embeddings import model_fingerprint
    from core.spark import embed_texts

    path = embedding_model_path()
    started = time.perf_counter()
    vectors = embed_texts(spark, documents["hash"].tolist(), documents["text"].tolist(), path,
                          model_fingerprint(path))
    return {"vectors": int(len(vectors)), "compute_seconds": round(time.perf_counter() - started, 2),
            "threads_per_task": int(os.environ.get("MARQUEE_SPARK_EMBED_THREADS", "1"))}


# ---------------------------------------------------------------------------------- driver
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="ratings,credits,documents")
    parser.add_argument("--sizes", help="comma-separated sizes (default: the three of each workload)")
    parser.add_argument("--engines", default="pandas,spark")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "marquee-bench-spark")
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--timeout", type=float, default=3 * 3600)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--child", nargs=3, metavar=("WORKLOAD", "SIZE", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        workload, size, engine = args.child
        print(json.dumps(child(workload, int(size), engine, args.work, args.master, args.shared_data.resolve())))
        return

    records = json.loads(args.out.read_text()) if args.out.exists() else []
    for workload in args.workloads.split(","):
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else SIZES[workload]
        for size in sizes:
            measured = min(size, MEASURED_DOCUMENTS) if workload == "documents" else size
            common = ["--work", str(args.work), "--master", args.master, "--shared-data", str(args.shared_data)]
            prepared = run_child([workload, str(measured), "prepare", *common], args.timeout)
            if "error" in prepared:
                raise SystemExit(f"preparing {workload} {measured}: {prepared['error']}")
            for engine in args.engines.split(","):
                load_before = os.getloadavg()
                started = time.perf_counter()
                result = run_child([workload, str(measured), engine, *common], args.timeout)
                result.update(workload=workload, size=size, engine=engine, measured_size=measured,
                              wall_seconds=round(time.perf_counter() - started, 2),
                              load_before=[round(x, 2) for x in load_before],
                              load_after=[round(x, 2) for x in os.getloadavg()],
                              machine={"cpus": os.cpu_count(), "python": platform.python_version()},
                              time=time.strftime("%Y-%m-%dT%H:%M:%S"))
                if workload == "documents" and measured < size and "compute_seconds" in result:
                    result["extrapolated"] = True
                    result["compute_seconds"] = round(result["compute_seconds"] * size / measured, 2)
                print(json.dumps(result), flush=True)
                records = [r for r in records if (r["workload"], r["size"], r["engine"]) != (workload, size, engine)]
                records.append(result)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(records, indent=2))


if __name__ == "__main__":
    main()
