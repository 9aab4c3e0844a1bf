"""Matching-engine throughput vs. bare JSON decoding of the same messages, in the same run.

Two workloads on the real KXHIGHNY top-of-book sample (data/sample/kalshi/, 4,000 updates):

* book updates: every recorded top of book applied with ``MatchingEngine.load_levels`` (what the
  simulator's ``--replay`` and the backtester do); reference = ``json.loads`` of the same updates;
* orders: a seeded mix of 20,000 GTC/IOC orders around the book (synthetic flow: a recorded order
  stream does not exist) submitted with ``MatchingEngine.submit``; reference = ``json.loads`` of
  the same orders as REST bodies.

``ratio`` = engine rate / decode rate. Targets: ≥ 0.05 for orders and ≥ 0.03 for book updates
(each recorded update is a shrink plus an add of an external order: two book mutations per
decoded message). Exact Decimal books cost more than decoding JSON but must stay within a small
factor of it.
"""

from __future__ import annotations

import json
import random
from decimal import Decimal
from pathlib import Path

from benchmarks.timing import best_of

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data/sample/kalshi/top_of_book_KXHIGHNY-25DEC05_first4000.csv.gz"
TARGET = 0.05
TARGET_UPDATES = 0.03




def run() -> list[dict]:
    from kalshi_edge.exchange.matching import EngineOrder, MatchingEngine
    from kalshi_edge.exchange.scenario import read_top_of_book

    ups = [u for u in read_top_of_book(SAMPLE)
           if not (u.yes_bid is not None and u.no_bid is not None and u.yes_bid + u.no_bid >= 1)]
    size = Decimal("100")
    raw_updates = [json.dumps({"ticker": u.ticker, "yes_dollars": [[str(u.yes_bid), "100.00"]] if u.yes_bid else [],
                               "no_dollars": [[str(u.no_bid), "100.00"]] if u.no_bid else []}) for u in ups]

    def apply_updates() -> None:
        eng = MatchingEngine()
        for u in ups:
            eng.load_levels(u.ticker, yes=[(u.yes_bid, size)] if u.yes_bid else [],
                            no=[(u.no_bid, size)] if u.no_bid else [])

    def decode_updates() -> None:
        for r in raw_updates:
            json.loads(r)

    rng = random.Random(0)
    orders = []
    for i in range(20_000):
        side = rng.choice(("bid", "ask"))
        cents = rng.randint(40, 60)
        orders.append({"order_id": f"o{i}", "account": rng.choice("abcd"), "ticker": "M", "book_side": side,
                       "price": f"0.{cents:02d}", "count": f"{rng.randint(1, 50)}.00",
                       "time_in_force": rng.choice(("gtc", "gtc", "ioc"))})
    raw_orders = [json.dumps(o) for o in orders]
    prepared = [EngineOrder(**{**o, "price": Decimal(o["price"]), "count": Decimal(o["count"])}) for o in orders]

    def submit_orders() -> None:
        eng = MatchingEngine()
        for o in prepared:
            eng.submit(o)

    def decode_orders() -> None:
        for r in raw_orders:
            json.loads(r)

    t_upd, t_dec = best_of(apply_updates), best_of(decode_updates)
    t_ord, t_dec2 = best_of(submit_orders), best_of(decode_orders)
    upd_rate, dec_rate = len(ups) / t_upd, len(ups) / t_dec
    ord_rate, dec2_rate = len(prepared) / t_ord, len(prepared) / t_dec2
    return [
        {"name": "exchange: recorded book updates (load_levels)", "value": round(upd_rate), "unit": "updates/s",
         "ratio": round(upd_rate / dec_rate, 4), "target_ratio": TARGET_UPDATES},
        {"name": "exchange: order submits (price-time matching)", "value": round(ord_rate), "unit": "orders/s",
         "ratio": round(ord_rate / dec2_rate, 4), "target_ratio": TARGET},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
