"""Walk-forward windows: train on the past ``train_days``, test on the next ``test_days``, step on.

Windows are half-open ``[start, end)`` intervals of tz-aware datetimes (or dates). A test window
never overlaps its own train window, and training data never lies after the test start, so a
model fitted on ``train`` and scored on ``test`` sees no future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, TypeVar

T = TypeVar("T", date, datetime)


@dataclass(frozen=True, slots=True)
class Window(Generic[T]):
    """One walk-forward fold: ``[train_start, train_end)`` then ``[test_start, test_end)``."""

    train_start: T
    train_end: T
    test_start: T
    test_end: T


def walk_forward_windows(
    start: T, end: T, train_days: int = 42, test_days: int = 7, step_days: int = 7
) -> list[Window[T]]:
    """All folds whose test window fits inside ``[start, end)``.

    The first fold trains on ``[start, start + train_days)`` and tests on the following
    ``test_days`` days; each next fold moves forward ``step_days`` days (rolling train window of
    fixed length). Returns an empty list when the span is shorter than ``train_days + test_days``.
    """
    if train_days <= 0 or test_days <= 0 or step_days <= 0:
        raise ValueError("train_days, test_days and step_days must be positive")
    if end <= start:
        raise ValueError(f"end {end} must be after start {start}")
    out: list[Window[T]] = []
    k = 0
    while True:
        tr0 = start + timedelta(days=k * step_days)
        tr1 = tr0 + timedelta(days=train_days)
        te1 = tr1 + timedelta(days=test_days)
        if te1 > end:
            break
        out.append(Window(tr0, tr1, tr1, te1))
        k += 1
    return out
