"""Edge rows from all three families use the one SkipReason vocabulary (lake snapshots, tables)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd

from kalshi_edge.trading.intents import GateConfig, SkipReason, evaluate_edges

VALUES = {r.value for r in SkipReason}
ROOT = Path(__file__).resolve().parents[2]


def test_btc_weather_and_billboard_edge_rows_share_the_enum(tmp_path):
    # BTC: the lake's btc_edge_snapshots rows (sample bars; synthetic quotes, see btc/pipeline.py)
    from kalshi_edge.families.btc.bars import read_bars_csv
    from kalshi_edge.families.btc.pipeline import edge_snapshot, sample_ladders

    bars = read_bars_csv(ROOT / "data/sample/btc/btcusd_5m_2026-02-21_2026-03-06.csv.gz")
    as_of = datetime(2026, 3, 5, 14, 5, tzinfo=UTC)
    snaps, _ = edge_snapshot(bars, as_of, sample_ladders(bars, as_of))
    btc = set(snaps["skip_reason"]) - {""}

    # Billboard: billboard_edges rows for a matched, a mismatched-date and an unmatched market
    from kalshi_edge.families.billboard.edge import match_markets
    from kalshi_edge.families.billboard.pipeline import edge_rows
    from kalshi_edge.kalshi.models import Market

    pred = pd.DataFrame({"song_id": ["a", "__OTHER__"], "song": ["Lovin On Me", "__OTHER__"],
                         "artist": ["Jack Harlow", ""], "p_number_one": [0.6, 0.4]})
    mk = [Market(ticker=t, event_ticker=t.rsplit("-", 1)[0], yes_sub_title=s, yes_ask=Decimal("0.40"),
                 yes_bid=Decimal("0.38")) for t, s in [("KXTOPSONG-24JAN06-LOM", "Lovin On Me"),
                                                       ("KXTOPSONG-26JUL18-LOM", "Lovin On Me"),
                                                       ("KXTOPSONG-24JAN06-ZZZ", "Nobody Knows This")]]
    bb = edge_rows(match_markets(mk, pred), mk, chart_date=date(2024, 1, 6),
                   at=datetime(2023, 12, 31, 17, tzinfo=UTC), gates=GateConfig())
    billboard = set(bb["reason"]) - {""}

    # Weather: the strategy's probabilities and refusals through the one edge path
    from kalshi_edge.config import Settings
    from kalshi_edge.trading.strategy import MarketSnapshot, get_strategy

    now = datetime(2024, 12, 19, 15, tzinfo=UTC)
    snaps_w = [MarketSnapshot(ticker=f"KXHIGHNY-24DEC20-{s}", yes_bid=Decimal("0.10"), yes_ask=Decimal("0.14"),
                              quote_ts=now) for s in ["T33", "B33.5", "B35.5", "B37.5", "B39.5", "T40"]]
    strat = get_strategy("weather_day_ahead", {"settings": Settings(data_dir=tmp_path, models_dir=tmp_path)})
    probs = strat.probabilities(snaps_w, now)  # no issued forecast in this empty lake: refused
    weather = {r.skip_reason.value for r in evaluate_edges(probs, snaps_w, strategy=strat.name, now=now,
                                                          refusals=strat.refusals) if r.skip_reason}

    assert btc and billboard and weather
    assert btc | billboard | weather <= VALUES
    assert {"event_date_mismatch", "low_match_confidence"} <= billboard and weather == {"no_model"}
