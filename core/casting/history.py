"""Strictly as-of history queries over a time-sorted table of events.

``TrailingHistory`` sorts events by (entity, year) once and keeps prefix sums, so "what did this
entity do in years before Y" is a pair of binary searches: every query sees only events with
year < Y, never the query year itself nor anything later. Training rows and serving briefs ask
the same object, which keeps train and serve features identical by construction.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

YEAR_SPAN = 10_000  # years are < 10,000, so rank * YEAR_SPAN + year orders by (entity, year)


@dataclass(frozen=True)
class Located:
    """Half-open event range [first, stop) of each queried entity's events before its year."""

    first: np.ndarray
    stop: np.ndarray
    base: np.ndarray

    @property
    def count(self) -> np.ndarray:
        return self.stop - self.first


def _segment_cumsum(values: np.ndarray, segments: np.ndarray) -> np.ndarray:
    """Inclusive running sums restarting at each entity, with a leading zero row.

    Restarting per entity (rather than one global running sum) makes every entity's aggregates
    depend on its own events only, bit for bit: deleting other films cannot change them even in
    the last floating-point digit.
    """
    frame = pd.DataFrame(values.reshape(len(values), -1))
    sums = frame.groupby(segments, sort=False).cumsum().to_numpy(dtype=float) if len(values) else frame.to_numpy(dtype=float)
    zero = np.zeros((1,) + values.shape[1:], dtype=float)
    return np.concatenate([zero, sums.reshape(values.shape)])


def _range_sum(sums: np.ndarray, first: np.ndarray, low: np.ndarray, stop: np.ndarray) -> np.ndarray:
    """Sum of events [low, stop) of each entity whose events start at ``first`` (first ≤ low ≤ stop)."""
    before = np.where(low > first, 1.0, 0.0)
    total = sums[stop] - (sums[low].T * before).T
    return (total.T * np.where(stop > low, 1.0, 0.0)).T


class TrailingHistory:
    """Events of entities (actors, directors, pairs) with year-strict trailing aggregates."""

    def __init__(self, keys, years, values: dict[str, np.ndarray]):
        keys = pd.Index(keys)
        years = np.asarray(years, dtype=np.int64)
        self.entities_ = pd.Index(pd.unique(keys))
        rank = self.entities_.get_indexer(keys).astype(np.int64)
        code = rank * YEAR_SPAN + years
        order = np.argsort(code, kind="stable")
        self.code_ = code[order]
        self.years_ = years[order]
        segments = rank[order]
        self._sums: dict[str, np.ndarray] = {}
        self._valid: dict[str, np.ndarray] = {}
        self._valid_sums: dict[str, np.ndarray] = {}
        for name, raw in values.items():
            column = np.asarray(raw, dtype=float)[order]
            self._sums[name] = _segment_cumsum(np.nan_to_num(column), segments)
            if column.ndim == 1:
                valid = ~np.isnan(column)
                # counts are small integers: a global running count is exact
                self._valid[name] = np.concatenate([[0], np.cumsum(valid)]).astype(np.int64)
                self._valid_sums[name] = _segment_cumsum(column[valid], segments[valid])

    def locate(self, keys, years) -> Located:
        rank = self.entities_.get_indexer(pd.Index(keys)).astype(np.int64)
        years = np.asarray(years, dtype=np.int64)
        known = rank >= 0
        base = np.where(known, rank, 0) * YEAR_SPAN
        first = np.searchsorted(self.code_, base, side="left")
        stop = np.where(known, np.searchsorted(self.code_, base + years, side="left"), first)
        return Located(first=first, stop=stop, base=base)

    def total(self, name: str, at: Located) -> np.ndarray:
        """Sum of a column (vector or matrix) over all earlier events."""
        return _range_sum(self._sums[name], at.first, at.first, at.stop)

    def valid_count(self, name: str, at: Located) -> np.ndarray:
        """How many earlier events have a non-missing value in ``name``."""
        valid = self._valid[name]
        return valid[at.stop] - valid[at.first]

    def last_k_mean(self, name: str, at: Located, k: int = 3) -> tuple[np.ndarray, np.ndarray]:
        """Mean of the last ``k`` earlier non-missing values and how many there were."""
        valid, sums = self._valid[name], self._valid_sums[name]
        end, begin = valid[at.stop], valid[at.first]
        low = np.maximum(begin, end - k)
        n = end - low
        total = _range_sum(sums, begin, low, end)
        return np.where(n > 0, total / np.maximum(n, 1), np.nan), n

    def window_mean(self, name: str, at: Located, years, lookback: int) -> tuple[np.ndarray, np.ndarray]:
        """Mean of the non-missing values of events in the ``lookback`` years before each query year."""
        years = np.asarray(years, dtype=np.int64)
        valid, sums = self._valid[name], self._valid_sums[name]
        low_event = np.maximum(np.searchsorted(self.code_, at.base + years - lookback, side="left"), at.first)
        low_event = np.minimum(low_event, at.stop)
        begin, low, end = valid[at.first], valid[low_event], valid[at.stop]
        n = end - low
        total = _range_sum(sums, begin, low, end)
        return np.where(n > 0, total / np.maximum(n, 1), np.nan), n

    def count_since(self, at: Located, years, lookback: int) -> np.ndarray:
        """Events in the ``lookback`` years before each query year."""
        years = np.asarray(years, dtype=np.int64)
        low = np.searchsorted(self.code_, at.base + years - lookback, side="left")
        return np.maximum(at.stop - np.maximum(low, at.first), 0)

    def last_year(self, at: Located) -> np.ndarray:
        """Year of the latest earlier event (NaN when there is none)."""
        has = at.stop > at.first
        out = np.full(len(at.stop), np.nan)
        out[has] = self.years_[at.stop[has] - 1]
        return out
