"""Probability-quality metrics shared by the casting, personal and monitoring code."""
from __future__ import annotations

import numpy as np
import pandas as pd


def brier_score(y_true, p) -> float:
    y_true, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    return float(np.mean((p - y_true) ** 2)) if len(y_true) else float("nan")


def reliability_table(y_true, p, n_bins: int = 10) -> pd.DataFrame:
    """Equal-width probability bins: mean predicted vs observed frequency and count per bin."""
    y_true, p = np.asarray(y_true, dtype=float), np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bins = np.clip(np.digitize(p, edges[1:-1], right=False), 0, n_bins - 1)
    rows = []
    for b in range(n_bins):
        mask = bins == b
        count = int(mask.sum())
        rows.append({
            "bin": b, "bin_low": edges[b], "bin_high": edges[b + 1], "count": count,
            "mean_predicted": float(p[mask].mean()) if count else np.nan,
            "observed_rate": float(y_true[mask].mean()) if count else np.nan,
        })
    return pd.DataFrame(rows)


def expected_calibration_error(y_true, p, n_bins: int = 10) -> float:
    """Count-weighted mean |observed − predicted| over equal-width bins."""
    table = reliability_table(y_true, p, n_bins)
    filled = table[table["count"] > 0]
    if filled.empty:
        return float("nan")
    gaps = (filled["observed_rate"] - filled["mean_predicted"]).abs()
    return float((gaps * filled["count"]).sum() / filled["count"].sum())
