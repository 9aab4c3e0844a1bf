"""Client ↔ simulator for the endpoints added after spec 3.13 (issue #17), on 127.0.0.1.

Semantics checked against the one matching engine: amend (new total = filled + resting; queue
position kept only for same-price shrinks), decrease, cancel-all, batches with per-order failures and
the tier's batch size, post-only refusal when crossing, reduce-only clipping, self-trade
prevention, order-group trip and reset, queue positions, the historical archive, fee changes,
forecast percentiles, the live weather index and the 3.3x WebSocket channels.

Books are set by the test (``set_book``) so every price is known; the external liquidity belongs to
the exchange account, a second user is ``OTHER``. No recorded payload of these 3.3x shapes exists in
/work/shared/reference (its fixtures are 3.13-era markets, candlesticks and trades), so the shapes
follow KALSHI_API.md "Changes after 3.13" and the official SDK 3.34 models (the SDK itself validates
them in test_sdk_334_shapes.py). The fee-change rows and the fractional/tapered market below are
synthetic: the built-in scenario has none.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal as D

import pytest

from kalshi_edge.exchange.scenario import builtin_scenario
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import DEFAULT_ACCOUNT, ManualClock
from kalshi_edge.kalshi.errors import PermanentError
from kalshi_edge.kalshi.models_334 import fee_schedule_at, parse_event_fee_change, parse_series_fee_change
from kalshi_edge.kalshi.rest import KalshiRestClient
from kalshi_edge.kalshi.ws import KalshiWsClient

T = "KXHIGHNY-26JUL12-B84.5"
T2 = "KXHIGHNY-26JUL12-T82"
FRAC = "KXHIGHNY-26JUL12-B86.5"
OTHER = "other-user"


@pytest.fixture
def env():
    sc = builtin_scenario(seed=5)
    for m in sc.markets:  # synthetic: one fractional market on the tapered deci-cent grid
        if m["ticker"] == FRAC:
            m["fractional_trading_enabled"] = True
            m["price_level_structure"] = "tapered_deci_cent"
            m["price_ranges"] = [{"start": "0.0000", "end": "0.1000", "step": "0.0010"},
                                 {"start": "0.1000", "end": "0.9000", "step": "0.0100"},
                                 {"start": "0.9000", "end": "1.0000", "step": "0.0010"}]
    sc.fee_changes = {  # synthetic rows in the SDK 3.34 SeriesFeeChange / EventFeeChange shapes
        "series": [{"id": "fc-1", "series_ticker": "KXHIGHNY", "fee_type": "quadratic_with_maker_fees",
                    "fee_multiplier": 1.5, "scheduled_ts": "2026-07-12T16:00:00Z"}],
        "events": [{"id": "efc-1", "event_ticker": "KXHIGHNY-26JUL12", "series_ticker": "KXHIGHNY",
                    "fee_type_override": "flat", "fee_multiplier_override": 0.5,
                    "scheduled_ts": "2026-07-12T17:00:00Z"}],
    }
    clock = ManualClock(sc.clock_start)
    with run_simulator_in_thread(scenario=sc, clock=clock, seed=5) as sim:
        for t in (T, T2, FRAC):
            sim.set_book(t, yes=[("0.20", "10")], no=[("0.70", "10")])  # YES 0.20 bid / 0.30 ask
        client = KalshiRestClient(sim.base_url, backoff_base=0.005, backoff_max=0.02, timeout=5.0)
        yield sim, client, clock
        client.close()


def _other(sim, **body):
    body.setdefault("time_in_force", "immediate_or_cancel")
    return sim.exchange.create_order(OTHER, body, v2=True)


def _state(sim, oid):
    return sim.exchange.orders[oid].state


# -- amend and decrease --------------------------------------------------------------------------


def test_amend_sets_total_as_filled_plus_resting_and_keeps_fills(env):
    sim, c, _ = env
    ack = c.create_order(ticker=T, side="bid", count="5", price="0.25")
    _other(sim, ticker=T, side="ask", count="2", price="0.25")  # two of the five fill
    assert _state(sim, ack.order_id).filled_count == 2
    res = c.amend_order(ack.order_id, ticker=T, side="bid", price="0.25", count="8")
    assert (res.fill_count, res.remaining_count) == (D("2"), D("6"))
    o = c.get_order(ack.order_id)
    assert (o.initial_count, o.fill_count, o.remaining_count, o.status) == (D("8"), D("2"), D("6"), "resting")
    with pytest.raises(PermanentError) as exc:  # the total cannot drop to the filled count
        c.amend_order(ack.order_id, ticker=T, side="bid", price="0.25", count="2")
    assert exc.value.status == 400 and "filled" in str(exc.value)
    with pytest.raises(PermanentError):  # the side is the order's
        c.amend_order(ack.order_id, ticker=T, side="ask", price="0.25", count="6")


def test_amend_queue_priority_same_price_shrink_keeps_it_price_change_loses_it(env):
    sim, c, _ = env
    a = c.create_order(ticker=T, side="bid", count="5", price="0.25")
    b = _other(sim, ticker=T, side="bid", count="4", price="0.25", time_in_force="good_till_canceled")
    assert c.get_queue_position(a.order_id) == 0
    c.amend_order(a.order_id, ticker=T, side="bid", price="0.25", count="3")  # shrink: still first
    assert c.get_queue_position(a.order_id) == 0
    assert sim.exchange.engine.queue_position(b.state.order_id) == 3
    c.amend_order(a.order_id, ticker=T, side="bid", price="0.25", count="6")  # grow: to the back
    assert c.get_queue_position(a.order_id) == 4
    c.amend_order(a.order_id, ticker=T, side="bid", price="0.24", count="6")  # new price: own level
    assert c.get_queue_position(a.order_id) == 0
    assert sim.exchange.engine.book(T).yes[:2] == [(D("0.25"), D("4")), (D("0.24"), D("6"))]


def test_amend_to_a_crossing_price_trades_and_post_only_refuses(env):
    sim, c, _ = env
    a = c.create_order(ticker=T, side="bid", count="3", price="0.25")
    res = c.amend_order(a.order_id, ticker=T, side="bid", price="0.30", count="3")  # crosses the 0.30 ask
    assert res.fill_count == 3 and res.remaining_count == 0
    p = c.create_order(ticker=T2, side="bid", count="3", price="0.25", post_only=True)
    with pytest.raises(PermanentError) as exc:
        c.amend_order(p.order_id, ticker=T2, side="bid", price="0.31", count="3")
    assert exc.value.code == "post_only_cross"
    o = c.get_order(p.order_id)
    assert (o.yes_price, o.remaining_count, o.status) == (D("0.25"), D("3"), "resting")  # untouched


def test_decrease_v2_by_and_to(env):
    sim, c, _ = env
    a = c.create_order(ticker=T, side="bid", count="9", price="0.22")
    assert c.decrease_order_v2(a.order_id, reduce_by="2") == 7
    assert c.decrease_order_v2(a.order_id, reduce_to="4") == 4
    assert c.decrease_order_v2(a.order_id, reduce_to="4") == 4  # reduce_to is idempotent
    with pytest.raises(PermanentError):
        c.decrease_order_v2(a.order_id, reduce_by="1", reduce_to="1")


def test_cancel_all_cancels_every_resting_order_once(env):
    sim, c, _ = env
    ids = {c.create_order(ticker=t, side="bid", count="1", price=p).order_id
           for t, p in ((T, "0.21"), (T, "0.22"), (T2, "0.21"))}
    done = c.cancel_all_orders()
    assert {oid for oid, _ in done} == ids and all(q == 1 for _, q in done)
    assert c.cancel_all_orders() == []
    assert not sim.exchange.engine.resting_orders(account=DEFAULT_ACCOUNT)


# -- batches -------------------------------------------------------------------------------------


def test_batch_create_partial_failure_and_batch_cancel(env):
    sim, c, _ = env
    res = c.batch_create_orders([
        {"ticker": T, "side": "bid", "count": "1", "price": "0.21"},
        {"ticker": T, "side": "bid", "count": "1", "price": "0.215"},  # off the cent grid
        {"ticker": "NOPE-1", "side": "bid", "count": "1", "price": "0.21"},
        {"ticker": T2, "side": "ask", "count": "2", "price": "0.29"},
    ])
    assert [r.ok for r in res] == [True, False, False, True]
    assert res[1].error.code == "invalid_price" and res[2].error.code == "not_found"
    ok_ids = [r.summary.order_id for r in res if r.ok]
    assert len(sim.exchange.engine.resting_orders(account=DEFAULT_ACCOUNT)) == 2
    cancel = c.batch_cancel_orders([ok_ids[0], "no-such-order", ok_ids[1]])
    assert [r.ok for r in cancel] == [True, False, True]
    assert cancel[0].reduced_by == 1 and cancel[2].reduced_by == 2
    assert not sim.exchange.engine.resting_orders(account=DEFAULT_ACCOUNT)


def test_batch_size_follows_the_tier_write_budget(env):
    sim, c, _ = env
    limits = c.get_account_limits()
    assert (limits.tier, limits.write_rate, limits.write_capacity) == ("basic", 100, 200)
    assert c.batch_size() == 20  # 200 tokens / 10 per order
    orders = [{"ticker": T, "side": "bid", "count": "1", "price": "0.21"} for _ in range(21)]
    with pytest.raises(PermanentError) as exc:  # the server refuses 21 in one call...
        c.batch_create_orders(orders, batch_size=21)
    assert "batch limit 20" in str(exc.value)
    res = c.batch_create_orders(orders)  # ...the client splits them into 20 + 1
    assert len(res) == 21 and all(r.ok for r in res) and [r.index for r in res] == list(range(21))
    retry = c.batch_create_orders([{**orders[0], "client_order_id": res[0].client_order_id}])
    assert retry[0].ok and retry[0].summary.order_id == res[0].summary.order_id  # landed earlier: recovered


# -- venue rules: post-only, reduce-only, self-trade prevention, tick grids, fractions -------------


def test_post_only_refused_when_crossing(env):
    sim, c, _ = env
    with pytest.raises(PermanentError) as exc:
        c.create_order(ticker=T, side="bid", count="1", price="0.30", post_only=True)
    assert exc.value.code == "post_only_cross"
    ok = c.create_order(ticker=T, side="bid", count="1", price="0.29", post_only=True)
    assert ok.remaining_count == 1


def test_reduce_only_is_clipped_to_the_position(env):
    sim, c, _ = env
    c.create_order(ticker=T, side="bid", count="3", price="0.30", time_in_force="immediate_or_cancel")
    assert c.get_positions()[T].position == 3
    ack = c.create_order(ticker=T, side="ask", count="10", price="0.20", reduce_only=True,
                         time_in_force="immediate_or_cancel")
    assert ack.fill_count == 3  # clipped from 10 to the 3 held
    assert c.get_positions()[T].position == 0
    with pytest.raises(PermanentError) as exc:
        c.create_order(ticker=T, side="ask", count="1", price="0.20", reduce_only=True)
    assert exc.value.code == "reduce_only_violation"


def test_self_trade_prevention_taker_at_cross_and_maker(env):
    sim, c, _ = env
    sim.set_book(T, yes=[], no=[])
    mine = c.create_order(ticker=T, side="ask", count="2", price="0.40")  # own YES ask at 0.40
    t1 = c.create_order(ticker=T, side="bid", count="2", price="0.45", self_trade_prevention_type="taker_at_cross")
    assert (t1.fill_count, t1.remaining_count) == (0, 0)  # the incoming order is canceled
    assert c.get_order(mine.order_id).status == "resting"
    t2 = c.create_order(ticker=T, side="bid", count="2", price="0.45", self_trade_prevention_type="maker")
    assert c.get_order(mine.order_id).status == "canceled"  # the resting one goes, the taker rests
    assert (t2.fill_count, t2.remaining_count) == (0, 2)
    assert not list(c.iter_fills())


def test_tick_grid_and_fractional_counts_per_market(env):
    sim, c, _ = env
    assert c.create_order(ticker=FRAC, side="bid", count="1.50", price="0.055").remaining_count == D("1.50")
    with pytest.raises(PermanentError) as exc:
        c.create_order(ticker=FRAC, side="bid", count="1", price="0.155")  # 0.1-0.9 trades in cents
    assert exc.value.code == "invalid_price"
    with pytest.raises(PermanentError) as exc:
        c.create_order(ticker=T, side="bid", count="1.50", price="0.21")  # T trades whole contracts
    assert "fractional" in str(exc.value)


# -- order groups ----------------------------------------------------------------------------------


def test_order_group_trips_at_the_limit_and_reset_reopens_it(env):
    sim, c, clock = env
    gid = c.create_order_group(3)
    g = c.get_order_group(gid)
    assert (g.contracts_limit, g.auto_cancel, g.triggered) == (D("3"), True, False)
    a = c.create_order(ticker=T, side="bid", count="5", price="0.25", order_group_id=gid)
    b = c.create_order(ticker=T2, side="bid", count="2", price="0.25", order_group_id=gid)
    assert set(c.get_order_group(gid).order_ids) == {a.order_id, b.order_id}
    _other(sim, ticker=T, side="ask", count="3", price="0.25")  # 3 matched within 15 s: the limit
    g = c.get_order_group(gid)
    assert g.triggered is True and g.order_ids == ()
    assert c.get_order(a.order_id).status == "canceled" and c.get_order(b.order_id).status == "canceled"
    with pytest.raises(PermanentError) as exc:
        c.create_order(ticker=T, side="bid", count="1", price="0.25", order_group_id=gid)
    assert exc.value.code == "order_group_triggered"
    c.reset_order_group(gid)
    d = c.create_order(ticker=T, side="bid", count="2", price="0.25", order_group_id=gid)
    clock.advance(16)  # the window rolls: 2 now + 2 later (16 s apart) never reach 3 within 15 s
    _other(sim, ticker=T, side="ask", count="1", price="0.25")
    clock.advance(16)
    _other(sim, ticker=T, side="ask", count="1", price="0.25")
    assert c.get_order_group(gid).triggered is False and c.get_order(d.order_id).status == "executed"
    c.set_order_group_limit(gid, 10)
    assert c.get_order_group(gid).contracts_limit == 10
    c.trigger_order_group(gid)
    assert c.get_order_group(gid).triggered is True
    assert [x.group_id for x in c.list_order_groups()] == [gid]
    c.delete_order_group(gid)
    c.delete_order_group(gid)  # a retried delete finds it gone: done
    assert c.list_order_groups() == []


def test_queue_positions_endpoint(env):
    sim, c, _ = env
    _other(sim, ticker=T, side="bid", count="7", price="0.25", time_in_force="good_till_canceled")
    a = c.create_order(ticker=T, side="bid", count="1", price="0.25")
    b = c.create_order(ticker=T2, side="bid", count="1", price="0.20")  # behind the 10 external
    qs = {q.order_id: q for q in c.get_queue_positions(market_tickers=[T, T2])}
    assert qs[a.order_id].ahead == 7 and qs[b.order_id].ahead == 10
    assert [q.order_id for q in c.get_queue_positions(market_tickers=[T])] == [a.order_id]
    assert len(c.get_queue_positions(event_ticker="KXHIGHNY-26JUL12")) == 2


# -- historical ------------------------------------------------------------------------------------


def test_historical_archive_moves_settled_markets_fills_and_orders(env):
    sim, c, clock = env
    assert c.get_historical_cutoff().market_settled.year == 1970  # nothing archived yet
    c.create_order(ticker=T2, side="bid", count="2", price="0.30", time_in_force="immediate_or_cancel")
    clock.advance(60)
    sim.settle(T2, "yes")
    clock.advance(60)
    sim.exchange.set_historical_cutoff(clock.now())
    clock.advance(60)
    assert c.get_historical_cutoff().orders_updated == clock.now() - timedelta(seconds=60)
    assert T2 in {m.ticker for m in c.iter_historical_markets()}
    assert T2 not in {m.ticker for m in c.get_markets(series_ticker="KXHIGHNY")}
    assert c.get_historical_market(T2).result == "yes"
    with pytest.raises(PermanentError):
        c.get_historical_market(T)  # live, not archived
    assert [f.ticker for f in c.iter_historical_fills()] == [T2] and not list(c.iter_fills())
    assert [o.ticker for o in c.iter_historical_orders()] == [T2]
    assert T2 in {t.ticker for t in c.iter_historical_trades()}
    assert T2 in c.get_historical_positions() and T2 not in c.get_positions()
    now = int(clock.now().timestamp())
    candles = c.get_historical_candlesticks(T2, start_ts=now - 86400 * 5, end_ts=now, period_interval=60)
    assert candles and {"open", "close"} <= set(candles[-1]["price"]) and "volume" in candles[-1]


# -- event data ------------------------------------------------------------------------------------


def test_fee_changes_decode_and_fees_follow_the_schedule(env):
    sim, c, clock = env
    assert [s.change_id for s in c.get_series_fee_changes(series_ticker="KXHIGHNY")] == ["fc-1"]  # still ahead
    series = c.get_series_fee_changes(series_ticker="KXHIGHNY", show_historical=True)
    events = list(c.iter_event_fee_changes(event_ticker="KXHIGHNY-26JUL12"))
    assert [s.fee_multiplier for s in series] == [D("1.5")] and events[0].fee_type_override == "flat"
    before = fee_schedule_at(clock.now(), series_fee_type="quadratic", series_multiplier="1",
                             series_changes=series, event_changes=events)
    mid = fee_schedule_at(clock.now() + timedelta(hours=1, minutes=30), series_fee_type="quadratic",
                          series_multiplier="1", series_changes=series, event_changes=events)
    after = fee_schedule_at(clock.now() + timedelta(hours=3), series_fee_type="quadratic",
                            series_multiplier="1", series_changes=series, event_changes=events)
    assert (before.fee_type, before.multiplier) == ("quadratic", D("1"))
    assert (mid.fee_type, mid.multiplier) == ("quadratic_with_maker_fees", D("1.5"))
    assert (after.fee_type, after.multiplier) == ("flat", D("0.5"))
    with pytest.raises(Exception, match="scheduled_ts"):
        parse_series_fee_change({"id": "x", "series_ticker": "S", "fee_type": "flat", "fee_multiplier": 1})
    with pytest.raises(Exception, match="event_ticker"):
        parse_event_fee_change({"id": "x", "scheduled_ts": "2026-01-01T00:00:00Z"})


def test_forecast_percentiles_are_market_implied_and_ordered(env):
    sim, c, clock = env
    now = int(clock.now().timestamp())
    pts = c.get_forecast_percentile_history("KXHIGHNY", "KXHIGHNY-26JUL12", percentiles=[1000, 5000, 9000],
                                            start_ts=now - 3600, end_ts=now + 3600, period_interval=60)
    assert len(pts) == 1 and pts[0].event_ticker == "KXHIGHNY-26JUL12"
    v = pts[0].values
    assert v[1000] <= v[5000] <= v[9000] and D("78") < v[5000] < D("92")
    assert pts[0].formatted[5000].endswith("°")
    with pytest.raises(PermanentError):
        c.get_forecast_percentile_history("KXHIGHNY", "KXHIGHNY-26JUL12", percentiles=[20000],
                                          start_ts=now, end_ts=now, period_interval=60)


def test_live_weather_index_serves_points_up_to_the_clock(env):
    sim, c, clock = env
    pts = c.get_live_weather("NYC")
    now = int(clock.now().timestamp())
    assert pts and all(p.t <= now for p in pts) and pts[-1].t > now - 300
    assert all(D("60") < p.value < D("95") for p in pts) and pts[0].units == "F"
    assert len(c.get_live_weather("NYC", last_sec=3600)) == 13  # 5-minute points, both ends inclusive
    with pytest.raises(PermanentError) as exc:
        c.get_live_weather("ATLANTIS")
    assert exc.value.status == 404


# -- WebSocket: user_orders, market_positions, order_group_updates ---------------------------------


def test_ws_user_orders_positions_and_group_updates(env):
    sim, c, _ = env
    got: dict[str, list] = {"user_order": [], "market_position": [], "order_group_update": []}

    async def main() -> None:
        ws = KalshiWsClient(sim.ws_url, backoff_base=0.01)
        for kind in got:
            ws.on(kind, lambda x, kind=kind: got[kind].append(x))
        await ws.subscribe(["user_orders", "market_positions", "order_group_updates"])
        task = asyncio.create_task(ws.run(max_reconnects=2))
        await ws.wait_for(lambda: ws.frames >= 3, timeout=5)

        def work() -> None:
            gid = c.create_order_group(50)
            a = c.create_order(ticker=T, side="bid", count="2", price="0.30", time_in_force="immediate_or_cancel",
                               order_group_id=gid)
            got.setdefault("ids", []).append(a.order_id)
            c.trigger_order_group(gid)

        await asyncio.to_thread(work)
        await ws.wait_for(lambda: len(got["order_group_update"]) >= 2 and got["market_position"], timeout=5)
        await ws.stop()
        await asyncio.wait_for(task, 5)

    asyncio.run(main())
    oid = got["ids"][0]
    assert any(o.order_id == oid and o.status == "executed" and o.fill_count == 2 for o in got["user_order"])
    assert got["market_position"][-1].ticker == T and got["market_position"][-1].position == 2
    assert [u.event_type for u in got["order_group_update"]] == ["created", "triggered"]


def test_simulator_fees_follow_the_schedule_and_send_event_fee_update(env):
    sim, c, clock = env
    got: list = []

    def take() -> D:
        ack = c.create_order(ticker=T, side="bid", count="1", price="0.30", time_in_force="immediate_or_cancel")
        return sum((f.fee_cost for f in c.iter_fills(order_id=ack.order_id)), D(0))

    assert take() == D("0.02")  # quadratic ×1: ceil(0.07 × 0.30 × 0.70) = $0.02
    clock.advance(3600 + 60)  # past the series change at 16:00Z: quadratic_with_maker_fees ×1.5
    assert take() == D("0.03")  # ceil(1.5 × 0.07 × 0.21) = $0.03

    async def main() -> None:
        ws = KalshiWsClient(sim.ws_url, backoff_base=0.01)
        ws.on("event_fee_update", got.append)
        await ws.subscribe(["market_lifecycle_v2"])
        task = asyncio.create_task(ws.run(max_reconnects=2))
        await ws.wait_for(lambda: ws.frames >= 1, timeout=5)
        clock.advance(3600)  # past the event change at 17:00Z; the server's sweep applies it
        await ws.wait_for(lambda: bool(got), timeout=5)
        await ws.stop()
        await asyncio.wait_for(task, 5)

    asyncio.run(main())
    assert (got[0].event_ticker, got[0].fee_type_override, got[0].fee_multiplier_override) == (
        "KXHIGHNY-26JUL12", "flat", D("0.5"))
    assert sim.exchange.markets[T].fee_schedule.fee_type == "flat"


def test_backfill_reads_the_historical_endpoints_for_data_older_than_the_cutoff(env, tmp_path):
    from kalshi_edge.kalshi.ingest import ingest_candlesticks, ingest_trades
    from kalshi_edge.lake import Lake

    sim, c, clock = env
    start = clock.now() - timedelta(days=3)
    c.create_order(ticker=T2, side="bid", count="2", price="0.30", time_in_force="immediate_or_cancel")
    clock.advance(60)
    sim.settle(T2, "no")
    clock.advance(60)
    sim.exchange.set_historical_cutoff(clock.now())
    clock.advance(60)
    c.create_order(ticker=T, side="bid", count="1", price="0.30", time_in_force="immediate_or_cancel")
    assert T2 not in {t.ticker for t in c.iter_trades()}  # the old trade has left the live endpoint
    lake = Lake(root=tmp_path / "lake", quarantine=tmp_path / "q", warehouse=tmp_path / "w.duckdb")
    end = clock.now() + timedelta(hours=1)
    tr = ingest_trades(c, lake, start=start, end=end)
    assert tr["historical_trades"] >= 1 and tr["rows_quarantined"] == 0
    stored = lake.read("kalshi_trades")
    assert {T, T2} <= set(stored["ticker"])
    cs = ingest_candlesticks(c, lake, "KXHIGHNY", [T2, T], start=start, end=end)
    assert cs["archived_markets"] == 1 and cs["rows_written"] >= 2


def test_forecast_percentiles_and_weather_index_land_in_the_lake_idempotently(env, tmp_path):
    from kalshi_edge.kalshi.ingest import ingest_forecast_percentiles, ingest_weather_index
    from kalshi_edge.lake import Lake

    sim, c, clock = env
    lake = Lake(root=tmp_path / "lake", quarantine=tmp_path / "q", warehouse=tmp_path / "w.duckdb")
    now = clock.now()
    for _ in range(2):  # a rerun of the same logical time writes the same keys
        f = ingest_forecast_percentiles(c, lake, "KXHIGHNY", "KXHIGHNY-26JUL12", percentiles=[1000, 5000, 9000],
                                        start=now - timedelta(hours=1), end=now + timedelta(hours=1), fetched_at=now)
        w = ingest_weather_index(c, lake, "NYC", last_sec=3600, fetched_at=now)
    assert f["points"] == 1 and f["rows_quarantined"] == 0 and w["points"] == 13 and w["rows_quarantined"] == 0
    fp = lake.read("kalshi_forecast_percentiles")
    wi = lake.read("kalshi_weather_index")
    assert sorted(fp["percentile"]) == [1000, 5000, 9000] and len(wi) == 13
    assert set(wi["city"]) == {"NYC"} and wi["value"].notna().all()


def test_a_higher_tier_allows_bigger_batches():
    with run_simulator_in_thread(tier="premier", seed=1) as sim:
        c = KalshiRestClient(sim.base_url, timeout=5.0)
        assert c.get_account_limits().write_capacity == 2000 and c.batch_size() == 200
        c.close()
