"""Model-card figures as plain plotly objects (the page renders them, exports write them)."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from sklearn.metrics import precision_recall_curve

from core.metrics import reliability_table


def reliability_figure(holdout: pd.DataFrame, n_bins: int = 10) -> go.Figure:
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfect calibration",
                             line={"dash": "dash", "color": "grey"}))
    for column, name in (("p_cal", "calibrated (p_cal)"), ("p_base", "base head (p_base)")):
        table = reliability_table(holdout["label"], holdout[column], n_bins).dropna()
        fig.add_trace(go.Scatter(x=table["mean_predicted"], y=table["observed_rate"], mode="lines+markers", name=name,
                                 text=[f"{c} rows" for c in table["count"]],
                                 marker={"size": np.clip(np.sqrt(table["count"]), 5, 20)}))
    fig.update_layout(title="Reliability on holdout years", xaxis_title="predicted probability",
                      yaxis_title="observed resonance rate", xaxis_range=[0, 1], yaxis_range=[0, 1])
    return fig


def pr_figure(holdout: pd.DataFrame) -> go.Figure:
    fig = go.Figure()
    y = holdout["label"].to_numpy(dtype=int)
    for column, name in (("p_cal", "casting model"), ("atr3", "trailing resonance (ATR3) alone")):
        if column in holdout and 0 < y.sum() < len(y):
            precision, recall, _ = precision_recall_curve(y, holdout[column])
            fig.add_trace(go.Scatter(x=recall, y=precision, mode="lines", name=name))
    fig.add_hline(y=float(y.mean()) if len(y) else 0.0, line_dash="dot", annotation_text="base rate")
    fig.update_layout(title="Precision–recall on holdout years", xaxis_title="recall", yaxis_title="precision",
                      yaxis_range=[0, 1])
    return fig


def per_year_figure(per_year: list[dict]) -> go.Figure:
    table = pd.DataFrame(per_year)
    fig = go.Figure()
    if not table.empty:
        fig.add_trace(go.Bar(x=table["year"], y=table["pr_auc"], name="PR-AUC"))
        fig.add_trace(go.Scatter(x=table["year"], y=table["positive_rate"], mode="lines+markers",
                                 name="base rate (PR-AUC of a random ranking)"))
    fig.update_layout(title="PR-AUC per holdout year", xaxis_title="release year", yaxis_title="PR-AUC",
                      yaxis_range=[0, 1])
    return fig


def importance_figure(importance: pd.DataFrame, top: int = 15) -> go.Figure:
    table = importance.head(top).iloc[::-1]
    fig = go.Figure(go.Bar(x=table["importance"], y=table["feature"], orientation="h",
                           error_x={"type": "data", "array": table["std"]}))
    fig.update_layout(title="Permutation importance (drop in holdout AUROC)", xaxis_title="AUROC drop",
                      height=max(300, 28 * len(table)))
    return fig


def model_figures(trained) -> dict[str, go.Figure]:
    return {
        "reliability": reliability_figure(trained.holdout),
        "pr_curves": pr_figure(trained.holdout),
        "per_year_pr_auc": per_year_figure(trained.metrics["per_year"]),
        "importance": importance_figure(trained.importance),
    }


def model_notes(trained) -> list[str]:
    """Plain-text facts of the model card: head, baselines and casting lift, the cycle head's weight."""
    m = trained.metrics
    notes = [f"Head {m.get('head')} chosen on validation years {m.get('calibration_years')} "
             f"(mean within-year AUROC {m.get('selection_auroc')}); {m.get('calibrator')} calibration fitted on "
             f"those years' out-of-time predictions. Holdout {m.get('years')}: AUROC {_fmt(m.get('auroc'))}, "
             f"ECE {_fmt(m.get('ece'))}."]
    baselines = m.get("baselines")
    if baselines:
        lift = baselines["casting_lift"]
        if "film_director" not in baselines:  # a model trained before 2026-12-07: its film-only kept the director
            notes.append(f"Same run: seed-style model AUROC {_fmt(baselines['seed']['auroc'])}, film + director "
                         f"model (everything fixed for a brief, the director's history included; this model "
                         f"predates the film-only baseline without any person) {_fmt(baselines['film_only']['auroc'])}."
                         f" Actor lift (full minus it) {_fmt(lift['difference'], '+.3f')}, 95% bootstrap over films "
                         f"[{_fmt(lift['low'], '+.3f')}, {_fmt(lift['high'], '+.3f')}].")
            baselines = {}
    if baselines:
        lift = baselines["casting_lift"]
        notes.append(f"Same run: seed-style model AUROC {_fmt(baselines['seed']['auroc'])}, film-only model "
                     f"(the film's own brief-time attributes, nothing derived from a person) "
                     f"{_fmt(baselines['film_only']['auroc'])}. Casting lift (full minus film-only: what the "
                     f"people add, director history included) {_fmt(lift['difference'], '+.3f')}, 95% bootstrap "
                     f"over films [{_fmt(lift['low'], '+.3f')}, {_fmt(lift['high'], '+.3f')}].")
        actor = baselines.get("actor_lift")
        if actor and "film_director" in baselines:
            notes.append(f"Film + director model (everything fixed for a brief, the director's history included) "
                         f"{_fmt(baselines['film_director']['auroc'])}; actor lift (full minus it: what the "
                         f"candidates' own records add, the part that orders a slate) "
                         f"{_fmt(actor['difference'], '+.3f')} [{_fmt(actor['low'], '+.3f')}, "
                         f"{_fmt(actor['high'], '+.3f')}].")
    cycle = m.get("cycle_head")
    if cycle:
        notes.append(f"Cycle head weight {cycle['weight']:g}: {cycle['reason']}")
    return notes


def _fmt(value, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def figures_html(figures: dict[str, go.Figure], title: str, notes: list[str] | None = None) -> str:
    """One self-contained HTML page (plotly.js inlined once) with every figure and the notes."""
    parts = [fig.to_html(full_html=False, include_plotlyjs=(i == 0)) for i, fig in enumerate(figures.values())]
    items = "".join(f"<li>{html.escape(note)}</li>" for note in notes or [])
    return (f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
            f"<h1>{html.escape(title)}</h1>" + (f"<ul>{items}</ul>" if items else "") + "\n".join(parts)
            + "</body></html>")
