"""Scale-out on Apache Spark (the optional ``spark`` extra): sessions on ``MARQUEE_SPARK_MASTER``
(local, a cluster, or Spark Connect), reading catalogs from their folders or an object store,
ALS collaborative filtering saved as the single-machine ``CFRecommender``, batch embedding into
the shared embedding cache, and as-of casting features with window functions.

The single-machine pandas path stays the default; the commands take ``--engine spark``. Nothing
outside this package imports pyspark, and this package imports it only inside functions, so
``import core.spark`` works without it (its entry points then raise :class:`SparkUnavailable`).
"""
from core.spark.als import ALSParams, SparkALS
from core.spark.casting import SparkCastingFeatures, spark_casting_features, train_casting_spark
from core.spark.catalog import CatalogLocation, locate_catalog, read_catalog
from core.spark.cf import (SPARK_MODEL, als_params, evaluate_cf, evaluate_spark, temporal_split, train_cf,
                           train_champion_spark)
from core.spark.embed import embed_missing, embed_texts
from core.spark.search import build_index_spark
from core.spark.session import SparkUnavailable, get_session, spark_missing_reason, stop_session

__all__ = ["ALSParams", "CatalogLocation", "SPARK_MODEL", "SparkALS", "SparkCastingFeatures", "SparkUnavailable",
           "als_params", "build_index_spark", "embed_missing", "embed_texts", "evaluate_cf", "evaluate_spark",
           "get_session", "locate_catalog", "read_catalog", "spark_casting_features", "spark_missing_reason",
           "stop_session", "temporal_split", "train_casting_spark", "train_cf", "train_champion_spark"]
