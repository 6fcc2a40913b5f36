"""As-of casting features on Spark: window functions over the credits table, same feature contract.

The split of work follows the sizes: everything per *film* (≤ ~1M rows: the resonance target,
percentiles, budget deciles, genre and language codes, the cyclical year) is computed on the
driver by the casting featurizer's own methods; everything per *credit* (millions of film × actor
rows and their careers) is computed by Spark:

* actor careers: events ordered by (year, release date, film id) per actor; running sums over
  ``ROWS UNBOUNDED PRECEDING`` give counts, top-3 billings, genre and language counts; the last
  three non-missing percentiles / budget deciles come from a ``ROWS 2 PRECEDING`` frame over
  the non-missing events only;
* "strictly before year Y": the running values are reduced to one row per (actor, year) and
  shifted by one year-row (``LAG`` / ``LAST(… IGNORE NULLS)`` over ``ROWS UNBOUNDED PRECEDING AND
  1 PRECEDING``), so films of the same year never see each other;
* pace: a ``RANGE BETWEEN 3 PRECEDING AND 1 PRECEDING`` frame over years;
* directors: the same machinery over films with a director.

Arithmetic follows the pandas path operation by operation (including NumPy's pairwise order for
the genre-affinity sum, and pandas' own Kahan-compensated grouped cumsum for the trailing
percentile sums, run per hashed group of entities with ``applyInPandas``), so the features are
bit-identical. That matters: with plain Spark window sums ``atr3``/``dtr3`` differed by ≤ 1e-15,
and the casting model trained on them had a holdout AUROC 0.008 away from the pandas model's on
IMDB 5000 (histogram-boosting bin edges moved).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.casting.features import (BASE_FEATURES, BILL_CAP, CYCLE_PERIOD, GAP_CAP, PACE_YEARS, SHRINK,
                                   TRAILING_K, CastingFeaturizer, genre_slug)
from core.casting.longtable import LongTable, build_films
from core.catalog.store import Catalog
from core.errors import MarqueeError

KEYS = ["movie_id", "person_id", "year"]
# What this module computes; a featurizer whose contract has other columns is refused (the
# parity test names them), so a change to the pandas features cannot silently diverge here.
SPARK_FEATURES = set(BASE_FEATURES)


@dataclass
class SparkCastingFeatures:
    """The fitted featurizer (film-level transforms) and the Spark feature rows."""

    featurizer: CastingFeaturizer
    films: pd.DataFrame          # annotated films (driver side)
    rows: Any                    # Spark DataFrame: KEYS + label + contract columns
    feature_names: list[str]


# ---------------------------------------------------------------------------------- driver side
def films_from_spark(tables: dict[str, Any], name: str = "spark") -> tuple[pd.DataFrame, int]:
    """``build_films`` on a catalog assembled from Spark tables: all movies, and only the first
    director credit per film (in credits-file order, as ``drop_duplicates`` keeps it)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    movies = tables["movies"].select("movie_id", "title", "year", "release_date", "budget", "genres",
                                     "original_language", "vote_average", "popularity", "revenue").toPandas()
    credits = tables["credits"].withColumn("_pos", F.monotonically_increasing_id())
    crew = credits.where((F.col("role") == "crew") & (F.col("job") == "Director"))
    first = crew.withColumn("_n", F.row_number().over(Window.partitionBy("movie_id").orderBy("_pos"))).where("_n = 1")
    directors = first.orderBy("_pos").select("movie_id", "person_id", "role", "job").toPandas()
    people = (tables["people"].join(first.select("person_id").distinct(), "person_id").select("person_id", "name")
              .toPandas())
    movies["year"] = movies["year"].astype("Int32")
    catalog = Catalog(name=name, path=None, movies=movies, people=people, credits=directors,
                      ratings=pd.DataFrame(columns=["user_id", "movie_id", "rating", "timestamp"]))
    return build_films(catalog)


def fit_featurizer(films: pd.DataFrame, **params) -> CastingFeaturizer:
    """The casting featurizer fitted on films (its fit reads the film table only)."""
    return CastingFeaturizer(**params).fit(LongTable(films=films, rows=pd.DataFrame({"movie_id": []})))


