"""``data_profile.json``: row counts, nulls, dtypes and distinct counts per column."""
from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc


def profile_table(table: pa.Table) -> dict[str, Any]:
    columns = {}
    for field in table.schema:
        column = table.column(field.name)
        entry: dict[str, Any] = {"dtype": str(field.type), "nulls": int(column.null_count)}
        if pa.types.is_list(field.type):
            lengths = pc.list_value_length(column)
            entry["empty_lists"] = int(pc.sum(pc.equal(lengths, 0)).as_py() or 0)
            flat = pc.list_flatten(column)
            entry["distinct"] = int(pc.count_distinct(flat).as_py())
        else:
            entry["distinct"] = int(pc.count_distinct(column).as_py())
        if (pa.types.is_integer(field.type) or pa.types.is_floating(field.type)) and len(column) > column.null_count:
            min_max = pc.min_max(column).as_py()
            entry["min"], entry["max"] = min_max["min"], min_max["max"]
        columns[field.name] = entry
    return {"rows": table.num_rows, "columns": columns}


def profile_tables(tables: dict[str, pa.Table]) -> dict[str, Any]:
    return {name: profile_table(table) for name, table in tables.items()}
