"""Tables and Plotly figures of a simulation run for the Monitoring page (no Streamlit here).

Charts that cannot mislead: every figure has a title, one metric per y-axis, whole-number round
ticks, and two labelled baselines — the first champion's, fixed for the whole run, and the
current champion's own, which restarts at each promotion ("since last promotion") — so a fall in
R² across promotions stays visible. Decision reasons are kept whole.
"""
from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

ROUND_COLUMNS = ["round", "ratings", "users", "rmse", "mae", "r2", "baseline_r2", "baseline_rmse", "reference_r2",
                 "reference_rmse", "coverage", "diversity", "personalization", "champion", "champion_after", "drift",
                 "challenger", "promoted", "seconds"]


# Under the whole figure (container coordinates), so a legend that wraps onto more rows never
# climbs onto the x-axis title, as one placed at a fraction of the plot's height below it did.
BOTTOM_LEGEND = {"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0}

def rounds_frame(rounds: list[dict[str, Any]]) -> pd.DataFrame:
    """One row per round: accuracy, both baselines, beyond-accuracy metrics, champion and decision."""
    rows = []
    for r in rounds:
        decision = r.get("decision") or {}
        rows.append({"round": int(r["round"]), "ratings": r["ratings"], "users": r["users"], "rmse": r["rmse"],
                     "mae": r["mae"], "r2": r["r2"], "baseline_r2": r["baseline_r2"],
                     "baseline_rmse": r.get("baseline_rmse"), "reference_r2": r.get("reference_r2", np.nan),
                     "reference_rmse": r.get("reference_rmse", np.nan), "coverage": r["coverage"],
                     "diversity": r["diversity"], "personalization": r["personalization"],
                     "champion": r["champion"], "champion_after": r["champion_after"],
                     "drift": r["drift_triggered"], "challenger": decision.get("challenger"),
                     "promoted": decision.get("promoted"), "seconds": r["seconds"]})
    return pd.DataFrame(rows, columns=ROUND_COLUMNS)


def summary_tiles(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The headline numbers of the last round as (label, value, delta, help) for metric tiles.

    The R² delta is against the first champion's baseline (fixed for the run), never against a
    baseline that restarted at a promotion; the current champion's own baseline is in the help."""
    last = frame.iloc[-1]
    reference = last["reference_r2"]
    has_reference = reference is not None and np.isfinite(reference)
    return [
        {"label": "Rounds", "value": f"{len(frame)}", "delta": None, "help": None},
        {"label": "Champion", "value": str(last["champion_after"]), "delta": None,
         "help": f"{int((frame['promoted'] == True).sum())} challenger(s) promoted so far"},  # noqa: E712
        {"label": "R² (last round)", "value": f"{last['r2']:.3f}",
         "delta": f"{last['r2'] - reference:+.3f} vs first champion's baseline" if has_reference else None,
         "help": (f"First champion's baseline R² {reference:.3f} (fixed for the run). " if has_reference else "")
                 + f"Champion {last['champion']}'s own baseline, since its promotion: {last['baseline_r2']:.3f}."},
        {"label": "RMSE (last round)", "value": f"{last['rmse']:.3f}", "delta": None,
         "help": f"Champion {last['champion']}'s own baseline RMSE: {last['baseline_rmse']:.3f}"},
        {"label": "Coverage", "value": f"{last['coverage']:.1%}", "delta": None,
         "help": "Share of the catalog's films shown in at least one top-10 list this round"},
    ]


def decisions_frame(decisions: list[dict[str, Any]]) -> pd.DataFrame:
    """Champion/challenger history with every reason, whole (one line per reason)."""
    rows = [{"round": d.get("round"), "champion": d.get("champion"), "challenger": d.get("challenger"),
             "outcome": "promoted" if d.get("promoted") else "rejected", "reasons": "\n".join(d.get("reasons") or []),
             "drift": "\n".join((d.get("drift") or {}).get("reasons") or []), "time": d.get("time")}
            for d in decisions]
    return pd.DataFrame(rows, columns=["round", "champion", "challenger", "outcome", "reasons", "drift", "time"])


def _round_axis(figure: go.Figure, frame: pd.DataFrame) -> None:
    """Whole-number round ticks (never 1.5), at most about ten of them."""
    last = int(frame["round"].max()) if len(frame) else 1
    figure.update_xaxes(title_text="round", tickmode="linear", tick0=1, dtick=max(1, math.ceil(last / 10)),
                        tickformat="d", range=[0.5, last + 0.5])


def _decision_markers(figure: go.Figure, frame: pd.DataFrame, column: str) -> None:
    for outcome, symbol, color, name in ((True, "star", "green", "challenger promoted"),
                                         (False, "x", "red", "challenger rejected")):
        hit = frame[frame["promoted"] == outcome]
        if len(hit):
            figure.add_trace(go.Scatter(x=hit["round"], y=hit[column], mode="markers", name=name,
                                        marker={"symbol": symbol, "size": 14, "color": color},
                                        text=hit["challenger"], hovertemplate="round %{x}: %{text} " + name))


def r2_figure(frame: pd.DataFrame) -> go.Figure:
    """R² of the serving champion per round, against both labelled baselines."""
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=frame["round"], y=frame["r2"], mode="lines+markers", name="R² of the champion"))
    if frame["reference_r2"].notna().any():
        figure.add_trace(go.Scatter(x=frame["round"], y=frame["reference_r2"], mode="lines",
                                    name="first champion's baseline (fixed)", line={"dash": "dash", "color": "grey"}))
    figure.add_trace(go.Scatter(x=frame["round"], y=frame["baseline_r2"], mode="lines", line={"dash": "dot", "shape": "hv"},
                                name="serving champion's baseline (since last promotion)",
                                text=frame["champion"], hovertemplate="round %{x}: %{text} baseline %{y:.3f}"))
    _decision_markers(figure, frame, "r2")
    figure.update_layout(title={"text": "R² of the champion on each round's new ratings"}, yaxis_title="R²",
                         height=380, legend=BOTTOM_LEGEND)
    _round_axis(figure, frame)
    return figure


