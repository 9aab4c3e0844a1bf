"""RPS and 2 °F-bracket Brier as tables of hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from kalshi_edge.families.weather.scoring import bracket_brier, bracket_index, rps


def test_rps_of_a_sure_point_forecast_is_the_distance_in_degrees():
    pmf = np.zeros((3, 10))
    pmf[:, 4] = 1.0  # all mass on lo+4 = 54
    assert rps(pmf, 50, np.array([54, 57, 51])).tolist() == [0.0, 3.0, 3.0]


def test_rps_of_a_split_forecast():
    pmf = np.array([[0.0, 0.5, 0.5, 0.0]])  # 0.5 on 61, 0.5 on 62
    # obs 62: F(61)=0.5 vs step 0 -> 0.25; all other k agree
    assert rps(pmf, 60, np.array([62]))[0] == pytest.approx(0.25)


def test_rps_counts_observations_outside_the_grid():
    pmf = np.array([[1.0, 0.0]])  # sure of 60
    assert rps(pmf, 60, np.array([65]))[0] == pytest.approx(5.0)
    assert rps(pmf, 60, np.array([57]))[0] == pytest.approx(3.0)


def test_brackets_are_odd_even_pairs():
    assert bracket_index(np.array([79, 80, 81, 82])).tolist() == [40, 40, 41, 41]


def test_bracket_brier_table():
    pmf = np.array([[0.5, 0.5, 0.0, 0.0]])  # 79, 80 -> bracket 79-80 gets 1.0
    assert bracket_brier(pmf, 79, np.array([80]))[0] == pytest.approx(0.0)
    assert bracket_brier(pmf, 79, np.array([81]))[0] == pytest.approx(2.0)
    pmf2 = np.array([[0.0, 0.5, 0.5, 0.0]])  # 80 and 81: half in each bracket
    assert bracket_brier(pmf2, 79, np.array([81]))[0] == pytest.approx(0.5)
    assert bracket_brier(pmf2, 79, np.array([90]))[0] == pytest.approx(1.5)
