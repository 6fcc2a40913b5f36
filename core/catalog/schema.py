"""The canonical catalog schema. Every importer writes these four tables and every feature
reads them; ``conform`` is the single gate that turns a DataFrame into a typed Arrow table or
says exactly which table, column and row is wrong."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from core.errors import SchemaError

SCHEMA_VERSION = 1

MOVIES = pa.schema([
    pa.field("movie_id", pa.int64(), nullable=False),
    pa.field("title", pa.string(), nullable=False),
    pa.field("original_title", pa.string()),
    pa.field("overview", pa.string()),
    pa.field("release_date", pa.date32()),
    pa.field("year", pa.int32()),
    pa.field("runtime", pa.float32()),            # minutes
    pa.field("original_language", pa.string()),   # ISO 639-1 code, e.g. "en"
    pa.field("spoken_languages", pa.list_(pa.string())),
    pa.field("genres", pa.list_(pa.string())),
    pa.field("keywords", pa.list_(pa.string())),
    pa.field("popularity", pa.float64()),
    pa.field("vote_average", pa.float64()),       # 0-10 scale
    pa.field("vote_count", pa.int64()),
    pa.field("budget", pa.float64()),             # USD; null when unknown
    pa.field("revenue", pa.float64()),            # USD; null when unknown
    pa.field("poster_url", pa.string()),
    pa.field("backdrop_url", pa.string()),
    pa.field("adult", pa.bool_()),
    pa.field("imdb_id", pa.string()),             # "tt0114709"
    pa.field("tmdb_id", pa.int64()),
    pa.field("movielens_id", pa.int64()),
    pa.field("wikipedia_href", pa.string()),
    # Known before release (brief-time facts a casting brief can state):
    pa.field("country", pa.string()),             # main production country as the source names it ("USA", "UK")
    pa.field("content_rating", pa.string()),      # certification given before release ("PG-13", "R", "Not Rated")
    pa.field("color", pa.bool_()),                # True colour, False black and white
    pa.field("aspect_ratio", pa.float32()),       # width / height of the frame, e.g. 1.85, 2.35
])

PEOPLE = pa.schema([
    pa.field("person_id", pa.int64(), nullable=False),
    pa.field("name", pa.string(), nullable=False),
    pa.field("gender", pa.int8()),                # TMDb codes: 0 unknown, 1 female, 2 male, 3 non-binary
    pa.field("popularity", pa.float64()),
    pa.field("known_for_department", pa.string()),
])

CREDITS = pa.schema([
    pa.field("movie_id", pa.int64(), nullable=False),
    pa.field("person_id", pa.int64(), nullable=False),
    pa.field("role", pa.string(), nullable=False),  # "cast" or "crew"
    pa.field("job", pa.string()),                   # "Actor", "Director", "Writer", ...
    pa.field("character", pa.string()),
    pa.field("bill_order", pa.int32()),             # 0 = top billed; null for crew
])

RATINGS = pa.schema([
    pa.field("user_id", pa.int64(), nullable=False),
    pa.field("movie_id", pa.int64(), nullable=False),
    pa.field("rating", pa.float32(), nullable=False),
    pa.field("timestamp", pa.timestamp("s", tz="UTC")),
])

SCHEMAS: dict[str, pa.Schema] = {"movies": MOVIES, "people": PEOPLE, "credits": CREDITS, "ratings": RATINGS}
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "movies": ("movie_id",),
    "people": ("person_id",),
    "credits": ("movie_id", "person_id", "role", "job"),
    "ratings": ("user_id", "movie_id"),
}
LIST_COLUMNS = {name: [f.name for f in schema if pa.types.is_list(f.type)] for name, schema in SCHEMAS.items()}

# Plausibility bounds: values outside them are data errors, not films.
YEAR_RANGE = (1870, 2100)
RATING_RANGE = (0.0, 10.0)


@dataclass(frozen=True)
class ColumnProblem:
    table: str
    column: str
    row: int
    value: object
    reason: str

    def __str__(self) -> str:
        return f"{self.table}.{self.column} row {self.row}: {self.reason} (value {self.value!r})"


def empty_frame(table: str) -> pd.DataFrame:
    """A zero-row DataFrame with the table's columns, for sources that lack a table."""
    return SCHEMAS[table].empty_table().to_pandas()


def conform(df: pd.DataFrame, table: str, source: str = "") -> pa.Table:
    """Cast ``df`` to the canonical schema of ``table``.

    Missing optional columns are added as nulls; missing required columns, values that cannot be
    cast, nulls in required columns, duplicate keys and implausible values raise ``SchemaError``
    naming the table, column and first offending rows. Extra columns are refused so a typo in
    an importer cannot silently drop data.
    """
    schema = SCHEMAS[table]
    where = f"{source}: " if source else ""
    extra = [c for c in df.columns if c not in schema.names]
    if extra:
        raise SchemaError(f"{where}{table} has columns not in the schema: {', '.join(map(str, extra))}")
    df = df.reset_index(drop=True)
    arrays = []
    for field in schema:
        if field.name not in df.columns:
            if not field.nullable:
                raise SchemaError(f"{where}{table} is missing required column '{field.name}'")
            arrays.append(pa.nulls(len(df), type=field.type))
            continue
        arrays.append(_cast_column(df[field.name], field, table, where))
    result = pa.Table.from_arrays(arrays, schema=schema)
    _check_values(result, table, where)
    return result


