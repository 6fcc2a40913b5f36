"""Guard rails: when a taste model is too weak to trust, and how many more labels it needs.

A model is *unreliable* when it learned from fewer than ``MIN_LABELS`` labels, from fewer than
``MIN_PER_CLASS`` labels of either side ("would watch" vs "would not watch"), or when its
cross-validated ROC-AUC is no better than chance. Its predictions then carry
``Flag.UNRELIABLE_MODEL`` and pages show a warning with the message, never a green check.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from core.personal.labels import WOULD_NOT_WATCH

MIN_LABELS = 30
MIN_PER_CLASS = 5
# With an AUC at or below chance the labels carry no usable signal yet; this many more is the
# smallest step after which retraining is worth a look (one CV fold's worth at 5 folds).
MORE_AFTER_CHANCE_AUC = 20


@dataclass(frozen=True)
class Reliability:
    ok: bool
    labels_needed: int                      # more labels to label before the model can be trusted
    reasons: list[str] = field(default_factory=list)

    @property
    def message(self) -> str:
        if self.ok:
            return "reliable enough to use"
        return "Unreliable model: " + "; ".join(self.reasons) + \
            f". Label about {self.labels_needed} more title{'s' if self.labels_needed != 1 else ''} and retrain."


def assess(class_counts: dict[str, int], roc_auc: float | None = None) -> Reliability:
    """Judge a model from its training labels per class and (when known) its CV ROC-AUC."""
    negatives = int(class_counts.get(WOULD_NOT_WATCH, 0))
    positives = int(sum(n for label, n in class_counts.items() if label != WOULD_NOT_WATCH))
    total = negatives + positives
    reasons, needed = [], 0
    if total < MIN_LABELS:
        reasons.append(f"trained on {total} label{'s' if total != 1 else ''} (needs at least {MIN_LABELS})")
        needed = max(needed, MIN_LABELS - total)
    for side, count in (("would watch", positives), ("would not watch", negatives)):
        if count < MIN_PER_CLASS:
            reasons.append(f"only {count} '{side}' label{'s' if count != 1 else ''} (needs {MIN_PER_CLASS})")
            needed = max(needed, MIN_PER_CLASS - count)
    if roc_auc is not None and (not math.isfinite(float(roc_auc)) or float(roc_auc) <= 0.5):
        reasons.append(f"cross-validated ROC-AUC {float(roc_auc):.2f} is no better than chance (0.5)")
        needed = max(needed, MORE_AFTER_CHANCE_AUC)
    return Reliability(ok=not reasons, labels_needed=needed, reasons=reasons)
