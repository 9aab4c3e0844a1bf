"""Hourly edge job: reproducible reruns, staleness guard, semantics failures become skip reasons."""

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from kalshi_edge.config import Settings
from kalshi_edge.families.btc.datasets import BTC_EDGE_SNAPSHOTS, BTC_OPPORTUNITIES
from kalshi_edge.families.btc.pipeline import edge_snapshot, run_hourly_edge, sample_ladders
from kalshi_edge.families.btc.pricing import RegionSpec, StaleSpotError, price_regions
from kalshi_edge.lake import Lake

AS_OF = datetime(2026, 3, 5, 14, 5, tzinfo=UTC)


@pytest.fixture()
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "models", kalshi_env="local")


def test_rerun_same_logical_time_reproduces_snapshots(settings, sample_bars):
    a = run_hourly_edge(AS_OF, settings=settings, bars=sample_bars)
    lake = Lake.from_settings(settings)
    first = lake.read(BTC_EDGE_SNAPSHOTS).sort_values("market_ticker").reset_index(drop=True)
    opp1 = lake.read(BTC_OPPORTUNITIES).sort_values(["market_ticker", "side", "action"]).reset_index(drop=True)
    b = run_hourly_edge(AS_OF, settings=settings, bars=sample_bars)
    second = lake.read(BTC_EDGE_SNAPSHOTS).sort_values("market_ticker").reset_index(drop=True)
    opp2 = lake.read(BTC_OPPORTUNITIES).sort_values(["market_ticker", "side", "action"]).reset_index(drop=True)
    assert a == b and a["markets"] == 41
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(opp1, opp2)
    # a different hour adds rows, it does not replace the first hour's
    run_hourly_edge(datetime(2026, 3, 5, 15, 5, tzinfo=UTC), settings=settings, bars=sample_bars)
    assert lake.row_count(BTC_EDGE_SNAPSHOTS) == 82
    assert (first.loc[~first["selected"], "skip_reason"] != "").all()


def test_stale_spot_guard(sample_bars):
    cut = sample_bars[sample_bars["ts"] <= "2026-03-05T13:50Z"]  # newest bar 15 min before as_of
    region = [RegionSpec("X", 70000.0, None, datetime(2026, 3, 5, 15, 0, tzinfo=UTC))]
    with pytest.raises(StaleSpotError, match="old"):
        price_regions(cut, AS_OF, region, max_spot_age_seconds=120)
    snaps, opps = edge_snapshot(cut, AS_OF, sample_ladders(sample_bars, AS_OF), max_spot_age_seconds=120)
    assert len(opps) == 0 and (snaps["skip_reason"] == "stale_inputs").all()
    assert snaps["p_yes"].isna().all()  # no forecast from a stale spot


def test_ladder_probabilities_coherent(sample_bars):
    lads = sample_ladders(sample_bars, AS_OF, n_threshold=41, n_range=40)
    snaps, _ = edge_snapshot(sample_bars, AS_OF, lads)
    thr = snaps[snaps["event_ticker"].str.startswith("KXBTCD")].sort_values("region_low")
    assert np.all(np.diff(thr["p_yes"].to_numpy()) <= 1e-6)
    # brackets + the two tails of the range ladder sum to 1 (computed from the threshold ladder)
    rng = snaps[snaps["event_ticker"].str.startswith("KXBTC-")].sort_values("region_low")
    lo, hi = rng["region_low"].iloc[0], rng["region_high"].iloc[-1]
    below = price_regions(sample_bars, AS_OF, [RegionSpec("lo", None, lo, lads[1].markets[0].close_time)])["p_yes"][0]
    above = price_regions(sample_bars, AS_OF, [RegionSpec("hi", hi, None, lads[1].markets[0].close_time)])["p_yes"][0]
    assert below + rng["p_yes"].sum() + above == pytest.approx(1.0, abs=1e-4)  # p_yes stored to 1e-6


def test_semantics_disagreement_is_skipped_not_priced(sample_bars):
    lads = sample_ladders(sample_bars, AS_OF, n_threshold=3, n_range=2)
    m = lads[0].markets[0]
    lads[0].markets[0] = replace(m, yes_sub_title="$1,000 or above", floor_strike=Decimal("72000"))
    snaps, _ = edge_snapshot(sample_bars, AS_OF, lads)
    row = snaps[snaps["market_ticker"] == m.ticker].iloc[0]
    assert row["skip_reason"] == "unreadable_contract" and not row["selected"]


def test_online_run_refuses_to_replay_live_quotes_for_past_times(settings, sample_bars):
    with pytest.raises(ValueError, match="cannot be replayed"):
        run_hourly_edge(AS_OF, settings=settings, bars=sample_bars, offline=False)
