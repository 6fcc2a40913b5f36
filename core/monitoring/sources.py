"""Where the Monitoring page finds (label, probability) arrays of trained classification models.

Each source is one small function returning ``[(name, y_true, p), ...]`` and swallowing only the
"nothing trained yet" errors, so a missing model is an empty state rather than a crash.
"""
from __future__ import annotations

import logging

import numpy as np

from core.errors import MarqueeError

log = logging.getLogger(__name__)
Source = tuple[str, np.ndarray, np.ndarray]


def casting_sources(catalog: str) -> list[Source]:
    """The casting model's calibrated holdout predictions (label, p_cal)."""
    try:
        from core.casting.api import holdout_predictions

        frame = holdout_predictions(catalog_name=catalog)
    except (ImportError, MarqueeError, OSError) as exc:
        log.debug("no casting reliability for %s: %s", catalog, exc)
        return []
    return [("casting (holdout, p_cal)", frame["label"].to_numpy(), frame["p_cal"].to_numpy())]


def personal_sources(catalog: str) -> list[Source]:
    """Each personal taste model's out-of-fold (label, P(would watch)) for this catalog."""
    try:
        from core.personal.api import list_trained, oof_predictions

        trained = [row for row in list_trained() if row.get("catalog") == catalog]
        sources = []
        for row in trained:
            labels, p = oof_predictions(row["profile"], catalog)
            sources.append((f"personal: {row['profile']} (out-of-fold)", labels, p))
        return sources
    except (ImportError, MarqueeError, OSError, KeyError) as exc:
        log.debug("no personal reliability for %s: %s", catalog, exc)
        return []


def reliability_sources(catalog: str) -> list[Source]:
    return casting_sources(catalog) + personal_sources(catalog)
