"""Offline demo of the Kalshi client package, against the local simulator with faults on.

``run_demo(settings)`` starts the simulator in-process (built-in scenario, manual clock, every
fault kind at a moderate rate, fixed seed) and shows, with the project's own clients:

1. contract semantics of the KXHIGHNY event (which whole °F pays YES, ladder tiling check);
2. the fee table for a few prices (taker/maker, the one fee function);
3. an order session through the faults: every order placed exactly once (client_order_id
   recovery after lost responses), positions equal to the exchange's;
4. a WebSocket session journalled to ``data/journals/``: rebuilt books equal the exchange's, and
   the journal replays to the same books;
5. the hourly snapshot task writing ``kalshi_markets`` / ``kalshi_orderbook_snapshots``.

The exchange package is imported lazily here and in :mod:`kalshi_edge.kalshi.tasks` only (offline
wiring); the client library does not depend on it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from kalshi_edge.kalshi.fees import FeeSchedule, order_fee
from kalshi_edge.kalshi.journal import Journal
from kalshi_edge.kalshi.rest import KalshiRestClient
from kalshi_edge.kalshi.semantics import Ladder, payout_interval
from kalshi_edge.kalshi.ws import KalshiWsClient, rebuild_books

EVENT = "KXHIGHNY-26JUL12"


def _depth_png(book: Any, title: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kalshi_edge.reports.html import figure_html

    fig, ax = plt.subplots(figsize=(6, 2.6))
    ys = book.yes_levels()
    asks = book.yes_asks()
    if ys:
        ax.bar([float(p) for p, _ in ys], [float(c) for _, c in ys], width=0.008, color="tab:green", label="YES bids")
    if asks:
        ax.bar([float(p) for p, _ in asks], [float(c) for _, c in asks], width=0.008, color="tab:red",
               label="YES asks (= 1 − NO bids)")
    ax.set_xlabel("YES price ($)")
    ax.set_ylabel("contracts")
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7)
    fig.tight_layout()
    out = figure_html(fig, alt=title)
    plt.close(fig)
    return out


async def _ws_session(sim: Any, rest: KalshiRestClient, tickers: list[str], journal: Journal) -> dict[str, Any]:
    ws = KalshiWsClient(sim.ws_url, journal=journal, backoff_base=0.01, backoff_max=0.1)
    task = asyncio.create_task(ws.run())
    await ws.wait_for(ws.connected.is_set, timeout=10)
    sub = await ws.subscribe(["orderbook_delta"], tickers)
    checks = []
    for i, (side, price) in enumerate([("bid", "0.30"), ("ask", "0.29"), ("bid", "0.33"), ("ask", "0.40")]):
        await asyncio.to_thread(rest.create_order, ticker=tickers[0], side=side, price=price, count="3",
                                client_order_id=f"demo-ws-{i}")
        cid = await ws.list_subscriptions()
        await ws.wait_for(lambda cid=cid: cid in ws.replies, timeout=10)
        sid = sub.sids.get("orderbook_delta")
        server_seq = sim.call(lambda sid=sid: next(c.subs[sid].seq for c in sim.simulator.hub.conns if sid in c.subs))
        if ws.keeper.last_seq(sid) != server_seq:  # a trailing dropped delta: ask again
            await ws.resnapshot(sub)
        await ws.wait_for(lambda sid=sid: all(t in ws.books for t in tickers) and ws.keeper.in_sync(sid), timeout=10)
        eng = sim.exchange.engine.book(tickers[0])
        mine = ws.books.get(tickers[0])
        checks.append(mine is not None and (dict(mine.yes), dict(mine.no)) == (dict(eng.yes), dict(eng.no)))
    book = ws.books[tickers[0]].copy()
    await ws.stop()
    await asyncio.wait_for(task, 10)
    return {"checks": checks, "book": book, "gaps": ws.keeper.gaps_detected, "deltas": ws.keeper.deltas_applied,
            "frames": ws.frames, "connects": ws.connects}


def run_demo(settings: Any) -> dict[str, Any]:
    """Run the Kalshi client demo offline; returns ``{"title", "summary", "html"}``."""
    from kalshi_edge.exchange.scenario import builtin_scenario
    from kalshi_edge.exchange.simulator import run_simulator_in_thread
    from kalshi_edge.exchange.state import DEFAULT_ACCOUNT, ManualClock
    from kalshi_edge.kalshi.tasks import run_market_snapshots
    from kalshi_edge.reports.html import table_html

    sc = builtin_scenario(seed=2)
    as_of = datetime(2026, 7, 11, 15, 0, tzinfo=UTC)
    summary: list[dict[str, Any]] = []
    parts: list[str] = []
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), faults="all", seed=7) as sim:
        rest = KalshiRestClient(sim.base_url, backoff_base=0.01, backoff_max=0.1, max_retries=8)

        # 1. semantics
        markets = [m for m in rest.iter_markets(event_ticker=EVENT)]
        ladder = Ladder.from_markets(markets, integer=True)
        ladder.check_tiles()
        sem_rows = [{"ticker": m.ticker, "strike_type": m.strike_type, "floor": m.floor_strike, "cap": m.cap_strike,
                     "yes_sub_title": m.yes_sub_title, "pays YES for °F": str(payout_interval(m)),
                     "yes bid": m.yes_bid, "yes ask": m.yes_ask} for m in ladder.markets]
        parts.append(f"<h3>Contract semantics: {EVENT} ({len(markets)} markets, tiles the line: yes)</h3>"
                     + table_html(sem_rows))
        summary.append({"step": "semantics", "result": f"{len(markets)} brackets tile the integer line",
                        "ok": True})

        # 2. fees
        fee_rows = []
        for p in ("0.05", "0.25", "0.50", "0.75", "0.95"):
            fee_rows.append({"price": p, "count": 10,
                             "taker quadratic": order_fee(price=p, count="10"),
                             "maker quadratic": order_fee(price=p, count="10", is_maker=True),
                             "maker quadratic_with_maker_fees": order_fee(
                                 price=p, count="10", is_maker=True,
                                 schedule=FeeSchedule.resolve(series_fee_type="quadratic_with_maker_fees"))})
        parts.append("<h3>Fees (one order of 10 contracts, rounded up to $0.01)</h3>" + table_html(fee_rows))

        # 3. orders through faults
        tickers = [m.ticker for m in ladder.markets[1:3]]
        acks = []
        for i in range(12):
            t = tickers[i % 2]
            acks.append(rest.create_order(ticker=t, side="bid" if i % 3 else "ask",
                                          price=("0.31", "0.28", "0.35")[i % 3], count=str(1 + i % 4),
                                          client_order_id=f"demo-{i}"))
        for a in acks:
            if a.remaining_count > 0:
                rest.cancel_order(a.order_id)
        coids = Counter(r.state.order.client_order_id for r in sim.exchange.orders.values()
                        if r.state.order.client_order_id.startswith("demo-"))
        dupes = sum(n - 1 for n in coids.values())
        positions = rest.get_positions()
        venue = sim.exchange.account(DEFAULT_ACCOUNT).positions
        pos_ok = all(positions[t].position == venue[t].position for t in positions)
        injected = dict(sim.faults.injected)
        recovered = sum(1 for a in acks if a.recovered)
        parts.append(
            "<h3>Order session with every fault on</h3>"
            + table_html([{"orders": len(acks), "exchange orders": sum(coids.values()), "duplicates": dupes,
                           "acks recovered by client_order_id lookup": recovered,
                           "positions equal exchange": pos_ok, **{f"injected {k}": v for k, v in injected.items()}}])
        )
        summary.append({"step": "orders with faults", "result": f"{len(acks)} orders, {dupes} duplicates, "
                        f"{recovered} recovered, faults {sum(injected.values())}", "ok": dupes == 0 and pos_ok})

        # 4. WebSocket + journal
        jdir = settings.data_dir / "journals"
        jpath = jdir / f"demo_{as_of:%Y%m%dT%H%M}.jsonl"
        jpath.parent.mkdir(parents=True, exist_ok=True)
        jpath.unlink(missing_ok=True)
        with Journal(jpath) as journal:
            ws_res = asyncio.run(_ws_session(sim, rest, tickers, journal))
        replayed = rebuild_books(jpath)
        eng = sim.exchange.engine.book(tickers[0])
        replay_ok = tickers[0] in replayed.books and (
            dict(replayed.books[tickers[0]].yes), dict(replayed.books[tickers[0]].no)) == (dict(eng.yes), dict(eng.no))
        parts.append(
            "<h3>WebSocket books vs the exchange</h3>"
            + table_html([{"frames": ws_res["frames"], "deltas applied": ws_res["deltas"],
                           "seq gaps detected and healed": ws_res["gaps"], "connections": ws_res["connects"],
                           "books equal after each step": all(ws_res["checks"]),
                           "journal replay equals exchange": replay_ok, "journal": jpath.name}])
            + _depth_png(ws_res["book"], f"{tickers[0]} rebuilt from the WebSocket")
        )
        summary.append({"step": "websocket books", "result": f"{len(ws_res['checks'])} checks, "
                        f"{ws_res['gaps']} gaps healed", "ok": all(ws_res["checks"]) and replay_ok})

        # 5. the snapshot task (same call as the DAG)
        snap = run_market_snapshots(settings, as_of=as_of, series=("KXHIGHNY", "KXBTCD"), base_url=sim.base_url)
        parts.append("<h3>Hourly snapshot task → lake</h3>" + table_html(
            [{"series": s, **v} for s, v in snap["series"].items()]))
        summary.append({"step": "lake snapshots", "result": ", ".join(
            f"{s}: {v['markets']} markets / {v['books']} books" for s, v in snap["series"].items()),
            "ok": all(v["quarantined"] == 0 for v in snap["series"].values())})
        rest.close()
    return {"title": "Kalshi client (REST, WebSocket, semantics, fees)", "summary": summary, "html": "\n".join(parts)}
