"""Acceptance: the project's Kalshi clients against the local simulator (127.0.0.1, no internet).

(a) With every fault kind switched on, a scripted REST session (list markets, read books, place
    and cancel orders) ends with no duplicate order and an exact final position.
(b) Order books rebuilt by the WebSocket client equal the exchange's books after every step; an
    injected ``seq`` gap is detected and healed; a dropped connection is survived by reconnecting.
(c) (signatures from the official SDK) lives in tests/exchange/test_simulator_auth.py; here the
    project's own signing is checked against ``--auth verify``.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal as D

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

pytest.importorskip("kalshi_edge.exchange.simulator")

from kalshi_edge.exchange.scenario import builtin_scenario  # noqa: E402
from kalshi_edge.exchange.simulator import run_simulator_in_thread  # noqa: E402
from kalshi_edge.exchange.state import DEFAULT_ACCOUNT, ManualClock  # noqa: E402
from kalshi_edge.kalshi.errors import AuthError  # noqa: E402
from kalshi_edge.kalshi.journal import Journal  # noqa: E402
from kalshi_edge.kalshi.rest import KalshiRestClient  # noqa: E402
from kalshi_edge.kalshi.ws import KalshiWsClient, rebuild_books  # noqa: E402

T = "KXHIGHNY-26JUL12-B84.5"
T2 = "KXHIGHNY-26JUL12-T82"


def _client(sim, **kw) -> KalshiRestClient:
    # tiny backoff so the faulted session stays fast; everything else is production behaviour
    kw.setdefault("backoff_base", 0.005)
    kw.setdefault("backoff_max", 0.05)
    kw.setdefault("max_retries", 8)
    kw.setdefault("timeout", 5.0)
    return KalshiRestClient(sim.base_url, **kw)


# -- (a) ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_faulted_rest_session_has_no_duplicates_and_exact_position():
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), faults="all", seed=11) as sim:
        client = _client(sim)
        markets = client.get_markets(series_ticker="KXHIGHNY", status="open")
        assert {T, T2} <= {m.ticker for m in markets}
        by_ticker = {m.ticker: m for m in markets}
        for t in (T, T2):
            book = client.get_orderbook(t)
            assert book.ticker == t
        acks = []
        plan = [(T, "bid", "0.30", "5"), (T, "ask", "0.25", "4"), (T2, "bid", "0.12", "6"),
                (T, "bid", "0.05", "3"), (T2, "ask", "0.30", "2"), (T, "bid", "0.33", "7")] * 4
        for i, (t, side, price, count) in enumerate(plan):
            acks.append(client.create_order(ticker=t, side=side, price=price, count=count,
                                            client_order_id=f"sess-{i}", market=by_ticker[t]))
        for ack in acks:
            if ack.remaining_count > 0:
                client.cancel_order(ack.order_id)

        ex = sim.exchange
        # no duplicate: exactly one exchange order per client_order_id, and one per plan step
        coids = Counter(rec.state.order.client_order_id for rec in ex.orders.values())
        assert all(n == 1 for n in coids.values()) and len(coids) == len(plan)
        assert {a.client_order_id for a in acks} == {f"sess-{i}" for i in range(len(plan))}
        # exact position: what the client reads == the exchange's books == the sum of our fills
        positions = client.get_positions()
        fills = list(client.iter_fills())
        for t in (T, T2):
            venue = ex.account(DEFAULT_ACCOUNT).positions.get(t)
            venue_pos = venue.position if venue else D(0)
            assert (positions[t].position if t in positions else D(0)) == venue_pos
            assert sum((f.signed_yes_count for f in fills if f.ticker == t), D(0)) == venue_pos
        assert all(o.status != "resting" for o in client.iter_orders())
        injected = sim.faults.injected
        assert injected["lost"] + injected["5xx"] + injected["429"] > 0  # the faults really happened
        client.close()


# -- (b) ---------------------------------------------------------------------------------------


def _engine_books(sim, tickers):
    out = {}
    for t in tickers:
        b = sim.exchange.engine.book(t)
        out[t] = (dict(b.yes), dict(b.no))
    return out


def _client_books(ws: KalshiWsClient, tickers):
    return {t: (dict(ws.books[t].yes), dict(ws.books[t].no)) for t in tickers if t in ws.books}


async def _barrier(ws: KalshiWsClient, sim, sub, tickers) -> None:
    """Wait until everything the server queued before now has been processed, then make sure every
    book is in sync (a gap in the very last message is invisible until the next one, as on Kalshi)."""
    cid = await ws.list_subscriptions()
    assert await ws.wait_for(lambda: cid in ws.replies, timeout=10)
    sid = sub.sids["orderbook_delta"]
    server_seq = sim.call(lambda: next(c.subs[sid].seq for c in sim.simulator.hub.conns if sid in c.subs))
    if ws.keeper.last_seq(sid) != server_seq:
        await ws.resnapshot(sub)
    assert await ws.wait_for(lambda: all(t in ws.books for t in tickers) and ws.keeper.in_sync(sid), timeout=10)


async def _ws_session(sim, tmp_path, *, expect_gaps: bool):
    tickers = [T, T2]
    journal = Journal(tmp_path / "ws.jsonl")
    ws = KalshiWsClient(sim.ws_url, journal=journal, backoff_base=0.01, backoff_max=0.1)
    task = asyncio.create_task(ws.run())
    assert await ws.wait_for(ws.connected.is_set, timeout=10)
    sub = await ws.subscribe(["orderbook_delta"], tickers)
    assert await ws.wait_for(lambda: "orderbook_delta" in sub.sids, timeout=10)
    await _barrier(ws, sim, sub, tickers)
    assert _client_books(ws, tickers) == _engine_books(sim, tickers)

    rest = _client(sim)
    plan = [(T, "bid", "0.27", "5"), (T, "ask", "0.28", "40"), (T, "bid", "0.32", "250"), (T2, "ask", "0.14", "7"),
            (T, "ask", "0.20", "3"), (T2, "bid", "0.15", "30")] * 3
    resting = []
    steps = 0
    for i, (t, side, price, count) in enumerate(plan):
        ack = await asyncio.to_thread(rest.create_order, ticker=t, side=side, price=price, count=count,
                                      client_order_id=f"ws-{i}")
        if ack.remaining_count > 0:
            resting.append(ack.order_id)
        await _barrier(ws, sim, sub, tickers)
        assert _client_books(ws, tickers) == _engine_books(sim, tickers), f"after order {i}"
        steps += 1
    for oid in resting:
        await asyncio.to_thread(rest.cancel_order, oid)
        await _barrier(ws, sim, sub, tickers)
        assert _client_books(ws, tickers) == _engine_books(sim, tickers), f"after cancel {oid}"
        steps += 1
    sim.call(lambda: sim.set_book(T, yes=[("0.3000", "12")], no=[("0.6500", "9")]))
    await _barrier(ws, sim, sub, tickers)
    assert _client_books(ws, tickers) == _engine_books(sim, tickers)
    await ws.stop()
    await asyncio.wait_for(task, 10)
    journal.close()
    rest.close()
    return ws, steps


@pytest.mark.slow
def test_ws_books_equal_exchange_books_after_every_step(tmp_path):
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim:
        ws, steps = asyncio.run(_ws_session(sim, tmp_path, expect_gaps=False))
        assert ws.keeper.gaps_detected == 0 and ws.keeper.deltas_applied > steps
        # the journal replays to the same books the client held at the end
        final = _engine_books(sim, [T, T2])
    replayed = rebuild_books(tmp_path / "ws.jsonl")
    assert {t: (dict(b.yes), dict(b.no)) for t, b in replayed.books.items()} == final


@pytest.mark.slow
def test_ws_seq_gaps_are_detected_and_healed(tmp_path):
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), faults="seq_gap:0.3", seed=5) as sim:
        ws, _ = asyncio.run(_ws_session(sim, tmp_path, expect_gaps=True))
        assert ws.keeper.gaps_detected >= 1
        assert sim.faults.injected["seq_gap"] >= 1


@pytest.mark.slow
def test_ws_reconnects_and_resubscribes_after_drops(tmp_path):
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), faults="ws_drop:0.15", seed=3) as sim:
        async def session():
            ws = KalshiWsClient(sim.ws_url, backoff_base=0.01, backoff_max=0.05)
            task = asyncio.create_task(ws.run())
            sub = await ws.subscribe(["orderbook_delta"], [T])
            rest = _client(sim)
            for i in range(30):
                await asyncio.to_thread(rest.create_order, ticker=T, side="bid" if i % 2 else "ask",
                                        price="0.30" if i % 2 else "0.29", count="1", client_order_id=f"d-{i}")
            # eventually connected, subscribed and in sync with the exchange
            def synced():
                return (ws.connected.is_set() and "orderbook_delta" in sub.sids and T in ws.books
                        and _client_books(ws, [T]) == _engine_books(sim, [T]))
            ok = await ws.wait_for(synced, timeout=15)
            if not ok:  # a trailing dropped message: ask once more, as a real consumer would
                await ws.resnapshot(sub)
                ok = await ws.wait_for(synced, timeout=15)
            await ws.stop()
            await asyncio.wait_for(task, 10)
            rest.close()
            return ws, ok
        ws, ok = asyncio.run(session())
        assert ok
        assert ws.connects >= 2 and sim.faults.injected["ws_drop"] >= 1


# -- (c) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["rsa", "ed25519"])
def test_project_signing_is_accepted_and_wrong_key_refused(tmp_path, kind):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048) if kind == "rsa" else \
        ed25519.Ed25519PrivateKey.generate()
    other = ed25519.Ed25519PrivateKey.generate()
    (tmp_path / "kid.pem").write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    with run_simulator_in_thread(auth="verify", keys_dir=tmp_path, seed=1) as sim:
        good = KalshiRestClient(sim.base_url, key_id="kid", private_key=key, max_retries=0)
        assert good.get_balance().balance > 0
        bad = KalshiRestClient(sim.base_url, key_id="kid", private_key=other, max_retries=0)
        with pytest.raises(AuthError, match="401"):
            bad.get_balance()

        async def ws_check():
            ws = KalshiWsClient(sim.ws_url, key_id="kid", private_key=key)
            task = asyncio.create_task(ws.run())
            assert await ws.wait_for(ws.connected.is_set, timeout=10)
            await ws.stop()
            await asyncio.wait_for(task, 10)
            wrong = KalshiWsClient(sim.ws_url, key_id="kid", private_key=other)
            with pytest.raises(AuthError, match="401"):
                await asyncio.wait_for(wrong.run(), 10)
        asyncio.run(ws_check())
        good.close()
        bad.close()


def test_ws_channels_decode_to_the_domain_model():
    from kalshi_edge.kalshi.models import BookSide, Fill, Trade
    from kalshi_edge.kalshi.ws import TickerUpdate

    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim:
        async def session():
            got: dict[str, list] = {"ticker": [], "trade": [], "fill": [], "lifecycle": []}
            ws = KalshiWsClient(sim.ws_url)
            for kind in got:
                ws.on(kind, got[kind].append)
            task = asyncio.create_task(ws.run())
            sub = await ws.subscribe(["ticker", "trade", "fill", "market_lifecycle_v2"], [T])
            assert await ws.wait_for(lambda: len(sub.sids) == 4, timeout=10)
            rest = _client(sim)
            best_ask = (await asyncio.to_thread(rest.get_orderbook, T)).best_yes_ask
            ack = await asyncio.to_thread(rest.create_order, ticker=T, side="bid", price=str(best_ask), count="2",
                                          client_order_id="chan-1", time_in_force="immediate_or_cancel")
            assert await ws.wait_for(lambda: got["fill"] and got["trade"] and got["ticker"], timeout=10)
            sim.call(lambda: sim.settle(T, "yes"))
            assert await ws.wait_for(lambda: any(e.event_type == "settled" for e in got["lifecycle"]), timeout=10)
            settlements = await asyncio.to_thread(lambda: list(rest.iter_settlements()))
            await ws.stop()
            await asyncio.wait_for(task, 10)
            rest.close()
            return got, ack, settlements
        got, ack, settlements = asyncio.run(session())
    assert ack.fill_count == D("2")
    fill = got["fill"][0]
    assert isinstance(fill, Fill) and fill.order_id == ack.order_id and fill.book_side is BookSide.BID
    assert sum(f.count for f in got["fill"]) == D("2") and all(f.is_taker for f in got["fill"])
    assert isinstance(got["trade"][0], Trade) and got["trade"][0].ticker == T
    assert isinstance(got["ticker"][-1], TickerUpdate) and got["ticker"][-1].market_ticker == T
    settled = next(e for e in got["lifecycle"] if e.event_type == "settled")
    assert settled.market_ticker == T and settled.result == "yes"
    st = next(x for x in settlements if x.ticker == T)
    assert st.market_result == "yes" and st.yes_count == D("2") and st.revenue == D("2.00")  # $1 per YES contract


def test_every_market_data_and_portfolio_endpoint_parses(tmp_path):
    """One call per endpoint the simulator implements, through the project's client and models."""
    from datetime import timedelta

    from kalshi_edge.kalshi.ingest import ingest_candlesticks, ingest_trades
    from kalshi_edge.lake import Lake

    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim:
        c = _client(sim)
        assert c.get_exchange_status()["trading_active"] in (True, False)
        series = c.list_series()
        assert "KXHIGHNY" in {s.ticker for s in series}
        assert c.get_series("KXHIGHNY").fee_type in ("quadratic", "quadratic_with_maker_fees", "flat")
        events = list(c.iter_events(series_ticker="KXHIGHNY"))
        ev = c.get_event(events[0].event_ticker, with_nested_markets=True)
        assert ev.markets and all(m.event_ticker == ev.event_ticker for m in ev.markets)
        m = c.get_market(T)
        assert m.ticker == T
        books = c.get_orderbooks([T, T2])
        assert set(books) == {T, T2} and books[T] == c.get_orderbook(T)
        ack = c.create_order(ticker=T, side="bid", price=str(books[T].best_yes_ask), count="1",
                             client_order_id="ep-1", time_in_force="immediate_or_cancel")
        assert ack.fill_count == D("1")
        # replaying the same intent (as after a crash before the ack was recorded): 409 → the same order
        again = _client(sim).create_order(ticker=T, side="bid", price=str(books[T].best_yes_ask), count="1",
                                          client_order_id="ep-1", time_in_force="immediate_or_cancel")
        assert again.recovered and again.order_id == ack.order_id
        assert [o.client_order_id for o in c.iter_orders()] == ["ep-1"]
        assert c.get_order(ack.order_id).order_id == ack.order_id
        assert c.find_order_by_client_id("ep-1").order_id == ack.order_id
        assert c.find_order_by_client_id("nope") is None
        assert [f.order_id for f in c.iter_fills()] == [ack.order_id]
        assert c.get_positions()[T].position == D("1")
        assert c.get_balance().balance > 0
        assert list(c.iter_settlements()) == []
        trades = list(c.iter_trades(ticker=T))
        assert any(t.count == D("1") for t in trades)
        lake = Lake(root=tmp_path / "lake", quarantine=tmp_path / "q", warehouse=tmp_path / "w.duckdb")
        now = sim.exchange.now()
        tr = ingest_trades(c, lake, ticker=T, start=now - timedelta(days=3), end=now + timedelta(hours=1))
        assert tr["trades"] == len(trades) and tr["rows_quarantined"] == 0
        cs = ingest_candlesticks(c, lake, "KXHIGHNY", [T], start=now - timedelta(days=3),
                                 end=now + timedelta(hours=1), period_minutes=60)
        assert cs["rows_written"] >= 1 and cs["rows_quarantined"] == 0  # at least the candle of our trade
        batch = c.get_candlesticks_batch([T, T2], start_ts=int((now - timedelta(days=3)).timestamp()),
                                         end_ts=int((now + timedelta(hours=1)).timestamp()))
        assert set(batch) == {T, T2} and len(batch[T]) == cs["rows_written"]
        c.close()


