"""EDA: the catalog summary and its charts, built once per catalog version."""
from __future__ import annotations

import streamlit as st

import core.catalog as eda
from core.catalog import readable_skew
from pages.state import catalogs

__all__ = ["figures", "readable_skew", "summary"]


@st.cache_data(show_spinner="Summarising catalog…", max_entries=4)
def _summary(name: str, data_checksum: str) -> eda.EdaSummary:
    return eda.summarize(catalogs.load(name))


def summary(name: str) -> eda.EdaSummary:
    return _summary(name, catalogs.checksum(name))


@st.cache_resource(show_spinner="Drawing charts…", max_entries=4)
def _figures(name: str, data_checksum: str) -> eda.EdaFigures:
    return eda.build_figures(_summary(name, data_checksum))


def figures(name: str) -> eda.EdaFigures:
    """The EDA charts, built once per catalog version (shared read-only figures)."""
    return _figures(name, catalogs.checksum(name))
