"""The dashboard's endpoints on a lake seeded by a paper session against the simulator: the
numbers match the exchange's own account and the ledger, and everything is behind the login."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi import Request
from fastapi.testclient import TestClient

from kalshi_edge.dashboard.app import create_app
from kalshi_edge.ops.readiness import CRITERIA, FAMILY_SERIES
from kalshi_edge.trading.ledger import OrderLedger
from kalshi_edge.trading.portfolio import mark_value


async def logged_in(request: Request) -> str:  # stands in for Airflow's JWT check
    return "tester"


@pytest.fixture
def client(paper_lake):
    return TestClient(create_app(authenticate=logged_in))


def test_summary_numbers_match_the_exchange_and_the_ledger(paper_lake, client):
    body = client.get("/api/summary").json()
    assert body["ledger"] == "orders_paper.jsonl" and set(body["families"]) == set(FAMILY_SERIES)
    fams = body["families"].values()
    positions = {p["ticker"]: p for f in fams for p in f["positions"]}
    # Positions are the exchange's.
    assert {t: Decimal(p["position"]) for t, p in positions.items()} == paper_lake.open_positions
    # Marks are the exchange's current mids; unrealized = mark value − cost.
    for t, p in positions.items():
        assert Decimal(p["mark_yes"]) == paper_lake.exchange_marks[t]
        assert Decimal(p["unrealized"]) == mark_value(Decimal(p["position"]), Decimal(p["mark_yes"])) - Decimal(p["cost"])
    # Cash moved by exactly realized PnL net of fees minus what the open positions cost.
    realized = sum(Decimal(f["pnl"]["realized_net"]) for f in fams)
    cost = sum(Decimal(p["cost"]) for p in positions.values())
    assert realized - cost == paper_lake.exchange_cash_change
    ledger = OrderLedger(paper_lake.ledger_path)
    assert realized == ledger.realized_pnl()
    for f in fams:
        assert Decimal(f["pnl"]["total_net"]) == Decimal(f["pnl"]["realized_net"]) + Decimal(f["pnl"]["unrealized"])
        assert Decimal(f["pnl"]["realized_net"]) == Decimal(f["pnl"]["realized_gross"]) - Decimal(f["pnl"]["fees"])
        if f["equity_curve"]:
            assert Decimal(f["equity_curve"][-1]["pnl_net"]) == Decimal(f["pnl"]["realized_net"])
        assert f["open_orders"] == []  # the session cancelled its resting orders on shutdown
    assert paper_lake.resting_orders == 0


def test_predictions_events_freshness_and_readiness_per_family(paper_lake, client):
    body = client.get("/api/summary").json()
    ledger = OrderLedger(paper_lake.ledger_path)
    traded = {}
    for r in ledger.orders.values():
        if r.action == "buy" and (r.ticker not in traded or r.decided_at >= traded[r.ticker].decided_at):
            traded[r.ticker] = r
    for fam, f in body["families"].items():
        preds = {p["ticker"]: p for p in f["predictions"]}
        mine = {t: r for t, r in traded.items() if r.family == fam}
        assert set(mine) <= set(preds)
        for t, r in mine.items():
            assert preds[t]["p_model"] == pytest.approx(r.p_yes) and preds[t]["decision"] == "trade"
            assert Decimal(preds[t]["edge"]) > 0 and preds[t]["side"] == r.side
        seqs = [e["seq"] for e in f["ledger_events"]]
        assert seqs == sorted(seqs, reverse=True) and len(seqs) <= 15  # newest first
        fresh = {d["dataset"]: d for d in f["freshness"]}
        assert fresh["kalshi_markets"]["last_partition"].endswith("date=2026-07-13")
        assert fresh["kalshi_markets"]["quarantined_rows"] == 0 and fresh["trading_pnl"]["rows"] == len(paper_lake.settled)
        crit = f["readiness"]["criteria"]
        assert f["readiness"]["ready"] is False
        assert len(crit) == len(CRITERIA) * len(FAMILY_SERIES[fam])
    settled_events = [e for f in body["families"].values() for e in f["ledger_events"] if e["event"] == "settled"]
    assert {e["ticker"]: e["result"] for e in settled_events} == paper_lake.settled


def test_equity_png_and_page(client):
    png = client.get("/api/equity/btc.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get("/api/equity/nope.png").status_code == 404
    page = client.get("/")
    assert page.status_code == 200 and "/api/summary" in page.text and "<script" in page.text
    assert client.get("/api/summary", params={"ledger": "../../etc/passwd"}).status_code == 404


def test_everything_but_the_icon_is_behind_the_login(paper_lake):
    anon = TestClient(create_app())  # the real Airflow JWT check, no token
    assert anon.get("/api/summary").status_code == 401
    assert anon.get("/api/equity/btc.png").status_code == 401
    page = anon.get("/", follow_redirects=False)
    assert page.status_code == 303 and "login" in page.headers["location"]
    assert "next=/kalshi-edge/" in page.headers["location"].replace("%2F", "/")
    assert anon.get("/icon.svg").status_code == 200


def test_model_health_shows_the_last_retrain_and_its_score_next_to_the_baseline(paper_lake, client):
    from kalshi_edge.modeling.artifacts import ArtifactMeta, ArtifactStore

    store = ArtifactStore(paper_lake.settings.models_dir)
    store.save(ArtifactMeta(family="weather", name="KNYC_day_ahead", as_of="2026-07-12",
                            training_window=("2016-01-01", "2026-07-11"),
                            score={"rps": 0.7858, "n": 365}, baseline={"rps": 1.0, "n": 365}), {"coef": [1, 2]})
    models = client.get("/api/summary").json()["families"]["weather"]["models"]
    assert len(models) == 1
    m = models[0]
    assert m["artifact"].startswith("weather/KNYC_day_ahead @ 20260712-") and m["trained_as_of"] == "2026-07-12"
    assert m["scores"] == {"rps": 0.7858, "n": 365.0} and m["baseline"] == {"rps": 1.0, "n": 365.0}


def test_stored_btc_edge_snapshots_show_model_vs_market_and_the_skip_reason(settings, lake):
    # Synthetic rows (the snapshot job needs a trained BTC model and live spot): one selected
    # market and one the gates skipped, to check the adapter's normalization.
    import pandas as pd

    from kalshi_edge.dashboard.summary import edge_rows
    from kalshi_edge.trading.intents import SkipReason

    ts = pd.Timestamp("2026-07-12T15:00:00Z")
    base = {"as_of": ts, "event_ticker": "KXBTCD-26JUL1217", "close_ts": ts + pd.Timedelta(hours=2),
            "region_low": 66000.0, "region_high": None, "spot": 66100.0, "spot_ts": ts, "sigma": 0.01,
            "yes_ask_size": "10", "no_ask_size": "10", "quote_ts": ts, "fee_yes_taker": "0.02",
            "fee_no_taker": "0.02", "model_version": "btc-20260712", "date": "2026-07-12"}
    rows = [
        {**base, "market_ticker": "KXBTCD-26JUL1217-T65999.99", "p_yes": 0.70, "yes_bid": "0.60", "yes_ask": "0.62",
         "no_bid": "0.38", "no_ask": "0.40", "ev_yes_taker": "0.0780", "ev_no_taker": "-0.1020",
         "ev_yes_maker": "0.1000", "ev_no_maker": "-0.0800", "selected": True, "skip_reason": ""},
        {**base, "market_ticker": "KXBTCD-26JUL1217-T66499.99", "p_yes": 0.41, "yes_bid": "0.40", "yes_ask": "0.42",
         "no_bid": "0.58", "no_ask": "0.60", "ev_yes_taker": "-0.0120", "ev_no_taker": "-0.0100",
         "ev_yes_maker": None, "ev_no_maker": None, "selected": False, "skip_reason": "edge_too_small"},
    ]
    lake.write("btc_edge_snapshots", pd.DataFrame(rows), source="test")
    out = {r["ticker"]: r for r in edge_rows(lake, "btc")}
    sel, skip = out["KXBTCD-26JUL1217-T65999.99"], out["KXBTCD-26JUL1217-T66499.99"]
    assert (sel["p_model"], sel["p_market"], sel["side"], sel["decision"]) == (0.70, pytest.approx(0.61), "yes", "trade")
    assert Decimal(sel["edge"]) == Decimal("0.1")  # the best option (maker YES), exact
    assert skip["decision"] == "skip" and skip["skip_reason"] == SkipReason.EDGE_TOO_SMALL.value
    assert Decimal(skip["edge"]) == Decimal("-0.01") and skip["side"] == "no" and skip["p_market"] == pytest.approx(0.41)


def test_stored_billboard_edges_show_model_vs_market_and_the_skip_reason(settings, lake):
    # Synthetic rows (the weekly job needs a week of charts and live markets), one each way.
    import pandas as pd

    from kalshi_edge.dashboard.summary import edge_rows

    base = {"chart_date": "2026-07-18", "song_id": "s", "song": "Song", "match_score": 97.0}
    lake.write("billboard_edges", pd.DataFrame([
        {**base, "market_ticker": "KXTOPSONG-26JUL18-A", "market_title": "A", "p_model": 0.55, "yes_ask": "0.45",
         "no_ask": "0.57", "edge_yes": "0.08", "edge_no": "-0.14", "side": "yes", "tradable": True, "reason": ""},
        {**base, "market_ticker": "KXTOPSONG-26JUL18-B", "market_title": "B", "p_model": 0.10, "yes_ask": "0.11",
         "no_ask": "0.91", "edge_yes": "-0.02", "edge_no": "-0.02", "side": "none", "tradable": False,
         "reason": "edge_too_small"},
    ]), source="test")
    out = {r["ticker"]: r for r in edge_rows(lake, "billboard")}
    a, b = out["KXTOPSONG-26JUL18-A"], out["KXTOPSONG-26JUL18-B"]
    assert a["p_market"] == pytest.approx(0.44) and Decimal(a["edge"]) == Decimal("0.08") and a["decision"] == "trade"
    assert b["decision"] == "skip" and b["skip_reason"] == "edge_too_small" and b["side"] == ""
