"""Temporal splitting, the one implementation used by catalog splits, casting, CF and drift.

Every function guarantees that nothing in an earlier split happens after anything in a later one.
"""
from __future__ import annotations

import pandas as pd

from core.errors import MarqueeError


def split_by_year(frame: pd.DataFrame, train_until: int, valid_until: int | None = None,
                  year_column: str = "year") -> dict[str, pd.DataFrame]:
    """Rows with year ≤ ``train_until`` → train, ≤ ``valid_until`` → valid, later → test.

    Rows without a year belong to no split (they cannot be placed in time) and are returned
    under ``"undated"`` so callers can report them instead of silently dropping them.
    """
    if valid_until is not None and valid_until < train_until:
        raise MarqueeError(f"valid-until ({valid_until}) must not be before train-until ({train_until})")
    years = frame[year_column]
    dated = years.notna()
    train = dated & (years <= train_until)
    if valid_until is None:
        valid = pd.Series(False, index=frame.index)
        test = dated & (years > train_until)
    else:
        valid = dated & (years > train_until) & (years <= valid_until)
        test = dated & (years > valid_until)
    return {"train": frame[train], "valid": frame[valid], "test": frame[test], "undated": frame[~dated]}


def split_by_time(frame: pd.DataFrame, cutoff, time_column: str = "timestamp") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows strictly before ``cutoff`` are history; the rest is the future."""
    cutoff = pd.Timestamp(cutoff)
    if cutoff.tzinfo is None and getattr(frame[time_column].dt, "tz", None) is not None:
        cutoff = cutoff.tz_localize("UTC")
    before = frame[time_column] < cutoff
    return frame[before], frame[~before]


def time_quantile_cutoff(frame: pd.DataFrame, fraction: float, time_column: str = "timestamp"):
    """The timestamp below which ``fraction`` of rows fall (for "train on the first 80%")."""
    if not 0.0 < fraction < 1.0:
        raise MarqueeError(f"fraction must be between 0 and 1, got {fraction}")
    return frame[time_column].quantile(fraction)
