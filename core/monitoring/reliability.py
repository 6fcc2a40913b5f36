"""Reliability (calibration) of any probabilistic classifier from (y_true, p) arrays.

One generic entry point, :func:`reliability_summary`, so wiring another model into the
Monitoring page is one line in :mod:`core.monitoring.sources`.
"""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.errors import MarqueeError
from core.metrics import brier_score, expected_calibration_error, reliability_table


def reliability_summary(y_true, p, name: str, n_bins: int = 10) -> dict[str, Any]:
    """Brier score, expected calibration error and the binned reliability table of one model."""
    y_true, p = np.asarray(y_true, dtype=float), np.asarray(p, dtype=float)
    if y_true.shape != p.shape:
        raise MarqueeError(f"{name}: {len(y_true)} labels but {len(p)} probabilities")
    if len(y_true) and (np.nanmin(p) < 0 or np.nanmax(p) > 1):
        raise MarqueeError(f"{name}: probabilities must lie in [0, 1] (got {np.nanmin(p):.3f}…{np.nanmax(p):.3f})")
    return {"name": name, "n": int(len(y_true)), "positive_rate": float(y_true.mean()) if len(y_true) else float("nan"),
            "brier": brier_score(y_true, p), "ece": expected_calibration_error(y_true, p, n_bins),
            "table": reliability_table(y_true, p, n_bins)}


def summary_frame(summaries: list[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([{k: s[k] for k in ("name", "n", "positive_rate", "brier", "ece")} for s in summaries],
                        columns=["name", "n", "positive_rate", "brier", "ece"])


def reliability_figure(summaries: list[dict[str, Any]]) -> go.Figure:
    """Calibration curves (mean predicted vs observed rate per bin) against the diagonal."""
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly calibrated",
                                line={"dash": "dash", "color": "grey"}))
    for summary in summaries:
        table = summary["table"].dropna(subset=["mean_predicted"])
        figure.add_trace(go.Scatter(
            x=table["mean_predicted"], y=table["observed_rate"], mode="lines+markers",
            name=f"{summary['name']} (Brier {summary['brier']:.3f}, ECE {summary['ece']:.3f})",
            text=[f"{c} predictions" for c in table["count"]], hovertemplate="predicted %{x:.2f}<br>observed %{y:.2f}<br>%{text}"))
    figure.update_layout(xaxis_title="mean predicted probability", yaxis_title="observed frequency",
                         xaxis_range=[0, 1], yaxis_range=[0, 1], height=420, legend={"orientation": "h", "y": -0.2})
    return figure