def film_inputs(featurizer: CastingFeaturizer, films: pd.DataFrame) -> pd.DataFrame:
    """Per-film columns Spark joins to the credits, computed with the featurizer's own methods."""
    annotated = featurizer.annotate(LongTable(films=films, rows=pd.DataFrame({"movie_id": pd.Series([], dtype="int64")})))
    f = annotated.films
    genres = featurizer.genre_matrix(f["genres"])
    angle = 2.0 * np.pi * f["year"].to_numpy(dtype=float) / CYCLE_PERIOD  # as CastingFeaturizer.assemble
    out = pd.DataFrame({
        "movie_id": f["movie_id"].to_numpy(np.int64), "year": f["year"].to_numpy(np.int64),
        "release_date": f["release_date"], "pct": f["pct"].to_numpy(float), "label": f["label"].to_numpy(float),
        "film_decile": featurizer.budget_decile(f["budget"].to_numpy(dtype=float)),
        "director_id": f["director_id"].astype("Int64"),
        "genre_vec": list(genres), "n_genres": genres.sum(axis=1),
        "lang_vec": list(featurizer.language_onehot(f["language"])),
        "lang_idx": featurizer.language_index(f["language"]),
        "year_sin": np.sin(angle), "year_cos": np.cos(angle),
    })
    return out


# ---------------------------------------------------------------------------------- Spark side
def pairwise_sum(columns: list):
    """Σ columns in NumPy's pairwise order (``np.sum(axis=1)`` on a row), so sums match bit for bit."""
    from pyspark.sql import functions as F

    n = len(columns)
    if n < 8:
        total = F.lit(0.0)
        for column in columns:
            total = total + column
        return total
    if n <= 128:
        lanes = list(columns[:8])
        i = 8
        while i < n - (n % 8):
            lanes = [lanes[j] + columns[i + j] for j in range(8)]
            i += 8
        total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3])) + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
        for column in columns[i:]:
            total = total + column
        return total
    half = n // 2
    half -= half % 8
    return pairwise_sum(columns[:half]) + pairwise_sum(columns[half:])


def cast_rows(credits, films_sdf):
    """One row per (film, actor): the long table's cast rows, billing filled by cast-list position."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    cast = credits.withColumn("_pos", F.monotonically_increasing_id()).where(F.col("role") == "cast")
    in_film = Window.partitionBy("movie_id").orderBy(F.col("bill_order").asc_nulls_last(), "_pos")
    cast = cast.withColumn("_position", F.row_number().over(in_film) - 1)
    cast = cast.withColumn("bill_order", F.coalesce(F.col("bill_order").cast("long"), F.col("_position")))
    first = Window.partitionBy("movie_id", "person_id").orderBy("_position")
    cast = cast.withColumn("_dup", F.row_number().over(first)).where("_dup = 1")
    return cast.select("movie_id", "person_id", "bill_order").join(films_sdf, "movie_id")


def _event_order(frame_key: str):
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    return Window.partitionBy(frame_key).orderBy("year", F.col("release_date").asc_nulls_last(), "movie_id")


def trailing_last_k(events, key: str, value: str, prefix: str, k: int = TRAILING_K):
    """Per (key, year): sum and count of the last ``k`` non-missing ``value``s up to the end of that
    year, and how many non-missing values there were (columns ``{prefix}_sum``, ``_n``, ``_valid``)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = _event_order(key)
    valid = events.where(F.col(value).isNotNull() & ~F.isnan(value))
    valid = (valid.withColumn("_j", F.row_number().over(order))
             .select(key, "year", "_j", F.col(value).cast("double").alias("_v")))
    # The sum of the last k values as the pandas path forms it: the difference of two running sums
    # (cum[j] − cum[j−k]), where the running sums are pandas' own compensated grouped cumsum, so
    # the trailing means are bit-identical (a plain Spark window sum differs in the last digit,
    # enough to move a histogram-boosting bin edge and change the trained casting model).
    valid = _compensated_cumsum(valid, key)
    by_j = Window.partitionBy(key).orderBy("_j")
    valid = (valid.withColumn("_s", F.when(F.col("_j") > k, F.col("_cum") - F.lag("_cum", k).over(by_j))
                                     .otherwise(F.col("_cum")))
             .withColumn("_c", F.least(F.col("_j"), F.lit(k))))
    return valid.groupBy(key, "year").agg(F.max_by("_s", "_j").alias(f"{prefix}_sum"),
                                          F.max_by("_c", "_j").alias(f"{prefix}_n"),
                                          F.max("_j").alias(f"{prefix}_valid"))


