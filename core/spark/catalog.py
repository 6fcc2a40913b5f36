"""Read a catalog's tables with Spark, straight from its folder or an object store.

The layout is the one ``core.catalog.store`` writes: ``movies_by_year/year=YYYY/part-*.parquet``
(hive-partitioned, so a year range reads only those folders) and ``people.parquet``,
``credits.parquet``, ``ratings.parquet``. The root is a catalog name (resolved in the data
folder), a local folder, or a URI (``file://``, ``s3a://``, ``gs://``, ``abfss://``, ``hdfs://``)
whose files have the same layout; object stores need their Hadoop connector on the cluster's
classpath (``spark.jars.packages``), which Marquee does not ship.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import config
from core.catalog.schema import SCHEMAS
from core.catalog.store import TABLES, validate_name
from core.errors import CatalogNotFound, MarqueeError

URI_SCHEMES = ("file", "s3a", "s3", "gs", "abfs", "abfss", "hdfs", "wasbs")
_URI = re.compile(r"^(?P<scheme>[a-z][a-z0-9+.-]*)://(?P<rest>[^\s\x00-\x1f\x7f]+)$")
PARTITIONED_MOVIES = "movies_by_year"


@dataclass(frozen=True)
class CatalogLocation:
    """Where a catalog's files are: ``root`` is a local path string or a URI; ``name`` labels it."""

    root: str
    name: str
    local: bool

    def table(self, name: str) -> str:
        return f"{self.root.rstrip('/')}/{name}"


def locate_catalog(name_or_uri: str) -> CatalogLocation:
    """A catalog name in the data folder, an existing local catalog folder, or a URI.

    Names are validated like everywhere else; URIs must use a known scheme and hold no control
    characters or ``..`` segments; a local folder must look like a catalog (``manifest.json``).
    """
    value = str(name_or_uri).strip()
    if not value or not value.isprintable():
        raise MarqueeError("catalog: give a catalog name, a folder or a URI (got an empty or unprintable value)")
    match = _URI.match(value)
    if match:
        scheme = match.group("scheme")
        if scheme not in URI_SCHEMES:
            raise MarqueeError(f"catalog URI scheme {scheme!r} is not supported: use one of {', '.join(URI_SCHEMES)}")
        if any(part == ".." for part in match.group("rest").split("/")):
            raise MarqueeError(f"catalog URI {value!r} must not contain '..' segments")
        if scheme == "file":
            return _local(Path(match.group("rest")), value)
        return CatalogLocation(root=value.rstrip("/"), name=value.rstrip("/").rsplit("/", 1)[-1], local=False)
    if "/" in value or value.startswith("."):
        return _local(Path(value), value)
    validate_name(value)
    return _local(config.data_dir() / value, value)


def _local(path: Path, shown: str) -> CatalogLocation:
    path = path.expanduser().resolve()
    if not (path / "manifest.json").is_file():
        raise CatalogNotFound(f"no catalog at {shown!r} (no manifest.json in {path})")
    return CatalogLocation(root=str(path), name=path.name, local=True)


def spark_schema(table: str, drop: tuple[str, ...] = ()):
    """The canonical Arrow schema of ``table`` as a Spark ``StructType`` (nullable as declared)."""
    from pyspark.sql.pandas.types import from_arrow_schema
    import pyarrow as pa

    schema = SCHEMAS[table]
    kept = pa.schema([f for f in schema if f.name not in drop])
    return from_arrow_schema(kept)


def read_movies(spark, location: CatalogLocation, years: tuple[int, int] | None = None):
    """Movies from the year partitions; ``years`` (inclusive range) prunes folders.

    Without ``years`` the undated films (kept only in ``movies.parquet``) are added, so the
    result is the whole table; with a range they cannot match it anyway.
    """
    from pyspark.sql import functions as F

    schema = spark_schema("movies", drop=("year",))
    partitioned = (spark.read.schema(schema.add("year", "integer"))
                   .option("basePath", location.table(PARTITIONED_MOVIES))
                   .parquet(location.table(PARTITIONED_MOVIES)))
    if years is not None:
        first, last = (int(y) for y in years)
        if first > last:
            raise MarqueeError(f"years: the range {first}-{last} is empty")
        return partitioned.where(F.col("year").between(first, last))
    undated = (spark.read.schema(spark_schema("movies")).parquet(location.table("movies.parquet"))
               .where(F.col("year").isNull()))
    return partitioned.unionByName(undated.select(*partitioned.columns))


def read_table(spark, location: CatalogLocation, table: str):
    if table not in TABLES:
        raise MarqueeError(f"unknown catalog table {table!r}: choose from {', '.join(TABLES)}")
    return spark.read.schema(spark_schema(table)).parquet(location.table(f"{table}.parquet"))


def read_catalog(spark, name_or_uri: str | CatalogLocation, tables: tuple[str, ...] = TABLES,
                 years: tuple[int, int] | None = None) -> dict[str, Any]:
    """Spark DataFrames of the requested tables (movies read from the year partitions)."""
    location = name_or_uri if isinstance(name_or_uri, CatalogLocation) else locate_catalog(name_or_uri)
    frames = {}
    for table in tables:
        frames[table] = read_movies(spark, location, years) if table == "movies" else read_table(spark, location, table)
    return frames