def rmse_figure(frame: pd.DataFrame) -> go.Figure:
    """RMSE of the serving champion per round (its own axis), against its baseline since promotion."""
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=frame["round"], y=frame["rmse"], mode="lines+markers", name="RMSE of the champion"))
    if frame["reference_rmse"].notna().any():
        figure.add_trace(go.Scatter(x=frame["round"], y=frame["reference_rmse"], mode="lines",
                                    name="first champion's baseline (fixed)", line={"dash": "dash", "color": "grey"}))
    figure.add_trace(go.Scatter(x=frame["round"], y=frame["baseline_rmse"], mode="lines",
                                line={"dash": "dot", "shape": "hv"},
                                name="serving champion's baseline (since last promotion)"))
    _decision_markers(figure, frame, "rmse")
    figure.update_layout(title={"text": "RMSE of the champion on each round's new ratings (lower is better)"},
                         yaxis_title="RMSE (stars)", height=360, legend=BOTTOM_LEGEND)
    _round_axis(figure, frame)
    return figure


def drift_heatmap(segments: pd.DataFrame, min_segment_count: int | None = None) -> go.Figure:
    """Per-genre RMSE change against the serving champion's baseline (%), rounds across; ignored
    (too small) segments are blank and degraded ones are marked."""
    usable = segments[segments["status"] != "ignored"]
    change = (100.0 * (usable["rmse"] / usable["baseline_rmse"] - 1.0)).rename("change")
    table = usable.assign(change=change).pivot_table(index="segment", columns="round", values="change", aggfunc="first")
    marks = usable.assign(mark=np.where(usable["status"] == "degraded", "▲", "")).pivot_table(
        index="segment", columns="round", values="mark", aggfunc="first").reindex_like(table).fillna("")
    limit = float(np.nanmax(np.abs(table.to_numpy()))) if table.size and np.isfinite(table.to_numpy()).any() else 10.0
    figure = go.Figure(go.Heatmap(z=table.to_numpy(), x=[str(int(c)) for c in table.columns], y=table.index.tolist(),
                                  text=marks.to_numpy(), texttemplate="%{text}", colorscale="RdBu_r",
                                  zmin=-limit, zmax=limit, colorbar={"title": "RMSE vs<br>baseline %"},
                                  hovertemplate="%{y}, round %{x}: %{z:+.1f}%<extra></extra>"))
    small = f"; genres with fewer than {min_segment_count} ratings in a round are blank" if min_segment_count else ""
    figure.update_layout(title={"text": f"RMSE change per genre against the serving champion's baseline (▲ degraded{small})"},
                         height=max(320, 24 * len(table) + 140), xaxis_title="round", yaxis_title="genre",
                         xaxis={"type": "category"})
    return figure


def trends_figure(frame: pd.DataFrame) -> go.Figure:
    """Coverage, diversity and personalization of the top-10 lists per round (all on a 0–1 scale)."""
    figure = go.Figure()
    for column in ("coverage", "diversity", "personalization"):
        figure.add_trace(go.Scatter(x=frame["round"], y=frame[column], mode="lines+markers", name=column))
    figure.update_layout(title={"text": "Coverage, diversity and personalization of the shown lists"},
                         height=340, yaxis_title="share (0–1)", yaxis_range=[0, 1],
                         legend=BOTTOM_LEGEND)
    _round_axis(figure, frame)
    return figure
