"""Promotion rules and the decision log, for any model kind in the artifact store.

:func:`judge_challenger` decides from a paired comparison (:func:`~core.monitoring.drift.paired_comparison`)
and the drift that prompted it; :func:`record_decision` applies the verdict in the store (promote
the challenger or mark it rejected) and appends the decision, with every reason, to the slot's
decision log. A challenger whose metrics are not finite is never promoted (the store refuses).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from core.artifacts import ArtifactStore, Slot
from core.monitoring.drift import DriftPolicy, DriftReport


@dataclass
class Decision:
    promote: bool
    reasons: list[str]
    checks: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)




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


def record_decision(store: ArtifactStore, slot: Slot, champion: str | None, challenger: str, decision: Decision,
                    drift: DriftReport | None = None, **fields: Any) -> dict[str, Any]:
    """Apply ``decision`` to ``challenger`` in ``slot`` and log it; returns the logged record."""
    if decision.promote:
        store.promote(slot, challenger)
    else:
        store.set_status(slot, challenger, "rejected")
    return store.log_decision(slot, {"champion": champion, "challenger": challenger, "promoted": decision.promote,
                                     "reasons": decision.reasons, "checks": decision.checks,
                                     "drift": drift.to_dict() if drift is not None else None, **fields})