def _compensated_cumsum(valid, key: str):
    """Adds ``_cum``: the running sum of ``_v`` per ``key`` in ``_j`` order, computed by pandas'
    grouped cumsum (Kahan-compensated, restarting per entity: ``core.casting.history``). Entities
    are hashed into as many groups as the session has shuffle partitions; each group is one
    vectorised pandas call, never one call per actor."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import DoubleType, StructField, StructType

    buckets = max(1, int(valid.sparkSession.conf.get("spark.sql.shuffle.partitions", "8")))
    schema = StructType([*valid.schema.fields, StructField("_cum", DoubleType(), False)])
    columns = [field.name for field in valid.schema.fields]

    def running(frame: pd.DataFrame) -> pd.DataFrame:
        frame = frame.sort_values([key, "_j"], kind="stable")
        sums = pd.DataFrame(frame[["_v"]].to_numpy(dtype=float)).groupby(frame[key].to_numpy(), sort=False).cumsum()
        return frame[columns].assign(_cum=sums[0].to_numpy())

    grouped = valid.withColumn("_bucket", F.pmod(F.hash(key), F.lit(buckets))).groupBy("_bucket")
    return grouped.applyInPandas(lambda frame: running(frame.drop(columns="_bucket")), schema)


def before_year(per_year, key: str, carried: list[str], last_non_null: list[str]):
    """Shift year-level state so each (key, year) sees only earlier years.

    ``carried`` columns are running totals present every year (value at the previous year-row);
    ``last_non_null`` ones may be missing in a year (the latest earlier non-null value).
    """
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_year = Window.partitionBy(key).orderBy("year")
    earlier = by_year.rowsBetween(Window.unboundedPreceding, -1)
    out = per_year
    for column in carried:
        out = out.withColumn(f"{column}_before", F.lag(column, 1).over(by_year))
    for column in last_non_null:
        out = out.withColumn(f"{column}_before", F.last(column, ignorenulls=True).over(earlier))
    return out


def actor_state(rows, n_genres: int, n_langs: int):
    """Per (person_id, year): the actor's career strictly before that year."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    order = _event_order("person_id")
    running = order.rowsBetween(Window.unboundedPreceding, 0)
    events = rows.select("person_id", "movie_id", "year", "release_date", "pct", "film_decile",
                         (F.col("bill_order") < 3).cast("double").alias("top3"),
                         *[F.col("genre_vec")[g].alias(f"g{g}") for g in range(n_genres)],
                         *[F.col("lang_vec")[l].alias(f"l{l}") for l in range(n_langs)])
    sums = ["top3"] + [f"g{g}" for g in range(n_genres)] + [f"l{l}" for l in range(n_langs)]
    events = events.withColumn("_ord", F.row_number().over(order))
    events = events.select("person_id", "year", "_ord", F.count(F.lit(1)).over(running).alias("roles"),
                           *[F.sum(c).over(running).alias(c) for c in sums])
    per_year = events.groupBy("person_id", "year").agg(
        F.count(F.lit(1)).alias("n_year"), F.max("roles").alias("roles"),
        *[F.max_by(c, "_ord").alias(c) for c in sums])
    pct = trailing_last_k(rows, "person_id", "pct", "pct")
    decile = trailing_last_k(rows, "person_id", "film_decile", "dec")
    per_year = per_year.join(pct, ["person_id", "year"], "left").join(decile, ["person_id", "year"], "left")
    by_year = Window.partitionBy("person_id").orderBy("year")
    per_year = per_year.withColumn("pace", F.sum("n_year").over(by_year.rangeBetween(-PACE_YEARS, -1)))
    per_year = per_year.withColumn("last_year", F.lag("year", 1).over(by_year))
    return before_year(per_year, "person_id", ["roles"] + sums,
                       ["pct_sum", "pct_n", "pct_valid", "dec_sum", "dec_n", "dec_valid"])