@pytest.mark.slow
def test_ws_book_equals_published_book_after_every_single_message(tmp_path):
    """Message-level check: the server records its published book for every (sid, seq) it sends;
    after the client processes each snapshot/delta, its book must equal that record exactly."""
    sc = builtin_scenario(seed=2)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start)) as sim:
        hub = sim.simulator.hub
        published: dict[tuple[int, int], tuple[str, tuple[dict, dict]]] = {}

        def state(t):
            b = hub.books.get(t, {"yes": {}, "no": {}})
            return (dict(b["yes"]), dict(b["no"]))

        orig_dispatch, orig_snapshot = hub._dispatch, hub.snapshot_msg

        def dispatch(ev):  # runs on the server loop; the message is queued inside, sent after we return
            orig_dispatch(ev)
            if ev.kind == "delta":
                for conn in list(hub.conns):
                    for sub in conn.subs.values():
                        if sub.channel == "orderbook_delta" and (sub.tickers is None or ev.ticker in sub.tickers):
                            published[(sub.sid, sub.seq)] = (ev.ticker, state(ev.ticker))

        def snapshot(sub, ticker):
            msg = orig_snapshot(sub, ticker)
            published[(sub.sid, msg["seq"])] = (ticker, state(ticker))
            return msg

        def install():
            hub._dispatch, hub.snapshot_msg = dispatch, snapshot

        sim.call(install)

        async def session():
            ws = KalshiWsClient(sim.ws_url)
            last: dict[str, tuple[int, int]] = {}
            results = {"checked": 0, "mismatch": []}

            def on_raw(msg):
                if msg.get("type") in ("orderbook_snapshot", "orderbook_delta"):
                    last["key"] = (msg["sid"], msg["seq"])

            def on_book(ticker):
                t, expected = published[last["key"]]
                assert t == ticker
                mine = ws.books[ticker]
                results["checked"] += 1
                if (dict(mine.yes), dict(mine.no)) != expected:
                    results["mismatch"].append(last["key"])

            ws.on("raw", on_raw)
            ws.on("book", on_book)
            task = asyncio.create_task(ws.run())
            await ws.subscribe(["orderbook_delta"], [T, T2])
            rest = _client(sim)
            plan = [(T, "bid", "0.27", "5"), (T, "ask", "0.28", "40"), (T, "bid", "0.32", "250"),
                    (T2, "ask", "0.14", "7"), (T, "ask", "0.20", "3"), (T2, "bid", "0.15", "30")] * 2
            for i, (t, side, price, count) in enumerate(plan):
                await asyncio.to_thread(rest.create_order, ticker=t, side=side, price=price, count=count,
                                        client_order_id=f"m-{i}")
            cid = await ws.list_subscriptions()
            assert await ws.wait_for(lambda: cid in ws.replies, timeout=10)
            await ws.stop()
            await asyncio.wait_for(task, 10)
            rest.close()
            return results, ws.keeper.gaps_detected

        results, gaps = asyncio.run(session())
    assert gaps == 0 and results["mismatch"] == []
    assert results["checked"] == len(published) > 10  # every message sent was checked
