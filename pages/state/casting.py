"""Casting: the catalog's trained model (per data version and settings) and cached brief results."""
from __future__ import annotations

import json

import streamlit as st

from core.casting import Brief, CastingConfig, cast_brief, get_model, train_and_save
from core.casting import model_card_html as _model_card_html
from pages.state import catalogs


@st.cache_resource(show_spinner="Preparing the casting model (trained once per catalog, a few seconds)…",
                   max_entries=4)
def _model(name: str, data_checksum: str, config_json: str):
    config = CastingConfig.from_dict(json.loads(config_json)) if config_json else None
    return get_model(catalogs.load(name), config)


def model(name: str, cfg: CastingConfig | None = None):
    """The catalog's champion casting model bound to the catalog (saved settings unless ``cfg`` is given)."""
    return _model(name, catalogs.checksum(name), json.dumps(cfg.to_dict(), sort_keys=True) if cfg else "")


def model_version(trained) -> str:
    """What identifies a fitted model: its catalog version and every setting (serving weights too)."""
    return f"{trained.catalog_name}|{trained.data_checksum}|{json.dumps(trained.config.to_dict(), sort_keys=True)}"


def retrain(name: str, cfg: CastingConfig) -> None:
    train_and_save(catalogs.load(name), cfg)
    _model.clear()


@st.cache_resource(show_spinner="Casting…", max_entries=32)
def _brief_result(version: str, brief_json: str, _trained):
    return cast_brief(_trained, Brief(**{**json.loads(brief_json), "genres": tuple(json.loads(brief_json)["genres"])}))


def brief_result(trained, brief: Brief):
    """The slate for a brief, computed once per (model, brief): picking another actor's details,
    downloading or reopening the page does not recompute it."""
    return _brief_result(model_version(trained), json.dumps(brief.to_dict(), sort_keys=True), trained)


@st.cache_data(show_spinner=False, max_entries=4)
def _card_html(version: str, _trained) -> str:
    return _model_card_html(_trained)


def model_card_html(trained) -> str:
    return _card_html(model_version(trained), trained)


def model_card(trained) -> None:
    """Holdout metrics, the model's figures and the HTML card download."""
    from core.casting import model_figures

    st.subheader("Model card")
    m = trained.metrics
    for col, (label, key) in zip(st.columns(4), [("AUROC", "auroc"), ("PR-AUC", "pr_auc"), ("Brier", "brier"),
                                                 ("ECE", "ece")]):
        col.metric(f"Holdout {label}", f"{m[key]:.3f}")
    st.caption(f"Target: {trained.target_label} (threshold {m['threshold']:.3g} on films up to {m['cutoff']}) · "
               f"holdout {m['years'][0]}–{m['years'][1]}, {m['n_rows']:,} rows, base rate {m['positive_rate']:.2f} · "
               f"head {m['head']} (calibration-slice AUROC "
               + ", ".join(f"{k} {v:.3f}" for k, v in m["selection_auroc"].items())
               + f") · {m['calibrator']} calibration on {m['calibration_years'][0]}–{m['calibration_years'][1]}")
    left, right = st.columns(2)
    for i, fig in enumerate(model_figures(trained).values()):
        (left if i % 2 == 0 else right).plotly_chart(fig, width="stretch", key=f"casting-fig-{i}")
    st.download_button("Download model card (HTML)", model_card_html(trained), file_name="casting_model_card.html",
                       key="casting-card")