def director_state(films_sdf):
    """Per (director_id, year): count and trailing percentile of the director's earlier films."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    directed = films_sdf.where(F.col("director_id").isNotNull())
    order = _event_order("director_id")
    counted = (directed.withColumn("_ord", F.row_number().over(order))
               .groupBy("director_id", "year").agg(F.max("_ord").alias("films")))
    pct = trailing_last_k(directed, "director_id", "pct", "dpct")
    per_year = counted.join(pct, ["director_id", "year"], "left")
    return before_year(per_year, "director_id", ["films"], ["dpct_sum", "dpct_n"])


def _mean_last(sum_col, n_col):
    """``last_k_mean``: total / max(n, 1) where n > 0, else missing."""
    from pyspark.sql import functions as F

    return F.when(n_col > 0, sum_col / F.greatest(n_col, F.lit(1.0)))


def _shrunk(sum_col, n_col):
    """``(nan_to_num(mean)·n + 0.5·SHRINK) / (n + SHRINK)`` as the pandas path computes it."""
    from pyspark.sql import functions as F

    mean = F.coalesce(_mean_last(sum_col, n_col), F.lit(0.0))
    return (mean * n_col + F.lit(0.5 * SHRINK)) / (n_col + F.lit(SHRINK))


def spark_casting_features(spark, tables: dict[str, Any], featurizer_params: dict[str, Any] | None = None,
                           name: str = "spark") -> SparkCastingFeatures:
    """Fit the film-level transforms on the driver, then build every cast row's as-of features in
    Spark. ``tables`` are Spark DataFrames (``core.spark.catalog.read_catalog``)."""
    from pyspark.sql import functions as F

    films, _ = films_from_spark(tables, name)
    if films.empty:
        raise MarqueeError(f"catalog {name!r} has no dated films: casting features need years")
    featurizer = fit_featurizer(films, **(featurizer_params or {}))
    contract = list(featurizer.feature_names_)
    unknown = [c for c in contract if c not in SPARK_FEATURES and not c.startswith("genre_")]
    if unknown:
        raise MarqueeError(f"the casting feature contract has columns the Spark path does not compute: "
                           f"{', '.join(unknown)}")
    n_genres, n_langs = len(featurizer.genres_), len(featurizer.languages_) + 1
    inputs = film_inputs(featurizer, films)
    films_sdf = spark.createDataFrame(inputs, schema=_film_schema(n_genres, n_langs))
    rows = cast_rows(tables["credits"], films_sdf)
    actor = actor_state(rows, n_genres, n_langs)
    director = director_state(films_sdf).select("director_id", "year", "films_before", "dpct_sum_before",
                                                "dpct_n_before")
    a = {c: F.coalesce(F.col(f"{c}_before"), F.lit(0.0)) for c in
         ["roles", "top3", "pct_sum", "pct_n", "pct_valid", "dec_sum", "dec_n"] +
         [f"g{g}" for g in range(n_genres)] + [f"l{l}" for l in range(n_langs)]}
    joined = (rows.join(actor, ["person_id", "year"], "left")
              .join(director, ["director_id", "year"], "left"))
    denominator = F.greatest(a["roles"], F.lit(1.0))
    genre_terms = [(a[f"g{g}"] / denominator) * F.col("genre_vec")[g] for g in range(n_genres)]
    lang_counts = [a[f"l{l}"] for l in range(n_langs)]
    lang_total = pairwise_sum(lang_counts)
    lang_count_at = F.element_at(F.array(*lang_counts), F.greatest(F.col("lang_idx"), F.lit(0)).cast("int") + 1)
    actor_decile = _mean_last(a["dec_sum"], a["dec_n"])
    dn = F.coalesce(F.col("dpct_n_before"), F.lit(0.0))
    columns = {
        "bill_order": F.least(F.col("bill_order"), F.lit(BILL_CAP)).cast("double"),
        "actor_roles_prior": a["roles"],
        "atr3": _shrunk(a["pct_sum"], a["pct_n"]),
        "actor_scored_prior": a["pct_valid"],
        "actor_top3_share": a["top3"] / denominator,
        "pace3": F.coalesce(F.col("pace"), F.lit(0)).cast("double"),
        "years_since_last": F.when(F.col("last_year").isNull(), F.lit(float(GAP_CAP)))
                             .otherwise(F.least(F.col("year") - F.col("last_year"), F.lit(GAP_CAP))).cast("double"),
        "genre_affinity": pairwise_sum(genre_terms) / F.greatest(F.col("n_genres"), F.lit(1.0)),
        "language_affinity": F.when((F.col("lang_idx") >= 0) & (lang_total > 0), lang_count_at / lang_total),
        "budget_decile": F.col("film_decile"),
        "actor_budget_decile": actor_decile,
        "bfd": F.abs(F.col("film_decile") - actor_decile),
        "dtr3": _shrunk(F.coalesce(F.col("dpct_sum_before"), F.lit(0.0)), dn),
        "director_films_prior": F.coalesce(F.col("films_before"), F.lit(0)).cast("double"),
        "year_sin": F.col("year_sin"), "year_cos": F.col("year_cos"),
    }
    for g, genre in enumerate(featurizer.genres_):
        columns[genre_slug(genre)] = F.col("genre_vec")[g]
    out = joined.select(*KEYS, "label", *[columns[c].alias(c) for c in contract])
    return SparkCastingFeatures(featurizer=featurizer, films=films, rows=out, feature_names=contract)


def _film_schema(n_genres: int, n_langs: int):
    from pyspark.sql.types import (ArrayType, DateType, DoubleType, LongType, StructField, StructType)

    del n_genres, n_langs  # array lengths are not part of a Spark schema
    return StructType([
        StructField("movie_id", LongType(), False), StructField("year", LongType(), False),
        StructField("release_date", DateType(), True), StructField("pct", DoubleType(), True),
        StructField("label", DoubleType(), True), StructField("film_decile", DoubleType(), True),
        StructField("director_id", LongType(), True), StructField("genre_vec", ArrayType(DoubleType()), False),
        StructField("n_genres", DoubleType(), False), StructField("lang_vec", ArrayType(DoubleType()), False),
        StructField("lang_idx", LongType(), False), StructField("year_sin", DoubleType(), False),
        StructField("year_cos", DoubleType(), False),
    ])


# ---------------------------------------------------------------------------------- casting train --engine spark
def aligned_features(result: SparkCastingFeatures, featurizer: CastingFeaturizer, data) -> pd.DataFrame:
    """The Spark feature rows in the order (and with the index) of ``data.rows``, as
    ``featurizer.transform`` returns them; refuses any difference in contract or rows."""
    contract = list(featurizer.feature_names_)
    if result.feature_names != contract:
        raise MarqueeError("the Spark casting features have another contract than the pandas featurizer: "
                           f"{sorted(set(result.feature_names) ^ set(contract))}")
    if list(result.featurizer.genres_) != list(featurizer.genres_) or \
            list(result.featurizer.languages_) != list(featurizer.languages_):
        raise MarqueeError("the Spark casting featurizer chose other genres or languages than the pandas one")
    keys = ["movie_id", "person_id"]
    spark_rows = result.rows.select(*keys, *contract).toPandas()
    wanted = data.rows[keys].reset_index(drop=True)
    merged = wanted.merge(spark_rows, on=keys, how="left", indicator=True, validate="one_to_one")
    missing = int((merged["_merge"] != "both").sum())
    if missing or len(spark_rows) != len(wanted):
        raise MarqueeError(f"the Spark casting features cover other rows than the long table: {missing} of "
                           f"{len(wanted)} rows missing, {len(spark_rows)} rows computed")
    X = merged[contract].astype(float)
    X.index = data.rows.index
    return X


def train_casting_spark(catalog: Catalog, spark=None, config=None, progress=None, store=None):
    """``python -m core casting train --engine spark``: the as-of features (the per-credit window
    work) computed by Spark from the catalog's files; the long table, heads, holdout, artifact
    version and champion decision exactly as ``core.casting.train_and_save``."""
    from core.casting import CastingConfig, CastingModel, bind, save_model
    from core.spark.catalog import locate_catalog, read_catalog

    if spark is None:
        from core.spark.session import get_session

        spark = get_session()
    import dataclasses

    # Spark computes the seed feature contract only (the brief set's film, director and people
    # additions are pandas-only for now), so the Spark-trained model uses that contract
    config = dataclasses.replace(config or CastingConfig(), feature_set="seed")
    tables = read_catalog(spark, locate_catalog(str(catalog.path)), tables=("movies", "people", "credits"))
    params = {"target": config.target, "quantile": config.quantile, "cutoff": config.cutoff,
              "n_genres": config.n_genres, "n_languages": config.n_languages}
    timings: dict[str, float] = {}

    def features(featurizer: CastingFeaturizer, data) -> pd.DataFrame:
        import time

        started = time.perf_counter()
        result = spark_casting_features(spark, tables, featurizer_params=params, name=catalog.name)
        X = aligned_features(result, featurizer, data)
        timings["spark_features_seconds"] = round(time.perf_counter() - started, 3)
        return X

    model = CastingModel.from_config(config).fit(catalog, progress=progress, features=features)
    trained = bind(model, catalog, config)
    version = save_model(model, store)
    trained.extra.update(version=version.name, manifest=version.manifest, engine="spark", **timings)
    return trained
