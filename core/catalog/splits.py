"""Temporal train/validation/test splits of a catalog's films, written into ``splits/``."""
from __future__ import annotations

from pathlib import Path
from typing import Any


from core.catalog import store
from core.catalog.schema import conform
from core.io import write_json_atomic, write_parquet_atomic
from core.splitting import split_by_year


def write_splits(name: str, train_until: int, valid_until: int, data_dir: Path | None = None) -> dict[str, Any]:
    """Split the catalog's movies by release year and store them as part of the catalog.

    The catalog is rewritten (atomically, checksums refreshed) with a ``splits/`` folder holding
    ``train.parquet``, ``valid.parquet``, ``test.parquet`` (movies rows) and ``splits.json``.
    """
    catalog = store.load_catalog(name, data_dir)
    parts = split_by_year(catalog.movies, train_until, valid_until)
    summary = {
        "train_until": train_until, "valid_until": valid_until,
        "counts": {split: int(len(frame)) for split, frame in parts.items()},
        "year_ranges": {split: [int(frame["year"].min()), int(frame["year"].max())] if len(frame) else None
                        for split, frame in parts.items() if split != "undated"},
    }

    def write(folder: Path) -> None:
        for split in ("train", "valid", "test"):
            write_parquet_atomic(folder / f"{split}.parquet", conform(parts[split], "movies", f"splits/{split}"))
        write_json_atomic(folder / "splits.json", summary)

    store.rewrite_catalog(catalog, extra_folders=("ground_truth",), extra_writers={"splits": write}, data_dir=data_dir)
    return summary

