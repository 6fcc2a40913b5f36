"""The label vocabulary: what a person can say about a title, and which profile names are valid.

Shared by the store, the model, the queues and the evaluation, none of which needs a database.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from core.errors import MarqueeError

WOULD_WATCH, WOULD_NOT_WATCH, WOULD_WATCH_MANY = "would_watch", "would_not_watch", "would_watch_many"
LABELS = (WOULD_NOT_WATCH, WOULD_WATCH, WOULD_WATCH_MANY)
LABEL_TEXT = {WOULD_WATCH: "Would watch", WOULD_NOT_WATCH: "Would not watch",
              WOULD_WATCH_MANY: "Would watch many times"}
# Changes that are not labels (recorded as events so they can be undone).
SKIP, CLEAR, EXCLUDE, UNEXCLUDE = "skip", "clear", "exclude", "unexclude"
# fullmatch, not ``$``: ``$`` also matches before a trailing newline ("ann\n").
PROFILE_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")


@dataclass(frozen=True)
class UndoResult:
    movie_id: int
    action: str          # the action that was undone
    restored: str | None  # the label now in force for that title (None: unlabeled)


def validate_profile(name: str) -> str:
    if not isinstance(name, str) or not PROFILE_PATTERN.fullmatch(name):
        raise MarqueeError(f"profile name {name!r} is not allowed: use letters, digits, '.', '_', '@' or '-' (max 64)")
    return name


def validate_label(label: str) -> str:
    if label not in LABELS:
        hint = " (a skip is not a label: use skip())" if label == SKIP else ""
        raise MarqueeError(f"unknown label {label!r}: expected one of {', '.join(LABELS)}{hint}")
    return label

