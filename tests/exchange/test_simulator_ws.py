"""WebSocket: books rebuilt from snapshot + deltas equal the exchange's books; seq gaps are healed.

The book-builder here is a deliberately small reference client (the project's real WebSocket
client lives in kalshi_edge.kalshi); it applies messages in order and checks ``seq`` per sid.
A ``list_subscriptions`` command is used as a barrier: the server answers it after every event
that happened before it, so after the reply the rebuilt book must equal the engine's.
"""

from __future__ import annotations

import itertools
import json
from decimal import Decimal as D

import pytest
import requests
from websockets.sync.client import connect

from kalshi_edge.exchange.scenario import builtin_scenario
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock

T = "KXHIGHNY-26JUL12-B84.5"
T2 = "KXHIGHNY-26JUL12-T82"


class BookClient:
    def __init__(self, ws):
        self.ws = ws
        self.books: dict[str, dict[str, dict[D, D]] | None] = {}
        self.last_seq: dict[int, int] = {}
        self.sid: int | None = None
        self.gaps = 0
        self.trailing_gaps = 0
        self.messages = 0
        self.other: list[dict] = []
        self._ids = itertools.count(100)

    def send(self, cmd: str, **params) -> int:
        cid = next(self._ids)
        self.ws.send(json.dumps({"id": cid, "cmd": cmd, "params": params}))
        return cid

    def handle(self, m: dict) -> None:
        self.messages += 1
        if m["type"] == "subscribed" and m["msg"]["channel"] == "orderbook_delta":
            self.sid = m["msg"]["sid"]
            return
        if m["type"] in ("orderbook_snapshot", "orderbook_delta"):
            sid, seq = m["sid"], m["seq"]
            expected = self.last_seq.get(sid, 0) + 1
            self.last_seq[sid] = seq
            t = m["msg"]["market_ticker"]
            if m["type"] == "orderbook_snapshot":
                self.books[t] = {
                    "yes": {D(p): D(c) for p, c in m["msg"]["yes_dollars_fp"]},
                    "no": {D(p): D(c) for p, c in m["msg"]["no_dollars_fp"]},
                }
                return
            if seq != expected:  # gap: drop every book of this sid and ask for a fresh snapshot
                self.gaps += 1
                for k in list(self.books):
                    self.books[k] = None
                self.send("update_subscription", sids=[sid], action="get_snapshot")
                return
            book = self.books.get(t)
            if book is None:
                return  # waiting for the snapshot
            side = book[m["msg"]["side"]]
            p = D(m["msg"]["price_dollars"])
            new = side.get(p, D(0)) + D(m["msg"]["delta_fp"])
            assert new >= 0, f"negative level {t} {p}"
            if new == 0:
                side.pop(p, None)
            else:
                side[p] = new
            return
        self.other.append(m)

    def barrier(self) -> None:
        cid = self.send("list_subscriptions")
        while True:
            m = json.loads(self.ws.recv(timeout=10))
            if m.get("id") == cid and m["type"] == "ok":
                self.messages += 1
                break
            self.handle(m)
        # a snapshot requested at a gap may still be in flight: wait for it too
        while any(b is None for b in self.books.values()):
            self.handle(json.loads(self.ws.recv(timeout=10)))

    def as_engine_book(self, t: str):
        b = self.books[t]
        assert b is not None
        return (sorted(b["yes"].items(), reverse=True), sorted(b["no"].items(), reverse=True))


def _server_seq(sim, sid: int) -> int:
    for conn in list(sim.simulator.hub.conns):
        if sid in conn.subs:
            return conn.subs[sid].seq
    raise AssertionError(f"sid {sid} unknown to the server")


def _check(sim, client: BookClient, where: str) -> None:
    """Books must match unless the last message(s) of the sid were dropped (a gap is only
    visible when the next message arrives, as on Kalshi); then ask for a snapshot explicitly."""
    assert client.sid is not None
    if client.last_seq[client.sid] != _server_seq(sim, client.sid):
        client.trailing_gaps += 1
        client.send("update_subscription", sids=[client.sid], action="get_snapshot")
        for k in list(client.books):
            client.books[k] = None
        client.barrier()
    for t in (T, T2):
        assert client.as_engine_book(t) == _engine_book(sim, t), where


def _engine_book(sim, t):
    b = sim.exchange.engine.book(t)
    return (b.yes, b.no)


def _orders():
    """A scripted order flow touching both markets, both sides, partial fills and cancels."""
    return [
        {"ticker": T, "side": "yes", "action": "buy", "count": 5, "yes_price_dollars": "0.2700"},
        {"ticker": T, "side": "no", "action": "buy", "count": 40, "no_price_dollars": "0.7200"},
        {"ticker": T, "side": "yes", "action": "buy", "count": 250, "yes_price_dollars": "0.3200"},
        {"ticker": T2, "side": "no", "action": "buy", "count": 7, "no_price_dollars": "0.8600"},
        {"ticker": T, "side": "yes", "action": "sell", "count": 3, "yes_price_dollars": "0.2000"},
        {"ticker": T2, "side": "yes", "action": "buy", "count": 30, "yes_price_dollars": "0.1500"},
    ]