def _cast_column(series: pd.Series, field: pa.Field, table: str, where: str) -> pa.Array:
    values = series
    if pa.types.is_list(field.type):
        values = series.map(_as_list)
    elif pa.types.is_timestamp(field.type) and not pd.api.types.is_datetime64_any_dtype(series):
        values = pd.to_datetime(series, unit="s", utc=True, errors="coerce")
        _report_coercion_failures(series, values, field, table, where)
    elif pa.types.is_date32(field.type) and not pd.api.types.is_datetime64_any_dtype(series):
        values = pd.to_datetime(series, errors="coerce")
        _report_coercion_failures(series, values, field, table, where)
    elif (pa.types.is_integer(field.type) or pa.types.is_floating(field.type)) and not (
            pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)):
        values = pd.to_numeric(series, errors="coerce")
        _report_coercion_failures(series, values, field, table, where)
    if pa.types.is_date32(field.type):
        values = pd.Series(values).dt.date
    try:
        array = pa.array(values, type=field.type, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError) as exc:
        row = _first_bad_row(values, field.type)
        raise SchemaError(f"{where}{table}.{field.name} row {row}: cannot store as {field.type} ({exc})") from None
    if not field.nullable and array.null_count:
        row = int(np.flatnonzero(pd.isna(pd.Series(values)).to_numpy())[0])
        raise SchemaError(f"{where}{table}.{field.name} row {row}: required value is missing")
    return array


def _report_coercion_failures(raw: pd.Series, coerced, field: pa.Field, table: str, where: str) -> None:
    coerced = pd.Series(coerced, index=raw.index)
    bad = raw.notna() & coerced.isna() & (raw.astype(str).str.strip() != "")
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise SchemaError(f"{where}{table}.{field.name} row {row}: not a valid {field.type} (value {raw.iloc[row]!r})")


def _first_bad_row(values, arrow_type: pa.DataType) -> int:
    for i, value in enumerate(values):
        try:
            pa.array([value], type=arrow_type, from_pandas=True)
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError):
            return i
    return -1


def _as_list(value) -> list | None:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return []
    if isinstance(value, (list, tuple, np.ndarray)):
        return [str(v) for v in value if v is not None and str(v) != ""]
    raise SchemaError(f"expected a list, got {type(value).__name__}: {value!r}")


def _check_values(table_data: pa.Table, table: str, where: str) -> None:
    df = table_data.select(list(PRIMARY_KEYS[table])).to_pandas()
    dupes = df.duplicated(keep="first")
    if dupes.any():
        row = int(np.flatnonzero(dupes.to_numpy())[0])
        key = ", ".join(f"{k}={_plain(df.iloc[row][k])!r}" for k in PRIMARY_KEYS[table])
        raise SchemaError(f"{where}{table} row {row}: duplicate key ({key}); {int(dupes.sum())} duplicate rows in all")
    for field in table_data.schema:
        if pa.types.is_floating(field.type):
            values = table_data.column(field.name).to_numpy(zero_copy_only=False)
            infinite = np.isinf(values.astype("float64"))
            if infinite.any():
                row = int(np.flatnonzero(infinite)[0])
                raise SchemaError(f"{where}{table}.{field.name} row {row}: value {_plain(values[row])!r} is not finite")
    checks = []
    if table == "movies":
        checks = [("year", *YEAR_RANGE), ("budget", 0, None), ("revenue", 0, None), ("runtime", 0, 2000),
                  ("aspect_ratio", 0.5, 5.0),
                  ("vote_average", *RATING_RANGE), ("vote_count", 0, None), ("popularity", 0, None)]
    elif table == "ratings":
        checks = [("rating", *RATING_RANGE)]
    elif table == "credits":
        checks = [("bill_order", 0, None)]
        roles = table_data.column("role").to_pandas()
        bad = ~roles.isin(["cast", "crew"])
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise SchemaError(f"{where}credits.role row {row}: must be 'cast' or 'crew' (value {roles.iloc[row]!r})")
    for column, low, high in checks:
        values = table_data.column(column).to_pandas()
        bad = values.notna() & (((values < low) if low is not None else False) | ((values > high) if high is not None else False))
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise SchemaError(f"{where}{table}.{column} row {row}: value {_plain(values.iloc[row])!r} outside "
                              f"[{low if low is not None else '-inf'}, {high if high is not None else 'inf'}]")


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def to_frame(table_data: pa.Table, table: str) -> pd.DataFrame:
    """Arrow table to pandas with list columns as plain Python lists (what feature code expects)."""
    df = table_data.to_pandas()
    for column in LIST_COLUMNS[table]:
        if column in df.columns:
            df[column] = [list(v) if v is not None else [] for v in df[column]]
    return df
