"""Go-live readiness: each criterion's arithmetic, a family that meets every criterion, the CLI on
the paper-session lake, and the daily DAG task (lake partition + readiness-change alert)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest

from kalshi_edge.ops.heartbeat import read_heartbeats, record_heartbeat, uptime
from kalshi_edge.ops.readiness import (
    CRITERIA,
    FAMILY_SERIES,
    clean_run,
    evaluate_readiness,
    max_drawdown_fraction,
)

D = date(2026, 7, 31)


@pytest.mark.parametrize(("days", "gap", "expected"), [
    ([], 1, 0),                                                      # no data
    ([D - timedelta(days=i) for i in range(30)], 0, 30),            # 30 consecutive days to as_of
    ([D - timedelta(days=i) for i in range(1, 31)], 0, 30),         # up to yesterday: still current
    ([D - timedelta(days=i) for i in range(3, 33)], 1, 0),          # stopped 3 days ago: not clean
    ([D - timedelta(days=i) for i in range(30) if i != 10], 0, 10),  # a missing day ends the run
    ([D - timedelta(days=i) for i in range(30) if i != 10], 1, 30),  # ... unless one gap day is tolerated
    ([D + timedelta(days=1), D], 0, 1),                              # days after as_of are ignored
])
def test_clean_run_counts_days_back_to_the_first_gap(days, gap, expected):
    assert clean_run(days, as_of=D, max_gap_days=gap)[0] == expected


@pytest.mark.parametrize(("pnls", "capital", "expected"), [
    ([], "100", 0.0),
    (["10", "-5"], "100", 5 / 110),          # peak 110 → 105
    (["-20", "10", "-15"], "100", 25 / 100),  # peak is the start: 100 → 75
    (["5", "5"], "100", 0.0),
])
def test_max_drawdown_is_the_worst_fall_from_the_equity_peak(pnls, capital, expected):
    assert max_drawdown_fraction([Decimal(p) for p in pnls], Decimal(capital)) == pytest.approx(expected)


def test_uptime_counts_slots_with_a_heartbeat(settings):
    end = datetime(2026, 7, 31, tzinfo=UTC)
    for i in range(0, 20):  # 20 of the 24 hourly slots of the last day, one slot hit twice
        record_heartbeat(settings, at=end - timedelta(hours=24) + timedelta(hours=i, minutes=1))
    record_heartbeat(settings, at=end - timedelta(hours=24) + timedelta(minutes=30))
    beats = read_heartbeats(settings)
    assert len(beats) == 21
    assert uptime(beats, end=end, days=1, interval_s=3600) == (20 / 24, 20, 24)


def test_a_heartbeat_of_a_run_that_could_not_work_is_downtime(settings):
    end = datetime(2026, 7, 31, tzinfo=UTC)
    for i in range(24):  # every hourly slot has a run, but 4 of them could not reach the exchange
        record_heartbeat(settings, at=end - timedelta(hours=24) + timedelta(hours=i, minutes=1),
                         status="error" if i % 6 == 0 else "ok")
    assert uptime(read_heartbeats(settings), end=end, days=1, interval_s=3600) == (20 / 24, 20, 24)
    assert len(read_heartbeats(settings, ok_only=False)) == 24


def test_the_sensor_writes_an_error_heartbeat_when_it_could_not_work(settings, monkeypatch):
    from airflow.sdk.exceptions import AirflowFailException

    from kalshi_edge.config import get_settings
    from kalshi_edge.ops.heartbeat import heartbeat_path
    from kalshi_edge.trading.sensor import EdgeSensor

    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        sensor = EdgeSensor(task_id="t", families=["btc"])
        # nothing passed the gates: a normal, healthy run (no intents; place_orders checks the exits)
        assert sensor.execute_complete({}, {"status": "timeout", "intents": [], "strategy_errors": {}}) == []
        with pytest.raises(AirflowFailException):  # the exchange never answered
            sensor.execute_complete({}, {"status": "error", "intents": [], "error": "edge scan failed: refused"})
        # a model never priced: not up (place_orders checks the exits, then turns the run red)
        assert sensor.execute_complete({}, {"status": "timeout", "intents": [],
                                            "strategy_errors": {"btc_vol_ladder": "ArtifactMissing"}}) == []
    finally:
        get_settings.cache_clear()
    lines = [json.loads(x) for x in heartbeat_path(settings).read_text().splitlines()]
    assert [e["status"] for e in lines] == ["ok", "error", "error"]
    assert "refused" in lines[1]["detail"] and "btc_vol_ladder" in lines[2]["detail"]
    assert len(read_heartbeats(settings)) == 1


def _seed_ready_billboard(lake, settings, sim_url, as_of: datetime):
    """30 days of KXTOPSONG market data from the real snapshot job against the simulator, plus a
    paper track record and a backtest summary. The track record (30 settled markets, 20 won) and
    the backtest summary are synthetic: a real one needs 30 weekly settlements."""
    from kalshi_edge.kalshi.tasks import run_market_snapshots

    for i in range(30):
        run_market_snapshots(settings, as_of=as_of - timedelta(days=i), base_url=sim_url, series=("KXTOPSONG",),
                             max_books_per_series=1)
    rows = [{"settled_date": (as_of.date() - timedelta(days=i)).isoformat(), "ticker": f"KXTOPSONG-26JUL{i:02d}-X",
             "event_ticker": f"KXTOPSONG-26JUL{i:02d}", "family": "billboard", "result": "yes",
             "contracts_traded": "10", "fees": "0.10", "realized_pnl_gross": "1.10" if i % 3 else "-1.90",
             "realized_pnl_net": "1.00" if i % 3 else "-2.00"} for i in range(30)]
    lake.write("trading_pnl", pd.DataFrame(rows), source="synthetic track record")
    bt = settings.reports_dir / "backtests" / "kxtopsong"
    bt.mkdir(parents=True)
    (bt / "summary.json").write_text(json.dumps({"strategy": "billboard_weekly", "trades": 40, "sharpe": 1.4}))
    (bt / "trades.csv").write_text("ts,ticker,side,action,price,count,fee,liquidity\n"
                                   "2026-07-01T00:00:00+00:00,KXTOPSONG-26JUL04-X,yes,buy,0.40,10,0.10,taker\n")
    (bt / "decisions.csv").write_text("at,client_order_id,strategy,ticker,side,action,price,proposed,liquidity,"
                                      "p_yes,model_version,decision,size\n2026-07-01T00:00:00+00:00,ke-1,"
                                      "billboard_weekly,KXTOPSONG-26JUL04-X,yes,buy,0.40,10,taker,0.6,v1,"
                                      "daily_loss_cap,\n")
    for i in range(30):  # one sensor run a day, every day (the heartbeat slot is a day here)
        record_heartbeat(settings, at=as_of - timedelta(days=i, hours=1))


@pytest.fixture
def ready_settings(tmp_path, monkeypatch, http_sink):
    from kalshi_edge.config import get_settings
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.lake import Lake

    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("KALSHI_EDGE_SENSOR_HEARTBEAT_SECONDS", "86400")
    monkeypatch.setenv("KALSHI_EDGE_ALERT_WEBHOOK_URL", http_sink[0])
    get_settings.cache_clear()
    s = get_settings()
    as_of = datetime(2026, 7, 31, 18, tzinfo=UTC)
    with run_simulator_in_thread(seed=3) as sim:
        _seed_ready_billboard(Lake.from_settings(s), s, sim.base_url, as_of)
    yield s, as_of, http_sink[1]
    get_settings.cache_clear()


@pytest.mark.slow
def test_a_family_meeting_every_criterion_is_ready_and_the_daily_job_records_and_alerts(ready_settings):
    from kalshi_edge.lake import Lake
    from kalshi_edge.ops.readiness import run_daily_readiness

    s, as_of, hooks = ready_settings
    rep = evaluate_readiness(s, as_of=as_of)
    bb = {c.criterion: c for c in rep.criteria if c.family == "billboard"}
    assert set(bb) == set(CRITERIA)
    assert {k: c.passed for k, c in bb.items()} == dict.fromkeys(CRITERIA, True), {k: c.detail for k, c in bb.items()}
    assert bb["clean_data_days"].value == 30
    assert bb["paper_win_rate"].value == pytest.approx(20 / 30)
    assert bb["backtest_sharpe"].value == 1.4
    assert bb["max_drawdown"].value < 0.15
    assert "1 recorded daily_loss_cap denials" in bb["daily_loss_cap"].detail
    assert rep.ready("billboard") and not rep.ready("weather") and not rep.ready("btc")
    assert {c.criterion for c in rep.failing("weather")} >= {"clean_data_days", "backtest_sharpe", "paper_win_rate"}

    # The daily DAG task: yesterday's partition said "not ready"; today's flips it → one alert.
    lake = Lake.from_settings(s)
    yesterday = run_daily_readiness(s, as_of=as_of - timedelta(days=40))  # before the data existed
    assert yesterday["ready"]["billboard"] is False and not hooks
    today = run_daily_readiness(s, as_of=as_of)
    assert today["changes"] == {"billboard": True}
    assert [h["kind"] for h in hooks] == ["readiness_change"] and hooks[0]["details"]["family"] == "billboard"
    stored = lake.read("ops_readiness", where=f"date = '{as_of.date()}'")
    assert len(stored) == len(rep.criteria) and stored[stored["family"] == "billboard"]["passed"].all()
    again = run_daily_readiness(s, as_of=as_of)  # rerun of the same logical date: same rows, no alert
    assert again["changes"] == {} and len(lake.read("ops_readiness", where=f"date = '{as_of.date()}'")) == len(stored)


def test_quarantined_rows_beyond_tolerance_fail_clean_data(tmp_path):
    from kalshi_edge.lake import Lake
    from kalshi_edge.ops.readiness import clean_data_days

    lake = Lake(tmp_path / "lake")
    qdir = lake.quarantine / "kalshi_markets"
    qdir.mkdir(parents=True)
    pd.DataFrame({"_reason": ["yes_bid: cannot convert"] * 5}).to_parquet(qdir / "20260730T000000-abcd.parquet")
    good = lake.dataset_dir("kalshi_markets") / "series_ticker=KXTOPSONG"
    for i in range(3):  # three days of (empty-schema) partitions: rows come from the footers
        d = good / f"date={(D - timedelta(days=i)).isoformat()}"
        d.mkdir(parents=True)
        pd.DataFrame({"ticker": ["A"] * 10}).to_parquet(d / "part-0.parquet")
    c = clean_data_days(lake, "billboard", "KXTOPSONG", as_of=datetime(2026, 7, 31, tzinfo=UTC), min_days=3,
                        max_gap_days=0, max_quarantine=0.01)
    assert not c.passed and "quarantined 5 of 35 rows" in c.detail


def test_readiness_cli_on_the_paper_session_lake_prints_every_criterion(paper_lake, capsys):
    from kalshi_edge.cli.main import main

    assert main(["readiness"]) == 0
    text = capsys.readouterr().out
    lines = [ln for ln in text.splitlines() if "│" in ln]
    for fam, series in FAMILY_SERIES.items():
        for s in series:
            for crit in CRITERIA:
                row = [ln for ln in lines if f" {s} " in ln and f" {crit} " in ln]
                assert len(row) == 1, (s, crit, text[:3000])
                assert ("PASS" in row[0]) != ("FAIL" in row[0])  # a verdict, exactly one
        assert f"{fam}: NOT READY" in text
    for threshold in (">= 30", "> 1.0", "> 55% over >= 30", "< 15%", ">= 99%", "denied", ">= 1"):
        assert threshold in text
    # The paper session's settled markets show up as the settled trades of their series (how many
    # the session held depends on the edge path's maker/taker choices, so count them).
    per_series: dict[str, int] = {}
    for t in paper_lake.settled:
        per_series[t.split("-", 1)[0]] = per_series.get(t.split("-", 1)[0], 0) + 1
    assert per_series
    for s, n in per_series.items():
        (row,) = [ln for ln in lines if f" {s} " in ln and " paper_win_rate " in ln]
        won = re.search(rf"(\d+) won of {n} settled \(needs >= 30\)", row)
        assert won and 0 <= int(won.group(1)) <= n, row


def test_readiness_json_and_bad_family(paper_lake, capsys):
    from kalshi_edge.cli.main import main

    assert main(["readiness", "--family", "weather", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data["families"]) == {"weather"} and data["families"]["weather"]["ready"] is False
    assert {c["criterion"] for c in data["criteria"]} == set(CRITERIA)
    assert all({"value", "threshold", "passed", "detail"} <= set(c) for c in data["criteria"])
    assert main(["readiness", "--family", "nope"]) == 2
