"""Pricing every market of a 300-strike BTC range event with fees: vectorized vs a per-market loop.

Both sides start from the same fitted forecast (spot, horizon sigma, residual CDF at one as-of
time on the sample bars) and the same 300 bracket markets with quotes, and produce P(YES) and the
EV per contract of YES and NO at the ask after the taker fee:

* reference: a per-market scalar loop — the bracket probability from two CDF lookups, then
  :func:`kalshi_edge.trading.intents.edge_after_fees` for YES and NO (Decimal, the exact ``order_fee``);
* vectorized: one ``prob_above`` call over all 600 bounds, then
  :func:`kalshi_edge.trading.intents.edge_after_fees_vec` (``taker_fee_per_contract_vec``).

``ratio`` = reference time / vectorized time; target ≥ 20. The vectorized EVs are checked
against the scalar ones (to 1e-5 dollars) so the speed is not bought with wrong numbers.
"""

from __future__ import annotations

import time
from pathlib import Path

from benchmarks.timing import best_of

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data/sample/btc/btcusd_5m_2026-02-21_2026-03-06.csv.gz"
TARGET = 20.0
N = 300




def run() -> list[dict]:
    from decimal import Decimal

    import numpy as np
    import pandas as pd

    from kalshi_edge.families.btc.bars import read_bars_csv
    from kalshi_edge.families.btc.model import BarArrays, ModelParams, online_forecast, prob_above_from_z
    from kalshi_edge.trading.intents import edge_after_fees, edge_after_fees_vec
    from kalshi_edge.trading.strategy import MarketSnapshot

    bars = read_bars_csv(SAMPLE)
    as_of = pd.Timestamp("2026-03-06T12:05Z")
    hist = bars[bars["ts"] <= as_of].reset_index(drop=True)
    p = ModelParams()
    t0 = time.perf_counter()
    fc = online_forecast(BarArrays.from_frame(hist), np.array([as_of.value]), 55 * 60 * 10**9, p, 60.0)
    fit_s = time.perf_counter() - t0
    spot, sig, cdf = float(fc.spot[0]), float(fc.sigma[0]), fc.states[int(fc.block[0])].cdf
    lo = np.round(spot / 100) * 100 - 100 * (N // 2) + 100 * np.arange(N)
    hi = lo + 100 - 0.01
    rng = np.random.default_rng(0)
    ya = np.round(rng.uniform(0.02, 0.6, N), 2)
    na = np.round(np.clip(1.01 - ya + 0.01, 0.01, 0.99), 2)
    quotes = [(Decimal(f"{a:.2f}"), Decimal(f"{b:.2f}")) for a, b in zip(ya, na, strict=True)]
    snap = MarketSnapshot(ticker="KXBTC-26MAR0613-B70000", yes_bid=None, yes_ask=None,
                          quote_ts=as_of.to_pydatetime())
    one = Decimal(1)

    def vectorized() -> dict:
        bounds = np.concatenate([lo, hi])[None, :]
        pa = fc.prob_above(bounds, p)[0]
        prob = np.clip(pa[:N] - pa[N:], 0.0, 1.0)
        return {"p": prob, "ev_yes_taker": edge_after_fees_vec(prob, ya),
                "ev_no_taker": edge_after_fees_vec(1 - prob, na)}

    def scalar() -> list:
        out = []
        ls = np.log(spot)
        for i in range(N):
            pl = float(prob_above_from_z(cdf, np.array([(np.log(lo[i]) - ls) / sig]), p.p_floor)[0])
            ph = float(prob_above_from_z(cdf, np.array([(np.log(hi[i]) - ls) / sig]), p.p_floor)[0])
            q = min(max(pl - ph, 0.0), 1.0)
            ey, _ = edge_after_fees(win_prob=q, price=quotes[i][0], count=one, is_maker=False, market=snap,
                                    tick=Decimal("0.01"))
            en, _ = edge_after_fees(win_prob=1 - q, price=quotes[i][1], count=one, is_maker=False, market=snap,
                                    tick=Decimal("0.01"))
            out.append((ey, en))
        return out

    v, s = vectorized(), scalar()
    err = max(abs(float(e[0]) - v["ev_yes_taker"][i]) for i, e in enumerate(s))
    if err > 1e-5:
        raise AssertionError(f"vectorized EV differs from the scalar reference by {err}")
    t_vec = best_of(vectorized, 50)
    t_ref = best_of(scalar, 5)
    ratio = t_ref / t_vec
    return [
        {"name": "btc_price_300_strike_event_vectorized", "value": round(t_vec * 1e3, 4), "unit": "ms/event",
         "ratio": round(ratio, 1), "target_ratio": TARGET},
        {"name": "btc_price_300_strike_event_scalar_loop", "value": round(t_ref * 1e3, 3), "unit": "ms/event",
         "ratio": 1.0, "target_ratio": None},
        {"name": "btc_forecast_fit_one_as_of", "value": round(fit_s, 3), "unit": "s",
         "ratio": None, "target_ratio": None},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
