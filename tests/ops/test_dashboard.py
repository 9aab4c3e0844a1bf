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
