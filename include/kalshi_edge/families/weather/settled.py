"""Map recorded settled KXHIGH contracts through the contract semantics and check their results.

The recorded layout (``highest_temp_settled_2021_2024.csv.gz``): ``date, city, series,
contract_subtitle, market_type (range|above|below|unknown), temp_low, temp_high, last_price_cents,
volume, result``. Each row becomes a :class:`~kalshi_edge.kalshi.models.Market` whose strike fields
come from ``market_type``/``temp_low``/``temp_high`` and whose ``yes_sub_title`` is the recorded
subtitle, so :func:`~kalshi_edge.kalshi.semantics.payout_interval` cross-checks the two; rows of
type ``unknown`` (2021-22) carry text only (">86°"), which then decides alone.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd

from kalshi_edge.kalshi.errors import SemanticsError
from kalshi_edge.kalshi.models import Market
from kalshi_edge.kalshi.semantics import IntInterval, payout_interval

SERIES_STATION = {"KXHIGHNY": "KNYC", "KXHIGHMIA": "KMIA"}

_STRIKE_TYPE = {"range": "between", "above": "greater_or_equal", "below": "less_or_equal"}


def _dec(v: object) -> Decimal | None:
    if v is None or (isinstance(v, float) and pd.isna(v)) or str(v).strip() == "":
        return None
    return Decimal(str(v))


def market_from_settled_row(row: pd.Series | dict, index: int = 0) -> Market:
    """A Market built from one recorded settled row (strike fields + subtitle)."""
    mtype = str(row["market_type"]).strip()
    strike_type = _STRIKE_TYPE.get(mtype)
    floor = cap = None
    if mtype in ("range", "above"):
        floor = _dec(row["temp_low"])
    if mtype in ("range", "below"):
        cap = _dec(row["temp_high"])
    return Market(
        ticker=f"{row['series']}-{row['date']}-row{index}",
        series_ticker=str(row["series"]),
        yes_sub_title=str(row["contract_subtitle"]),
        strike_type=strike_type,
        floor_strike=floor,
        cap_strike=cap,
        result=str(row["result"]),
    )


def map_settled(settled: pd.DataFrame, tmax: pd.DataFrame) -> pd.DataFrame:
    """For every settled row: payout interval, the station's TMAX that day, implied and recorded result.

    Returns the rows with added ``interval``, ``tmax_f``, ``implied`` (yes/no/None) and ``status``:
    ``match`` | ``mismatch`` | ``unmapped`` (semantics refused; see ``reason``) | ``no_tmax``.
    """
    highs = {
        (str(r.station), pd.Timestamp(r.date).strftime("%Y-%m-%d")): r.tmax_f
        for r in tmax.itertuples(index=False)
    }
    out = []
    for i, row in enumerate(settled.to_dict("records")):
        rec = dict(row)
        station = SERIES_STATION.get(str(row["series"]))
        t = highs.get((station, str(row["date"]))) if station else None
        rec["tmax_f"] = t
        try:
            iv: IntInterval | None = payout_interval(market_from_settled_row(row, i))
            rec["interval"] = str(iv)
            rec["reason"] = ""
        except SemanticsError as exc:
            iv = None
            rec["interval"] = None
            rec["reason"] = str(exc)
        if iv is None:
            rec["implied"], rec["status"] = None, "unmapped"
        elif t is None or pd.isna(t):
            rec["implied"], rec["status"] = None, "no_tmax"
        else:
            rec["implied"] = "yes" if iv.contains(int(t)) else "no"
            rec["status"] = "match" if rec["implied"] == str(row["result"]).strip() else "mismatch"
        out.append(rec)
    return pd.DataFrame(out)
