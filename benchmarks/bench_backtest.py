"""Backtest replay throughput vs. reading the same updates from Parquet with DuckDB.

Both sides start from the same Parquet file of one recorded KXHIGHNY day (written once per run):

* reference: DuckDB reads the updates and hands them to Python as rows (``fetchall``) — the least
  work any replay must do to see every update;
* replay: DuckDB reads the same file into a frame, then the backtester replays every update with
  the strategy (``ladder_consensus``), the shared gates, the risk engine and the matching engine.

``ratio`` = replay throughput / reference throughput (updates/s); target ≥ 0.1.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from benchmarks.timing import best_of

ROOT = Path(__file__).resolve().parents[1]
DAY = ROOT / "data/sample/kalshi/top_of_book/market_data_KXHIGHNY-25DEC06.csv.gz"
TARGET = 0.1




def run() -> list[dict]:
    import duckdb
    import pandas as pd

    from kalshi_edge.backtest.data import load_top_of_book
    from kalshi_edge.backtest.engine import Backtester
    from kalshi_edge.trading.strategy import get_strategy

    frame, _ = load_top_of_book([DAY])
    n = len(frame)
    with tempfile.TemporaryDirectory() as tmp:
        pq = Path(tmp) / "updates.parquet"
        # Time as epoch microseconds (int64): no time-zone conversion cost on either side.
        out = frame[["ticker", "yes_bid_c", "yes_ask_c"]].copy()
        out.insert(0, "ts_us", frame["ts"].astype("datetime64[us, UTC]").astype("int64"))
        out.to_parquet(pq, index=False)
        sql = "SELECT ts_us, ticker, yes_bid_c, yes_ask_c FROM read_parquet(?) ORDER BY ts_us"

        def reference() -> None:
            con = duckdb.connect()
            rows = con.execute(sql, [str(pq)]).fetchall()
            assert len(rows) == n
            con.close()

        def replay() -> None:
            con = duckdb.connect()
            f = con.execute(sql, [str(pq)]).df()
            con.close()
            f["ts"] = pd.to_datetime(f.pop("ts_us"), unit="us", utc=True)
            Backtester(get_strategy("ladder_consensus")).run(f)

        get_strategy("ladder_consensus")  # registry import outside the timing
        t_ref = best_of(reference, 5)
        t_rep = best_of(replay, 3)
    ref_ups, rep_ups = n / t_ref, n / t_rep
    ratio = rep_ups / ref_ups
    return [
        {"name": "backtest_replay_updates_per_s", "value": round(rep_ups, 1), "unit": "updates/s",
         "ratio": round(ratio, 4), "target_ratio": TARGET},
        {"name": "duckdb_parquet_read_updates_per_s", "value": round(ref_ups, 1), "unit": "updates/s",
         "ratio": 1.0, "target_ratio": None},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