def _run_session(sim, client: BookClient):
    b = sim.base_url
    client.send("subscribe", channels=["orderbook_delta"], market_tickers=[T, T2])
    client.barrier()
    _check(sim, client, "after subscribe")
    resting: list[str] = []
    for i, body in enumerate(_orders()):
        r = requests.post(b + "/portfolio/orders", json={**body, "client_order_id": f"ws-{i}"}, timeout=10)
        assert r.status_code == 201, r.text
        if r.json()["order"]["status"] == "resting":
            resting.append(r.json()["order"]["order_id"])
        client.barrier()
        _check(sim, client, f"after order {i}")
    for oid in resting:
        assert requests.delete(b + f"/portfolio/orders/{oid}", timeout=10).status_code == 200
        client.barrier()
        _check(sim, client, f"after cancel {oid}")
    # external liquidity moving (what a replay does) is streamed the same way
    sim.set_book(T, yes=[("0.3000", "12")], no=[("0.6500", "9")])
    client.barrier()
    _check(sim, client, "after external book change")


def test_books_from_websocket_equal_exchange_books():
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim:
        with connect(sim.ws_url, open_timeout=5) as ws:
            client = BookClient(ws)
            _run_session(sim, client)
            assert client.gaps == 0 and client.trailing_gaps == 0
            assert client.messages > 20


def test_injected_seq_gap_is_detected_and_healed():
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), faults="seq_gap:0.3", seed=5) as sim:
        with connect(sim.ws_url, open_timeout=5) as ws:
            client = BookClient(ws)
            _run_session(sim, client)
            assert client.gaps >= 1  # gaps were detected from seq and healed by get_snapshot
            assert sim.faults.injected["seq_gap"] >= client.gaps + client.trailing_gaps


def test_ticker_trade_fill_channels_and_commands():
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim, \
            connect(sim.ws_url, open_timeout=5) as ws:
        client = BookClient(ws)
        client.send("subscribe", channels=["ticker", "trade", "fill"], market_tickers=[T])
        client.send("subscribe", channels=["nonsense"])
        client.send("subscribe", channels=["orderbook_delta"])  # needs market_tickers
        client.send("unsubscribe", sids=[999])
        client.send("frobnicate")
        client.barrier()
        subscribed = [m for m in client.other if m["type"] == "subscribed"]
        assert [m["msg"]["channel"] for m in subscribed] == ["ticker", "trade", "fill"]
        assert sorted(m["msg"]["code"] for m in client.other if m["type"] == "error") == [2, 5, 7, 8]
        client.other.clear()
        r = requests.post(sim.base_url + "/portfolio/orders", json={
            "ticker": T, "side": "yes", "action": "buy", "count": 2, "yes_price_dollars": "0.3200",
            "client_order_id": "t-1"}, timeout=10)
        assert r.status_code == 201
        client.barrier()
        kinds = [m["type"] for m in client.other]
        assert "trade" in kinds and "fill" in kinds and "ticker" in kinds
        fill = next(m for m in client.other if m["type"] == "fill")["msg"]
        assert (fill["market_ticker"], fill["count_fp"], fill["is_taker"], fill["client_order_id"]) == (T, "2.00", True, "t-1")
        trade = next(m for m in client.other if m["type"] == "trade")["msg"]
        assert trade["taker_side"] == "yes" and trade["count_fp"] == "2.00"
        # unsubscribe really stops the stream
        sids = [m["msg"]["sid"] for m in subscribed]
        client.other.clear()
        client.send("unsubscribe", sids=sids)
        client.barrier()
        assert sum(1 for m in client.other if m["type"] == "unsubscribed") == 3
        client.other.clear()
        requests.post(sim.base_url + "/portfolio/orders", json={
            "ticker": T, "side": "yes", "action": "buy", "count": 1, "yes_price_dollars": "0.3200",
            "client_order_id": "t-2"}, timeout=10)
        client.barrier()
        assert client.other == []


@pytest.mark.slow
def test_ws_drop_fault_closes_connection():
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), faults="ws_drop:1.0") as sim, \
            connect(sim.ws_url, open_timeout=5) as ws:
        ws.send(json.dumps({"id": 1, "cmd": "list_subscriptions"}))
        from websockets.exceptions import ConnectionClosed

        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=5)


def test_server_sends_ping_frames():
    """Kalshi pings every 10 s; the interval is a parameter so this test waits a fraction of a second."""
    import asyncio

    import aiohttp

    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), ping_seconds=0.2) as sim:
        async def first_frame_type():
            async with aiohttp.ClientSession() as session, session.ws_connect(sim.ws_url, autoping=False) as ws:
                msg = await ws.receive(timeout=5)
                await ws.pong(msg.data)
                return msg.type

        assert asyncio.run(first_frame_type()) == aiohttp.WSMsgType.PING


def test_lifecycle_message_on_settlement():
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim, \
            connect(sim.ws_url, open_timeout=5) as ws:
        client = BookClient(ws)
        client.send("subscribe", channels=["market_lifecycle_v2"])
        client.barrier()
        sim.settle(T, "yes")
        client.barrier()
        life = [m for m in client.other if m["type"] == "market_lifecycle_v2"]
        assert [(m["msg"]["market_ticker"], m["msg"]["event_type"], m["msg"]["result"]) for m in life] == [(T, "settled", "yes")]
