"""Drift detection for any regression model in the artifact store: compare a model's current
segment metrics (:func:`core.metrics.segment_metrics`) with the baseline recorded when it was
promoted, and compare a champion with a challenger on the same ratings.

Metrics are plain dicts so they go straight into manifests and JSON::

    {"global": {"rmse", "mae", "r2", "count", "mse_se", "r2_se"}, "segments": {name: {...}}}

Segments with fewer than ``min_segment_count`` interactions are reported but never drive a
decision (their RMSE is too noisy).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from core.validation import finite_float


@dataclass(frozen=True)
class DriftPolicy:
    r2_tolerance: float = 0.03        # retrain when global R² < baseline R² − this …
    segment_tolerance: float = 0.10   # … or a segment's RMSE > baseline RMSE × (1 + this) …
    min_z: float = 3.0                # … and in either case the change is this many standard errors
    min_segment_count: int = 100      # smaller segments are ignored
    harm_tolerance: float = 0.02      # a challenger harms a stable segment when RMSE > champion × (1 + this) …
    harm_z: float = 2.0               # … and the paired rise in squared error is this many standard errors
    regression_tolerance: float = 0.0  # the challenger's global RMSE may not exceed champion × (1 + this)

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            finite_float(value, f"drift policy {name}", low=0.0)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict | None) -> "DriftPolicy":
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in (data or {}).items() if k in known})


@dataclass
class DriftReport:
    triggered: bool
    reasons: list[str]
    degraded: list[str]
    stable: list[str]
    ignored: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


def paired_comparison(frame: pd.DataFrame, segments: pd.DataFrame, segment_column: str = "genre",
                      key: str = "movie_id") -> dict:
    """Champion against challenger on the same ratings (columns ``key``, rating, champion,
    challenger): RMSE of each, globally and per segment, and the paired z of the challenger's
    extra squared error (positive = the challenger is worse)."""
    def compare(part: pd.DataFrame) -> dict:
        y = part["rating"].to_numpy(float)
        old, new = (y - part["champion"].to_numpy(float)) ** 2, (y - part["challenger"].to_numpy(float)) ** 2
        diff = new - old
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
        z = float(diff.mean() / se) if se and np.isfinite(se) and se > 0 else 0.0
        return {"count": int(len(y)), "champion_rmse": float(np.sqrt(old.mean())),
                "challenger_rmse": float(np.sqrt(new.mean())), "z": z}
    joined = frame[[key, "rating", "champion", "challenger"]].merge(segments[[key, segment_column]], on=key)
    return {"global": compare(frame),
            "segments": {str(g): compare(part) for g, part in joined.groupby(segment_column, sort=True)}}


def _usable(metrics: dict, segment: str, policy: DriftPolicy) -> bool:
    info = metrics["segments"].get(segment)
    return info is not None and info["count"] >= policy.min_segment_count and np.isfinite(info["rmse"])


def check_drift(baseline: dict, current: dict, policy: DriftPolicy = DriftPolicy()) -> DriftReport:
    """Should the champion be retrained? Compares ``current`` metrics with its ``baseline``."""
    reasons, degraded, stable, ignored = [], [], [], []
    base_r2, cur_r2 = baseline["global"]["r2"], current["global"]["r2"]
    r2_z = _z(base_r2 - cur_r2, baseline["global"].get("r2_se"), current["global"].get("r2_se"))
    if np.isfinite(base_r2) and np.isfinite(cur_r2) and cur_r2 < base_r2 - policy.r2_tolerance and r2_z >= policy.min_z:
        reasons.append(f"global R² {cur_r2:.3f} fell below the champion's baseline {base_r2:.3f} "
                       f"(z {r2_z:.1f}; tolerance {policy.r2_tolerance:.3f}, z {policy.min_z:g})")
    for segment in sorted(set(baseline["segments"]) | set(current["segments"])):
        if not (_usable(baseline, segment, policy) and _usable(current, segment, policy)):
            ignored.append(segment)
            continue
        base, cur = baseline["segments"][segment], current["segments"][segment]
        z = _z(cur["rmse"] ** 2 - base["rmse"] ** 2, cur.get("mse_se"), base.get("mse_se"))
        if cur["rmse"] > base["rmse"] * (1.0 + policy.segment_tolerance) and z >= policy.min_z:
            degraded.append(segment)
            reasons.append(f"segment {segment}: RMSE {cur['rmse']:.3f} vs baseline {base['rmse']:.3f} "
                           f"(+{100 * (cur['rmse'] / base['rmse'] - 1):.0f}%, z {z:.1f}; tolerance "
                           f"{100 * policy.segment_tolerance:.0f}%, z {policy.min_z:g})")
        else:
            stable.append(segment)
    return DriftReport(triggered=bool(reasons), reasons=reasons, degraded=degraded, stable=stable, ignored=ignored)


def _z(difference: float, se_a: float | None, se_b: float | None) -> float:
    """Difference over its standard error; without standard errors any rise counts as significant."""
    se = float(np.sqrt(np.nansum([(se_a or 0.0) ** 2, (se_b or 0.0) ** 2])))
    return float(difference / se) if se > 0 else (np.inf if difference > 0 else 0.0)
