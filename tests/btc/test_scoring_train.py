"""Settlement scoring (outcomes, PnL, HTML) and walk-forward retraining artifacts."""

from datetime import UTC, datetime
from decimal import Decimal

import pandas as pd
import pytest

from kalshi_edge.config import Settings
from kalshi_edge.families.btc.model import load_model
from kalshi_edge.families.btc.pipeline import edge_snapshot, run_hourly_edge, sample_ladders
from kalshi_edge.families.btc.scoring import run_settlement_scoring, score_snapshots, settlement_values
from kalshi_edge.families.btc.train import train

AS_OF = datetime(2026, 3, 5, 14, 5, tzinfo=UTC)


def test_settlement_value_and_outcomes(sample_bars):
    T = pd.Series([pd.Timestamp("2026-03-05T15:00Z")])
    v = settlement_values(sample_bars, T)[0]
    # 5-minute bars: the last close at or before T
    assert v == sample_bars.loc[sample_bars["ts"] == "2026-03-05T15:00Z", "close"].iloc[0]
    snaps, opps = edge_snapshot(sample_bars, AS_OF, sample_ladders(sample_bars, AS_OF))
    res = score_snapshots(snaps, opps, sample_bars)
    assert res["n"] == 41
    rng = snaps[snaps["event_ticker"].str.startswith("KXBTC-")]
    in_rng = int(((v >= rng["region_low"]) & (v <= rng["region_high"])).sum())
    assert in_rng == 1  # exactly one bracket of the range ladder holds the settlement value
    assert res["metrics"]["n"] == 41 and 0 <= res["metrics"]["brier"] <= 1
    # PnL by hand: each opportunity pays 1 if its side wins, minus price and fee
    hand = Decimal(0)
    for r in opps.itertuples():
        lo, hi = r_region(snaps, r.market_ticker)
        yes = (v > lo) if pd.isna(hi) else (lo <= v <= hi)
        hand += Decimal(int(yes if r.side == "yes" else not yes)) - r.price - r.fee
    assert res["pnl_total"] == hand
    assert "<img" in res["html"] and "Brier" in res["html"]


def r_region(snaps, ticker):
    row = snaps[snaps["market_ticker"] == ticker].iloc[0]
    return row["region_low"], row["region_high"]


def test_run_settlement_scoring_writes_report(tmp_path, sample_bars):
    s = Settings(data_dir=tmp_path / "data", models_dir=tmp_path / "models", kalshi_env="local")
    run_hourly_edge(AS_OF, settings=s, bars=sample_bars)
    out = run_settlement_scoring("2026-03-05", settings=s, bars=sample_bars)
    assert out["n"] == 41 and out["brier"] is not None
    assert "<img" in open(out["report"]).read()


@pytest.mark.slow
def test_train_walk_forward_saves_model(tmp_path, sample_bars):
    out = train(sample_bars, datetime(2026, 3, 7, tzinfo=UTC), tmp_path, train_days=5, test_days=3, n_trials=2)
    assert out["folds"] == 3 and out["scores"]["n"] > 0
    params, state, meta = load_model(tmp_path / "btc" / "latest.json")
    assert meta["as_of"].startswith("2026-03-07") and len(meta["trials"]) == 2
    assert meta["fold_scores"]["log_loss"] <= max(t["log_loss"] for t in meta["trials"])
    assert state.n_train > 0
    # no fold -> defaults kept, said so
    out2 = train(sample_bars, datetime(2026, 3, 7, tzinfo=UTC), tmp_path, n_trials=2)
    assert out2["folds"] == 0 and "defaults kept" in out2["note"]
