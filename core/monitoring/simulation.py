"""Tables and figures of a CF simulation run for the Monitoring page."""
from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots


def rounds_frame(rounds: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per round: accuracy, baseline, beyond-accuracy metrics, champion and decision."""
    rows = []
    for r in rounds:
        decision = r.get("decision") or {}
        rows.append({"round": r["round"], "ratings": r["ratings"], "users": r["users"], "rmse": r["rmse"],
                     "mae": r["mae"], "r2": r["r2"], "baseline_r2": r["baseline_r2"], "coverage": r["coverage"],
                     "diversity": r["diversity"], "personalization": r["personalization"],
                     "champion": r["champion"], "champion_after": r["champion_after"],
                     "drift": r["drift_triggered"], "challenger": decision.get("challenger"),
                     "promoted": decision.get("promoted"), "seconds": r["seconds"]})
    return pd.DataFrame(rows)


def decisions_frame(decisions: list[dict[str, Any]]) -> pd.DataFrame:
    """Champion/challenger history with the reasons given for every decision."""
    rows = [{"round": d.get("round"), "champion": d.get("champion"), "challenger": d.get("challenger"),
             "outcome": "promoted" if d.get("promoted") else "rejected", "reasons": "; ".join(d.get("reasons", [])),
             "drift": "; ".join((d.get("drift") or {}).get("reasons", [])), "time": d.get("time")}
            for d in decisions]
    return pd.DataFrame(rows, columns=["round", "champion", "challenger", "outcome", "reasons", "drift", "time"])


def metrics_figure(frame: pd.DataFrame) -> go.Figure:
    """R² and RMSE of the champion per round, its baseline R², and retraining outcomes."""
    figure = make_subplots(specs=[[{"secondary_y": True}]])
    figure.add_trace(go.Scatter(x=frame["round"], y=frame["r2"], mode="lines+markers", name="R²"), secondary_y=False)
    figure.add_trace(go.Scatter(x=frame["round"], y=frame["baseline_r2"], mode="lines", name="champion baseline R²",
                                line={"dash": "dash"}), secondary_y=False)
    figure.add_trace(go.Scatter(x=frame["round"], y=frame["rmse"], mode="lines+markers", name="RMSE"), secondary_y=True)
    for outcome, symbol, color in ((True, "star", "green"), (False, "x", "red")):
        hit = frame[frame["promoted"] == outcome]
        if len(hit):
            figure.add_trace(go.Scatter(x=hit["round"], y=hit["r2"], mode="markers", marker={"symbol": symbol, "size": 14,
                             "color": color}, name="challenger promoted" if outcome else "challenger rejected"),
                             secondary_y=False)
    figure.update_layout(height=380, xaxis_title="round", legend={"orientation": "h", "y": -0.25})
    figure.update_yaxes(title_text="R²", secondary_y=False)
    figure.update_yaxes(title_text="RMSE", secondary_y=True)
    return figure


def drift_heatmap(segments: pd.DataFrame) -> go.Figure:
    """Per-genre RMSE change against the champion's baseline (%), rounds across; ignored
    (too small) segments are blank and degraded ones are marked."""
    usable = segments[segments["status"] != "ignored"]
    change = (100.0 * (usable["rmse"] / usable["baseline_rmse"] - 1.0)).rename("change")
    table = usable.assign(change=change).pivot_table(index="segment", columns="round", values="change", aggfunc="first")
    marks = usable.assign(mark=np.where(usable["status"] == "degraded", "▲", "")).pivot_table(
        index="segment", columns="round", values="mark", aggfunc="first").reindex_like(table).fillna("")
    limit = float(np.nanmax(np.abs(table.to_numpy()))) if table.size and np.isfinite(table.to_numpy()).any() else 10.0
    figure = go.Figure(go.Heatmap(z=table.to_numpy(), x=[str(c) for c in table.columns], y=table.index.tolist(),
                                  text=marks.to_numpy(), texttemplate="%{text}", colorscale="RdBu_r",
                                  zmin=-limit, zmax=limit, colorbar={"title": "RMSE vs<br>baseline %"},
                                  hovertemplate="%{y}, round %{x}: %{z:+.1f}%<extra></extra>"))
    figure.update_layout(height=max(300, 24 * len(table) + 120), xaxis_title="round", yaxis_title="genre")
    return figure


def trends_figure(frame: pd.DataFrame) -> go.Figure:
    figure = go.Figure()
    for column in ("coverage", "diversity", "personalization"):
        figure.add_trace(go.Scatter(x=frame["round"], y=frame[column], mode="lines+markers", name=column))
    figure.update_layout(height=320, xaxis_title="round", yaxis_title="value (0–1)", yaxis_range=[0, 1],
                         legend={"orientation": "h", "y": -0.3})
    return figure
