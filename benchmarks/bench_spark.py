"""How cost grows with work, single-machine (pandas/NumPy/Surprise/torch) vs Spark local mode.

Three workloads, three or more sizes each, both engines, every run in its own process with its
peak memory and its CPU seconds taken over the whole process tree (driver + JVM + Python
workers), every timing beside the load average it ran under. CPU seconds are the cost to compare
on a shared machine: wall time at load 20 on 2 cores says more about the neighbours than the work.

* ``ratings`` — collaborative filtering on synthetic MovieLens-like ratings (100k / 1M / 5M):
  long-tailed user activity (≥ 20 ratings each), Zipf film popularity, ratings from a latent
  factor model plus noise in half stars. Single machine: the tuned SVD (``SVD_TUNED_PARAMS``, one
  seed; it averages 5 seeds as the previous champion and as the 0.35 member of the current blend
  champion); Spark: ALS with the Spark defaults of ``core.spark``, reading the ratings from Parquet.
* ``credits`` — as-of casting features over a synthetic catalog (130k / 1M / 5M cast credits,
  ~6.5 per film: 20k / 154k / 770k films): pandas ``build_long_table`` + ``CastingFeaturizer``
  vs ``core.spark.spark_casting_features`` written to Parquet.
* ``documents`` — MiniLM embedding of real Wikipedia film documents. Sizes above
  ``--measure-up-to`` (default 10k) are not run: their compute time is the measured run's scaled
  linearly, and the record says so (``extrapolated``).

    python benchmarks/bench_spark.py                              # everything (hours on 2 busy cores)
    python benchmarks/bench_spark.py --workloads ratings --sizes 100000,1000000
    python benchmarks/bench_spark.py --workloads documents --sizes 500,1000,2000,10000,36000 --measure-up-to 2000
    python benchmarks/bench_spark.py --report                     # Markdown table, fitted curves, projections

Synthetic inputs are generated once into ``--work`` (default a folder under the system temp
directory) and reused. Results: ``benchmarks/results/spark.json`` (one record per workload, size
and engine; a new run replaces its own records).
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


def _tree_sample(root: int, cpu: dict[int, float]) -> float:
    """RSS of the process tree under ``root`` in MB; records each process's CPU seconds
    (user + system, its own threads only) in ``cpu`` (last value seen per pid)."""
    children, total, stack = _children_map(), 0, [root]
    tick = os.sysconf("SC_CLK_TCK")
    while stack:
        pid = stack.pop()
        stack.extend(children.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", encoding="utf-8") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            cpu[pid] = (int(fields[11]) + int(fields[12])) / tick   # utime + stime
        except (OSError, IndexError, ValueError):
            continue
    return total / 2**20


def run_child(args: list[str], timeout: float) -> dict:
    """Run one measurement in a child process; peak RSS of its whole process tree (driver, JVM,
    Python workers) sampled at 4 Hz, and the CPU seconds the tree used (the cost that does not
    depend on how many other jobs share the cores; processes living < 0.25 s may be missed)."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", *args], stdout=subprocess.PIPE, text=True)
    peak = [0.0]
    cpu: dict[int, float] = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], _tree_sample(proc.pid, cpu))
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
    # the child's own reading at the end of its work is exact for everything still alive; the 4 Hz
    # samples add processes that ended earlier (and lag under load, so the larger of the two counts)
    result["cpu_seconds"] = round(max(sum(cpu.values()), result.get("tree_cpu_seconds", 0.0)), 1)
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
    path = work / "documents" / "wikipedia.parquet"
    if not path.exists():
        from core.catalog import store
        from core.catalog.importers.base import save_import
        from core.catalog.importers.wikipedia import import_wikipedia
        from core.search.documents import build_documents

        data_dir = work / "data"
        if not store.exists("wiki", data_dir):  # stored as a catalog, so the schema is the store's
            save_import(import_wikipedia(shared / "wikipedia-movies"), "wiki", data_dir=data_dir)
        catalog = store.load_catalog("wiki", data_dir=data_dir, tables=("movies", "people", "credits"))
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
    tree: dict[int, float] = {}
    _tree_sample(os.getpid(), tree)  # this process, the JVM and its Python workers, read before they stop
    out["tree_cpu_seconds"] = round(sum(tree.values()), 1)
    if spark is not None:
        from core.spark import stop_session

        stop_session()
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)  # this Python process only (a check on the sampled tree)
    out["driver_cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 1)
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


# ---------------------------------------------------------------------------------- report
# Where the curves are projected to: MovieLens-32M-sized ratings, and a 1M-film catalog (its cast
# credits at this benchmark's ~6.5 per film, one search document per film).
TARGETS = {"ratings": 32_000_000, "credits": int(1_000_000 * CAST_PER_FILM), "documents": 1_000_000}
UNITS = {"ratings": "ratings", "credits": "cast credits", "documents": "documents"}
VIABLE_HOURS = 1.0        # a single-machine run is "viable" if it finishes within this …
VIABLE_MEMORY_MB = 12_000  # … and its peak stays within half of this machine's 24 GB (it is shared)
CLUSTER_HOURS = 0.25       # cluster sizing target: the job in 15 minutes …
CLUSTER_EFFICIENCY = 0.5   # … at half the per-core throughput of local mode (shuffles over a network)
VECTOR_BYTES = 384 * 4     # one MiniLM vector (float32)


def linear_fit(sizes: list[float], values: list[float]) -> tuple[float, float]:
    """value ≈ base + slope · size, least squares: a fixed part (imports, JVM, model load) plus a
    per-item part. All three workloads are linear in their items by construction (SGD/ALS sweeps
    over the ratings, window functions over the credits, one encoder pass per document)."""
    import numpy as np

    if len(sizes) < 2:
        return float(values[0]), 0.0
    slope, base = np.polyfit(np.asarray(sizes, float), np.asarray(values, float), 1)
    return float(base), float(slope)


def growth_exponent(sizes: list[float], values: list[float]) -> float:
    """b in value ∝ size^b between the two largest sizes (1.0 = linear; fixed costs pull it below)."""
    import math

    (n1, v1), (n2, v2) = sorted(zip(sizes, values))[-2:]
    return math.log(max(v2, 1e-9) / max(v1, 1e-9)) / math.log(n2 / n1)


def _cpu(r: dict) -> float:
    return max(r.get("cpu_seconds", 0.0), r.get("tree_cpu_seconds", 0.0))


def report(records: list[dict]) -> str:
    """Markdown: the measured table, then each curve's fit and its projection to TARGETS."""
    lines = ["| workload | size | engine | compute s (wall) | CPU s (process tree) | peak RSS MB | load (1 min) |",
             "|---|---:|---|---:|---:|---:|---:|"]
    ok = sorted((r for r in records if "error" not in r), key=lambda r: (r["workload"], r["engine"], r["size"]))
    for r in ok:
        wall = r.get("fit_seconds") if r["workload"] == "ratings" else r.get("compute_seconds")
        size = f"{r['size']:,} (extrapolated from {r['measured_size']:,})" if r.get("extrapolated") else f"{r['size']:,}"
        cpu = "" if r.get("extrapolated") else f"{_cpu(r):,.1f}"
        lines.append(f"| {r['workload']} | {size} | {r['engine']} | {wall:,.1f} | {cpu} | {r['peak_rss_mb']:,.0f} "
                     f"| {r['load_before'][0]:.1f} |")
    for r in records:
        if "error" in r:
            lines.append(f"| {r['workload']} | {r['size']:,} | {r['engine']} | {r['error']} | | "
                         f"{r.get('peak_rss_mb', 0):,.0f} | |")
    lines += ["", "Projection from the measured runs (CPU and peak RSS each fitted as fixed + per-item, least "
              "squares; single machine = 1 core for pandas, 2 for Spark local[2]):", ""]
    for workload, target in TARGETS.items():
        for engine in ("pandas", "spark"):
            runs = [r for r in ok if r["workload"] == workload and r["engine"] == engine and not r.get("extrapolated")]
            if len(runs) < 2:
                lines.append(f"- {workload}, {engine}: fewer than two measured sizes, no projection")
                continue
            sizes = [r["measured_size"] for r in runs]
            cpus = [_cpu(r) for r in runs]
            base, slope = linear_fit(sizes, cpus)
            mem_base, mem_slope = linear_fit(sizes, [r["peak_rss_mb"] for r in runs])
            cpu = base + slope * target
            if engine == "spark":
                # local mode: the JVM heap grows towards its cap (spark.driver.memory) and spills to
                # disk beyond it, so its RSS is a setting more than a need: not extrapolated
                rss, mem_base, mem_slope = max(r["peak_rss_mb"] for r in runs), max(r["peak_rss_mb"] for r in runs), 0.0
            elif workload == "documents":
                # the encoder's memory is fixed; what grows is the vectors kept (384 float32 per document)
                mem_base, mem_slope = max(r["peak_rss_mb"] for r in runs), VECTOR_BYTES / 2**20
                rss = mem_base + mem_slope * target
            else:
                rss = mem_base + mem_slope * target
            # Surprise and pandas run on one core; the encoder's torch threads and local[2] use both
            cores = 2 if engine == "spark" or workload == "documents" else 1
            hours = cpu / cores / 3600
            verdict = "viable" if hours <= VIABLE_HOURS and rss <= VIABLE_MEMORY_MB else "not viable"
            limit_time = (VIABLE_HOURS * 3600 * cores - base) / slope if slope > 0 else float("inf")
            limit_mem = (VIABLE_MEMORY_MB - mem_base) / mem_slope if mem_slope > 0 else float("inf")
            growth = f", growth exponent {growth_exponent(sizes, cpus):.2f}"
            line = (f"- {workload}, {engine} (measured {', '.join(f'{n:,}' for n in sizes)} {UNITS[workload]}): "
                    f"CPU ≈ {base:,.1f} s + {slope * 1e6:,.1f} s per million{growth}; RSS ≈ {mem_base:,.0f} MB + "
                    f"{mem_slope * 1e6:,.0f} MB per million{' (heap-capped, not extrapolated)' if engine == 'spark' else ''}. At {target:,}: {cpu:,.0f} CPU s = {hours:.2f} h on "
                    f"{cores} core(s), {rss:,.0f} MB: {verdict} here (time limit of {VIABLE_HOURS:g} h reached at "
                    f"~{limit_time:,.0f}, memory limit of {VIABLE_MEMORY_MB:,} MB at ~{limit_mem:,.0f})")
            if engine == "spark":
                need = cpu / (CLUSTER_HOURS * 3600 * CLUSTER_EFFICIENCY)
                line += (f"; a cluster doing it in {CLUSTER_HOURS * 60:.0f} min at {CLUSTER_EFFICIENCY:.0%} of "
                         f"local per-core throughput needs {need:,.0f} cores")
            lines.append(line)
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- driver
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="ratings,credits,documents")
    parser.add_argument("--sizes", help="comma-separated sizes (default: the three of each workload)")
    parser.add_argument("--engines", default="pandas,spark")
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "marquee-bench-spark")
    parser.add_argument("--shared-data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--measure-up-to", type=int, default=MEASURED_DOCUMENTS,
                        help="documents: larger sizes are extrapolated from the run at this size "
                             f"(default {MEASURED_DOCUMENTS:,}), linearly, and marked extrapolated")
    parser.add_argument("--timeout", type=float, default=3 * 3600)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--report", action="store_true", help="print the results (--out) as Markdown with the "
                        "fitted curves and their projections; measure nothing")
    parser.add_argument("--child", nargs=3, metavar=("WORKLOAD", "SIZE", "ENGINE"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.report:
        print(report(json.loads(args.out.read_text())))
        return

    if args.child:
        workload, size, engine = args.child
        print(json.dumps(child(workload, int(size), engine, args.work, args.master, args.shared_data.resolve())))
        return

    records = json.loads(args.out.read_text()) if args.out.exists() else []
    runs: dict[tuple, dict] = {}  # one run per measured size (extrapolated sizes reuse it)
    for workload in args.workloads.split(","):
        sizes = [int(s) for s in args.sizes.split(",")] if args.sizes else SIZES[workload]
        for size in sizes:
            measured = min(size, args.measure_up_to) if workload == "documents" else size
            common = ["--work", str(args.work), "--master", args.master, "--shared-data", str(args.shared_data)]
            if not any((workload, measured) == key[:2] for key in runs):
                prepared = run_child([workload, str(measured), "prepare", *common], args.timeout)
                if "error" in prepared:
                    raise SystemExit(f"preparing {workload} {measured}: {prepared['error']}")
            for engine in args.engines.split(","):
                key = (workload, measured, engine)
                if key not in runs:
                    load_before = os.getloadavg()
                    started = time.perf_counter()
                    run = run_child([workload, str(measured), engine, *common], args.timeout)
                    run.update(wall_seconds=round(time.perf_counter() - started, 2),
                               load_before=[round(x, 2) for x in load_before],
                               load_after=[round(x, 2) for x in os.getloadavg()],
                               machine={"cpus": os.cpu_count(), "python": platform.python_version()},
                               time=time.strftime("%Y-%m-%dT%H:%M:%S"))
                    runs[key] = run
                result = dict(runs[key])
                result.update(workload=workload, size=size, engine=engine, measured_size=measured)
                if workload == "documents" and measured < size and "compute_seconds" in result:
                    # embedding is linear in documents once the encoder is loaded: the compute part is
                    # scaled by size/measured; cpu_seconds, start-up and peak memory stay as measured
                    scale = size / measured
                    result["extrapolated"] = f"compute scaled ×{scale:g} from the {measured:,}-document run"
                    result["measured_compute_seconds"] = result["compute_seconds"]
                    result["compute_seconds"] = round(result["compute_seconds"] * scale, 2)
                print(json.dumps(result), flush=True)
                records = [r for r in records if (r["workload"], r["size"], r["engine"]) != (workload, size, engine)]
                records.append(result)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(records, indent=2))


if __name__ == "__main__":
    main()
