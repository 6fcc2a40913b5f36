"""Reliability (calibration) of any probabilistic classifier from (label, p) arrays.

One generic entry point, :func:`reliability_summary`; :func:`summaries` turns the store's
reliability files (:mod:`core.monitoring.sources`) into summaries. Small samples are said so: a
model with fewer than :data:`MIN_PREDICTIONS` labelled predictions, or fewer than
:data:`MIN_PER_CLASS` of either class, carries a warning, is drawn apart (markers only, dotted,
"too few to judge" in its legend) and every bin shows its 95 % Wilson interval, so a 13-label
model never looks as settled as an 8,550-row one.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.errors import MarqueeError
from core.metrics import brier_score, expected_calibration_error, reliability_table

MIN_PREDICTIONS = 100
MIN_PER_CLASS = 10
SUMMARY_COLUMNS = ["model", "predictions", "positives", "positive_rate", "brier", "ece", "warning"]


def wilson_interval(successes: np.ndarray, trials: np.ndarray, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of a binomial proportion (NaN where there are no trials)."""
    successes, trials = np.asarray(successes, dtype=float), np.asarray(trials, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate = successes / trials
        denominator = 1 + z ** 2 / trials
        centre = (rate + z ** 2 / (2 * trials)) / denominator
        half = z * np.sqrt(rate * (1 - rate) / trials + z ** 2 / (4 * trials ** 2)) / denominator
    return centre - half, centre + half


def sample_warning(y_true: np.ndarray) -> str | None:
    """Why a sample is too small to judge calibration, or None."""
    n, positives = len(y_true), int(np.sum(y_true))
    if n < MIN_PREDICTIONS:
        return f"only {n} labelled predictions (fewer than {MIN_PREDICTIONS}): too few to judge calibration"
    if min(positives, n - positives) < MIN_PER_CLASS:
        return (f"only {min(positives, n - positives)} examples of one class (fewer than {MIN_PER_CLASS}): "
                f"too few to judge calibration")
    return None


def reliability_summary(y_true, p, name: str, n_bins: int = 10) -> dict[str, Any]:
    """Brier score, expected calibration error, binned reliability table (with Wilson intervals)
    and a small-sample warning (or None) of one model."""
    y_true, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    if y_true.shape != p.shape:
        raise MarqueeError(f"{name}: {len(y_true)} labels but {len(p)} probabilities")
    if len(p) and (not np.isfinite(p).all() or p.min() < 0 or p.max() > 1):
        raise MarqueeError(f"{name}: probabilities must lie in [0, 1] (got {np.nanmin(p):.3f}…{np.nanmax(p):.3f})")
    table = reliability_table(y_true, p, n_bins)
    low, high = wilson_interval(table["observed_rate"] * table["count"], table["count"])
    table = table.assign(observed_low=low, observed_high=high)
    return {"name": name, "n": int(len(y_true)), "positives": int(y_true.sum()),
            "positive_rate": float(y_true.mean()) if len(y_true) else float("nan"),
            "brier": brier_score(y_true, p), "ece": expected_calibration_error(y_true, p, n_bins),
            "table": table, "warning": sample_warning(y_true)}


def summaries(sources) -> tuple[list[dict[str, Any]], list[str]]:
    """Summaries of usable sources (:class:`~core.monitoring.sources.ReliabilitySource`) and the
    problems of the others (one line each)."""
    found, problems = [], []
    for source in sources:
        if source.problem:
            problems.append(source.problem)
            continue
        name = source.name + (" (built from an older catalog version)" if source.stale else "")
        found.append(reliability_summary(source.label, source.p, name))
    return found, problems


def summary_frame(found: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per model: size, base rate, Brier, ECE and the small-sample warning (blank if none)."""
    rows = [{"model": s["name"], "predictions": s["n"], "positives": s["positives"],
             "positive_rate": round(s["positive_rate"], 3), "brier": round(s["brier"], 4), "ece": round(s["ece"], 4),
             "warning": s["warning"] or ""} for s in found]
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


def reliability_figure(found: list[dict[str, Any]]) -> go.Figure:
    """Calibration curves (mean predicted vs observed rate per bin, 95 % intervals) against the diagonal."""
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                                line={"dash": "dash", "color": "grey"}))
    for summary in found:
        table = summary["table"].dropna(subset=["mean_predicted"])
        small = summary["warning"] is not None
        label = f"{summary['name']} (n={summary['n']:,}, Brier {summary['brier']:.3f}, ECE {summary['ece']:.3f})"
        figure.add_trace(go.Scatter(
            x=table["mean_predicted"], y=table["observed_rate"],
            mode="markers" if small else "lines+markers",
            name=label + (" — too few to judge" if small else ""),
            marker={"symbol": "circle-open" if small else "circle", "size": 9},
            line={"dash": "dot"} if small else None, opacity=0.6 if small else 1.0,
            error_y={"type": "data", "symmetric": False, "array": table["observed_high"] - table["observed_rate"],
                     "arrayminus": table["observed_rate"] - table["observed_low"], "thickness": 1},
            text=[f"{c:,} predictions" for c in table["count"]],
            hovertemplate="predicted %{x:.2f}<br>observed %{y:.2f}<br>%{text}<extra></extra>"))
    figure.update_layout(title={"text": "Reliability: observed frequency against predicted probability "
                                        "(bars: 95% intervals)"},
                         xaxis_title="mean predicted probability in the bin", yaxis_title="observed frequency",
                         xaxis_range=[0, 1], yaxis_range=[0, 1.02], height=460,
                         # under the whole figure, not at a fraction of the plot's height below the axis:
                         # a long legend shrank the plot until its first row covered the x-axis title
                         legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0})
    return figure
