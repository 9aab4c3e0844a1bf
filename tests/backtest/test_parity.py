"""One decision loop: a recorded top-of-book day replayed through `kalshi-edge backtest` and through
a paper session (the in-process paper broker, a manual clock) gives identical intents and risk
decisions. Taker-only gates: the two brokers share the matching engine, and only a maker fill
rule (trade-through in the replay) could legitimately differ."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from kalshi_edge.backtest.data import load_top_of_book
from kalshi_edge.backtest.report import DECISION_COLUMNS
from tests.trading.cli import cli_main

ROOT = Path(__file__).resolve().parents[2]
DAY = ROOT / "data/sample/kalshi/top_of_book/market_data_KXHIGHNY-25DEC06.csv.gz"


def _paper_session_decisions(frame) -> list[dict]:
    from kalshi_edge.backtest.broker import MemoryKillSwitch, ReplayBook
    from kalshi_edge.backtest.engine import decision_grid
    from kalshi_edge.config import get_settings
    from kalshi_edge.exchange.state import ManualClock
    from kalshi_edge.trading.brokers import PaperBroker
    from kalshi_edge.trading.intents import GateConfig
    from kalshi_edge.trading.ledger import OrderLedger
    from kalshi_edge.trading.risk import RiskEngine, RiskLimits
    from kalshi_edge.trading.session import TradingSession
    from kalshi_edge.trading.strategy import get_strategy

    ts_ns = frame["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    rows = list(zip(ts_ns.tolist(), frame["ticker"].astype(str).tolist(), frame["yes_bid_c"].tolist(),
                    frame["yes_ask_c"].tolist(), strict=True))
    book = ReplayBook()
    paper = PaperBroker()
    clock = ManualClock(frame["ts"].iloc[0].to_pydatetime())
    state = {"i": 0}

    def source(now):  # the recorded quotes before `now`, observed by the paper broker (as runner does)
        i = state["i"]
        while i < len(rows) and rows[i][0] < int(now.timestamp() * 1e9):
            t, tk, b, a = rows[i]
            book.latest[tk] = (t, b, a)
            i += 1
        state["i"] = i
        snaps = book.source(now)
        for sn in snaps:
            paper.observe(sn)
        return snaps

    gates = GateConfig.from_settings(get_settings(), allow_maker=False)
    sess = TradingSession(strategies=[get_strategy("ladder_consensus")], broker=paper, ledger=OrderLedger(None),
                          risk=RiskEngine(RiskLimits(), MemoryKillSwitch()), gates=gates, markets=source,
                          clock=clock.now, maker_ttl_s=300.0)
    sess.decision_log = []
    import pandas as pd

    for g in decision_grid(ts_ns, 60).tolist():
        clock.set(pd.Timestamp(g, tz="UTC").to_pydatetime())
        sess.step()
    return sess.decision_log


@pytest.mark.slow
def test_backtest_and_paper_session_make_identical_decisions(tmp_path):
    assert cli_main()(["backtest", "--book", str(DAY), "--strategy", "ladder_consensus",
                       "--gates", '{"allow_maker": false}', "--out", str(tmp_path)]) == 0
    with (tmp_path / "decisions.csv").open() as fh:
        backtest = list(csv.DictReader(fh))
    frame, _ = load_top_of_book([DAY])
    paper = _paper_session_decisions(frame)
    assert len(backtest) > 20 and {d["decision"] for d in backtest} >= {"approved"}
    key = [c for c in DECISION_COLUMNS if c != "p_yes"]
    assert [[str(d[c]) for c in key] for d in paper] == [[d[c] for c in key] for d in backtest]
    assert [float(d["p_yes"]) for d in backtest] == pytest.approx([d["p_yes"] for d in paper], abs=1e-12)
