"""Per-genre segment metrics, drift detection and the champion/challenger promotion rule.

Metrics are plain dicts so they go straight into manifests and JSON::

    {"global": {"rmse", "mae", "r2", "count"}, "segments": {genre: {"rmse", "mae", "r2", "count"}}}

A film counts in every one of its genres. Segments with fewer than ``min_segment_count``
interactions are reported but never drive a decision (their RMSE is too noisy).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from core.cf.evaluate import accuracy


@dataclass(frozen=True)
class DriftPolicy:
    r2_tolerance: float = 0.03        # retrain when global R² < baseline R² − this …
    segment_tolerance: float = 0.10   # … or a segment's RMSE > baseline RMSE × (1 + this) …
    min_z: float = 3.0                # … and in either case the change is this many standard errors
    min_segment_count: int = 100      # smaller segments are ignored
    harm_tolerance: float = 0.02      # a challenger harms a stable segment when RMSE > champion × (1 + this) …
    harm_z: float = 2.0               # … and the paired rise in squared error is this many standard errors
    regression_tolerance: float = 0.0  # the challenger's global RMSE may not exceed champion × (1 + this)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class DriftReport:
    triggered: bool
    reasons: list[str]
    degraded: list[str]
    stable: list[str]
    ignored: list[str]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Decision:
    promote: bool
    reasons: list[str]
    checks: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def genre_table(movies: pd.DataFrame) -> pd.DataFrame:
    """One row per (movie_id, genre); films without genres are absent."""
    table = movies[["movie_id", "genres"]].explode("genres").dropna(subset=["genres"])
    return table.rename(columns={"genres": "genre"}).reset_index(drop=True)


def _stats(y_true: np.ndarray, y_pred: np.ndarray) -> dict:
    """Accuracy plus the standard error of the mean squared error (for significance tests)."""
    squared = (y_true - y_pred) ** 2
    se = float(squared.std(ddof=1) / np.sqrt(len(squared))) if len(squared) > 1 else float("nan")
    variance = float(y_true.var()) if len(y_true) else 0.0
    # R² = 1 − MSE / Var(y): its standard error is about that of the MSE over Var(y).
    return {**accuracy(y_true, y_pred), "mse_se": se, "r2_se": se / variance if variance > 0 else float("nan")}


def segment_metrics(frame: pd.DataFrame, genres: pd.DataFrame) -> dict:
    """Global and per-genre accuracy of ``frame`` (columns movie_id, rating, prediction)."""
    result = {"global": _stats(frame["rating"].to_numpy(float), frame["prediction"].to_numpy(float)), "segments": {}}
    joined = frame[["movie_id", "rating", "prediction"]].merge(genres, on="movie_id")
    for genre, part in joined.groupby("genre", sort=True):
        result["segments"][str(genre)] = _stats(part["rating"].to_numpy(float), part["prediction"].to_numpy(float))
    return result


def paired_comparison(frame: pd.DataFrame, genres: pd.DataFrame) -> dict:
    """Champion against challenger on the same ratings (columns movie_id, rating, champion,
    challenger): RMSE of each, globally and per genre, and the paired z of the challenger's extra
    squared error (positive = the challenger is worse)."""
    def compare(part: pd.DataFrame) -> dict:
        y = part["rating"].to_numpy(float)
        old, new = (y - part["champion"].to_numpy(float)) ** 2, (y - part["challenger"].to_numpy(float)) ** 2
        diff = new - old
        se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else np.nan
        z = float(diff.mean() / se) if se and np.isfinite(se) and se > 0 else 0.0
        return {"count": int(len(y)), "champion_rmse": float(np.sqrt(old.mean())),
                "challenger_rmse": float(np.sqrt(new.mean())), "z": z}
    joined = frame[["movie_id", "rating", "champion", "challenger"]].merge(genres, on="movie_id")
    return {"global": compare(frame), "segments": {str(g): compare(part) for g, part in joined.groupby("genre", sort=True)}}


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


def judge_challenger(comparison: dict, drift: DriftReport, policy: DriftPolicy = DriftPolicy()) -> Decision:
    """Promote only if the challenger improves every degraded segment, harms no stable segment and
    does not regress globally; ``comparison`` comes from :func:`paired_comparison`."""
    reasons, checks = [], []
    segments = comparison["segments"]

    def usable(segment: str) -> bool:
        return segment in segments and segments[segment]["count"] >= policy.min_segment_count

    improved = 0
    for segment in drift.degraded:
        if not usable(segment):
            checks.append({"segment": segment, "kind": "degraded", "outcome": "too few validation ratings"})
            continue
        info = segments[segment]
        ok = info["challenger_rmse"] < info["champion_rmse"]
        improved += ok
        checks.append({"segment": segment, "kind": "degraded", **info, "outcome": "improved" if ok else "not improved"})
        if not ok:
            reasons.append(f"degraded segment {segment} not improved: RMSE {info['challenger_rmse']:.3f} "
                           f"vs champion {info['champion_rmse']:.3f}")
    for segment in sorted(set(segments) - set(drift.degraded)):
        if not usable(segment):
            continue
        info = segments[segment]
        harmed = info["challenger_rmse"] > info["champion_rmse"] * (1.0 + policy.harm_tolerance) and info["z"] >= policy.harm_z
        checks.append({"segment": segment, "kind": "stable", **info, "outcome": "harmed" if harmed else "ok"})
        if harmed:
            reasons.append(f"stable segment {segment} harmed: RMSE {info['challenger_rmse']:.3f} vs champion "
                           f"{info['champion_rmse']:.3f} (+{100 * (info['challenger_rmse'] / info['champion_rmse'] - 1):.1f}%, "
                           f"z {info['z']:.1f}; tolerance {100 * policy.harm_tolerance:.0f}%, z {policy.harm_z:g})")
    overall = comparison["global"]
    old, new = overall["champion_rmse"], overall["challenger_rmse"]
    regressed = new > old * (1.0 + policy.regression_tolerance)
    checks.append({"segment": "global", "kind": "global", **overall, "outcome": "regressed" if regressed else "ok"})
    if regressed:
        reasons.append(f"global RMSE regressed: {new:.3f} vs champion {old:.3f}")
    if drift.degraded and improved == 0 and not any("not improved" in r for r in reasons):
        reasons.append("no degraded segment had enough validation ratings to confirm an improvement")
    if not drift.degraded and not regressed and not new < old:
        reasons.append(f"no global improvement: RMSE {new:.3f} vs champion {old:.3f}")
    promote = not reasons
    if promote:
        gained = f"improves {improved} degraded segment(s)" if drift.degraded else "improves global RMSE"
        reasons.append(f"promoted: {gained}, harms no stable segment, global RMSE {new:.3f} vs champion {old:.3f}")
    return Decision(promote=promote, reasons=reasons, checks=checks)
