"""BTC ladders from the local simulator's REST API: parsed, semantics cross-checked, priced coherently.

The simulator's BTC markets and quotes are generated (see exchange/scenario.py); the bars are the
real sample, re-dated by whole days so they end at the simulator's clock.
"""

import numpy as np
import pandas as pd

from kalshi_edge.exchange.scenario import BUILTIN_CLOCK, builtin_scenario
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock
from kalshi_edge.families.btc.pipeline import edge_snapshot, fetch_ladders


def test_simulator_ladders_priced(sample_bars):
    clock = pd.Timestamp(BUILTIN_CLOCK)
    bars = sample_bars.copy()
    bars["ts"] = bars["ts"] + (clock.floor("D") - bars["ts"].iloc[-1].floor("D"))
    bars = bars[bars["ts"] <= clock].reset_index(drop=True)
    with run_simulator_in_thread(scenario=builtin_scenario(), clock=ManualClock(BUILTIN_CLOCK)) as h:
        ladders = fetch_ladders(h.base_url, quote_ts=BUILTIN_CLOCK)
    assert sorted(lad.event_ticker.split("-")[0] for lad in ladders) == ["KXBTC", "KXBTCD"]
    snaps, opps = edge_snapshot(bars, BUILTIN_CLOCK, ladders)
    assert snaps["p_yes"].notna().all()  # every market's semantics agreed and it was priced
    assert not (snaps["skip_reason"] == "unreadable_contract").any()
    thr = snaps[snaps["event_ticker"].str.startswith("KXBTCD")].sort_values("region_low")
    assert np.all(np.diff(thr["p_yes"].to_numpy()) <= 1e-6)
    rng = snaps[snaps["event_ticker"].str.startswith("KXBTC-")]
    # the range event tiles the line (two tails + brackets): probabilities sum to 1
    assert abs(rng["p_yes"].sum() - 1.0) < 1e-4
    assert set(opps["market_ticker"]) == set(snaps.loc[snaps["selected"], "market_ticker"])
