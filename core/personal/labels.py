"""The label vocabulary: what a person can say about a title, and which profile names are valid.

Shared by the store, the model, the queues and the evaluation, none of which needs a database.
"""
from __future__ import annotations

from dataclasses import dataclass

from core.errors import MarqueeError
from core.validation import name as valid_name

WOULD_WATCH, WOULD_NOT_WATCH, WOULD_WATCH_MANY = "would_watch", "would_not_watch", "would_watch_many"
LABELS = (WOULD_NOT_WATCH, WOULD_WATCH, WOULD_WATCH_MANY)
LABEL_TEXT = {WOULD_WATCH: "Would watch", WOULD_NOT_WATCH: "Would not watch",
              WOULD_WATCH_MANY: "Would watch many times"}
# Changes that are not labels (recorded as events so they can be undone).
SKIP, CLEAR, EXCLUDE, UNEXCLUDE = "skip", "clear", "exclude", "unexclude"


@dataclass(frozen=True)
class UndoResult:
    movie_id: int
    action: str          # the action that was undone
    restored: str | None  # the label now in force for that title (None: unlabeled)


def validate_profile(name: str) -> str:
    """A profile name: as any other name (``core.validation.name``), and ``@`` is allowed too."""
    return valid_name(name, "profile name", extra="@")


def validate_label(label: str) -> str:
    if label not in LABELS:
        hint = " (a skip is not a label: use skip())" if label == SKIP else ""
        raise MarqueeError(f"unknown label {label!r}: expected one of {', '.join(LABELS)}{hint}")
    return label

