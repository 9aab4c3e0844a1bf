"""Offline demo of the exchange area: a scripted session against the local simulator.

``run_demo(settings)`` starts the simulator on loopback with the built-in scenario and a manual
clock (deterministic), then, over plain HTTP exactly as a client would: lists the open markets of
each family, buys at the best ask on one market per family (IOC), rests and cancels a bid,
retries a create with the same ``client_order_id`` (no duplicate), settles the temperature event
with a stated demo outcome (generated: 84 °F), and reports balance, positions and settlements.
"""

from __future__ import annotations

import base64
import html
import io
from decimal import Decimal
from typing import Any

import requests

from kalshi_edge.exchange.scenario import builtin_scenario
from kalshi_edge.exchange.simulator import run_simulator_in_thread
from kalshi_edge.exchange.state import ManualClock

#: Demo-only settlement outcome for KXHIGHNY-26JUL12 (generated, not the recorded result).
DEMO_HIGH_F = 84
FAMILY_MARKETS = {
    "weather": "KXHIGHNY-26JUL12-B84.5",
    "btc": None,  # the KXBTCD strike nearest 50¢, chosen at run time
    "billboard": None,  # the favourite of the KXTOPSONG event
}


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>" for r in rows)
    return f"<h4>{html.escape(title)}</h4><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _depth_plot(book: dict[str, list[list[str]]], ticker: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3))
    yes = [(float(p), float(c)) for p, c in book["yes_dollars"]]
    no_as_ask = [(1 - float(p), float(c)) for p, c in book["no_dollars"]]
    if yes:
        ax.bar([p for p, _ in yes], [c for _, c in yes], width=0.008, color="tab:green", label="YES bids")
    if no_as_ask:
        ax.bar([p for p, _ in no_as_ask], [c for _, c in no_as_ask], width=0.008, color="tab:red",
               label="YES asks (= NO bids)")
    ax.set_xlabel("YES price ($)")
    ax.set_ylabel("contracts")
    ax.set_title(ticker)
    ax.legend()
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    return f'<img alt="order book {html.escape(ticker)}" src="data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}"/>'


def run_demo(settings: Any = None) -> dict[str, Any]:
    """Run the scripted simulator session; return ``{"title", "summary", "html"}``.

    ``settings`` is accepted for the common demo signature; the simulator needs none of it
    (its fee tick is the default $0.01, as in ``Settings.fee_rounding_tick``).
    """
    sc = builtin_scenario(seed=0)
    with run_simulator_in_thread(scenario=sc, clock=ManualClock(sc.clock_start), seed=0) as sim:
        s = requests.Session()
        b = sim.base_url

        def get(path: str, **params: Any) -> dict[str, Any]:
            r = s.get(b + path, params=params, timeout=10)
            r.raise_for_status()
            return r.json()

        markets = get("/markets", limit=1000, status="open")["markets"]
        by_series: dict[str, list[dict[str, Any]]] = {}
        for m in markets:
            by_series.setdefault(m["event_ticker"].split("-")[0], []).append(m)
        btc = min(by_series["KXBTCD"], key=lambda m: abs(Decimal(m["yes_ask_dollars"]) - Decimal("0.5")))
        song = max(by_series["KXTOPSONG"], key=lambda m: Decimal(m["yes_bid_dollars"]))
        picks = {"weather": FAMILY_MARKETS["weather"], "btc": btc["ticker"], "billboard": song["ticker"]}
        book_before = get(f"/markets/{picks['weather']}/orderbook")["orderbook_fp"]
        order_rows = []
        for fam, t in picks.items():
            m = get(f"/markets/{t}")["market"]
            body = {"ticker": t, "side": "yes", "action": "buy", "count": 5, "yes_price_dollars": m["yes_ask_dollars"],
                    "time_in_force": "immediate_or_cancel", "client_order_id": f"demo-{fam}"}
            o = s.post(b + "/portfolio/orders", json=body, timeout=10).json()["order"]
            order_rows.append([fam, t, o["status"], o["fill_count_fp"], o["taker_fill_cost_dollars"], o["taker_fees_dollars"]])
        # idempotency: the same client_order_id again is refused, nothing new is created
        dup = s.post(b + "/portfolio/orders", json={"ticker": picks["btc"], "side": "yes", "action": "buy", "count": 5,
                                                    "yes_price_dollars": "0.0100", "client_order_id": "demo-btc"}, timeout=10)
        # rest a bid below the market and cancel it
        rest = s.post(b + "/portfolio/events/orders", json={"ticker": picks["weather"], "side": "bid", "count": "3.00",
                                                           "price": "0.0500", "client_order_id": "demo-rest"}, timeout=10).json()
        cancel = s.delete(b + f"/portfolio/events/orders/{rest['order_id']}", timeout=10).json()
        # settle the temperature event with the demo outcome
        for m in by_series["KXHIGHNY"]:
            lo, hi, st = m.get("floor_strike"), m.get("cap_strike"), m["strike_type"]
            if st == "between":
                yes = lo <= DEMO_HIGH_F <= hi
            elif st == "less":
                yes = DEMO_HIGH_F < hi
            else:
                yes = DEMO_HIGH_F > lo
            sim.settle(m["ticker"], "yes" if yes else "no")
        bal = get("/portfolio/balance")
        positions = get("/portfolio/positions")["market_positions"]
        settlements = get("/portfolio/settlements")["settlements"]
        book_html = _depth_plot(book_before, picks["weather"])

    start = Decimal(1_000_000) / 100
    pnl = Decimal(bal["balance_dollars"]) - start
    summary = [
        {"item": "open markets served", "value": len(markets)},
        {"item": "families", "value": ", ".join(sorted(by_series))},
        {"item": "orders filled (IOC at best ask)", "value": sum(1 for r in order_rows if r[3] != "0.00")},
        {"item": "duplicate client_order_id answer", "value": dup.status_code},
        {"item": "resting bid cancelled (contracts)", "value": cancel["reduced_by"]},
        {"item": "settlements", "value": len(settlements)},
        {"item": "cash change after settlement ($)", "value": str(pnl)},
    ]
    parts = [
        "<p>A scripted session against the local Kalshi-compatible simulator (built-in scenario; KXHIGHNY "
        f"settled with a <b>generated</b> demo outcome of {DEMO_HIGH_F} °F).</p>",
        _table("Orders", ["family", "ticker", "status", "filled", "cost $", "fee $"], order_rows),
        _table("Positions", ["ticker", "position", "exposure $", "realized PnL $", "fees $"],
               [[p["ticker"], p["position_fp"], p["market_exposure_dollars"], p["realized_pnl_dollars"],
                 p["fees_paid_dollars"]] for p in positions]),
        _table("Settlements", ["ticker", "result", "yes", "no", "revenue ¢"],
               [[x["ticker"], x["market_result"], x["yes_count_fp"], x["no_count_fp"], x["revenue"]] for x in settlements]),
        book_html,
    ]
    return {"title": "Exchange simulator: scripted session", "summary": summary, "html": "\n".join(parts)}
