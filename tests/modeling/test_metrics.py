"""Metrics and walk-forward windows, against hand-computed values."""

from datetime import UTC, date, datetime

import numpy as np
import pytest

from kalshi_edge.modeling.metrics import (
    brier,
    calibration_table,
    ece,
    log_loss,
    reliability_plot_png,
    score_all,
)
from kalshi_edge.modeling.walkforward import walk_forward_windows


def test_brier_hand_computed():
    assert brier([0.8, 0.3, 0.5], [1, 0, 1]) == pytest.approx((0.04 + 0.09 + 0.25) / 3)


def test_log_loss_hand_computed_and_clipped():
    assert log_loss([0.8, 0.3], [1, 0]) == pytest.approx(-(np.log(0.8) + np.log(0.7)) / 2)
    # a confident miss is finite thanks to eps clipping
    assert log_loss([0.0], [1], eps=1e-6) == pytest.approx(-np.log(1e-6))


def test_ece_and_table():
    p = [0.05, 0.05, 0.95, 0.95, 0.55]
    y = [0, 1, 1, 1, 0]
    t = calibration_table(p, y, bins=10)
    assert list(t["count"]) == [2, 0, 0, 0, 0, 1, 0, 0, 0, 2]
    assert t.loc[0, "freq"] == 0.5 and t.loc[9, "freq"] == 1.0
    # |0.5-0.05|*2 + |0-0.55|*1 + |1-0.95|*2 over 5
    assert ece(p, y, bins=10) == pytest.approx((0.9 + 0.55 + 0.1) / 5)
    assert ece([0.0, 1.0], [0, 1]) == 0.0


def test_bad_inputs_rejected():
    with pytest.raises(ValueError, match="length"):
        brier([0.1], [0, 1])
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        brier([1.2], [1])
    with pytest.raises(ValueError, match="0 or 1"):
        brier([0.2], [2])


def test_score_all_and_plot():
    s = score_all([0.2, 0.8], [0, 1])
    assert s["n"] == 2 and s["brier"] == pytest.approx(0.04)
    png = reliability_plot_png({"m": ([0.2, 0.8], [0, 1])})
    assert png[:8] == b"\x89PNG\r\n\x1a\n"


def test_walk_forward_windows_no_overlap():
    ws = walk_forward_windows(date(2026, 1, 1), date(2026, 3, 1), 42, 7, 7)
    assert len(ws) == 2  # 59 days: folds test [Feb12,Feb19) and [Feb19,Feb26)
    for w in ws:
        assert w.train_end == w.test_start and (w.train_end - w.train_start).days == 42
    assert ws[1].test_start == ws[0].test_end
    dt = walk_forward_windows(datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 1, 10, tzinfo=UTC), 3, 2, 2)
    assert [w.test_start.day for w in dt] == [4, 6, 8]
    assert walk_forward_windows(date(2026, 1, 1), date(2026, 1, 5), 42, 7) == []
