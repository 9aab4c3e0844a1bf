"""Weather features: what the models use, each known at the time it is stamped with.

* :func:`running_high_inputs` — the intraday update's inputs from a climate day's observations up to
  a time: the running high (°F, rounded), the last hour's temperature trend (°F/h), the hours
  since the climate day began, the last reading and its time. Only readings stamped at or before
  ``at`` count (the intraday task and the strategy both call this, so they see the same thing).

The day-ahead model's history features (lags, rolling means, harmonics) are built inside
:func:`kalshi_edge.families.weather.model.issue_day_ahead` from rows dated before the issued day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd


@dataclass(frozen=True, slots=True)
class RunningHigh:
    high_f: int
    trend_f_per_h: float
    hour: float
    last_f: float
    last_ts: pd.Timestamp


def running_high_inputs(obs: pd.DataFrame, at: datetime | pd.Timestamp, day_start: datetime) -> RunningHigh | None:
    """The intraday inputs from ``obs`` (``ts``, ``temp_f``) at ``at``; None without a reading by then."""
    if obs is None or obs.empty:
        return None
    ts = pd.to_datetime(obs["ts"], utc=True)
    at_ts = pd.Timestamp(at)
    at_ts = at_ts.tz_localize("UTC") if at_ts.tzinfo is None else at_ts.tz_convert("UTC")
    keep = ts <= at_ts
    if not keep.any():
        return None
    o = obs.loc[keep].assign(ts=ts[keep]).sort_values("ts")
    last_hour = o[o["ts"] >= o["ts"].iloc[-1] - pd.Timedelta(hours=1)]
    return RunningHigh(
        high_f=int(np.round(o["temp_f"].max())),
        trend_f_per_h=float(last_hour["temp_f"].iloc[-1] - last_hour["temp_f"].iloc[0]),
        hour=(at_ts - pd.Timestamp(day_start)).total_seconds() / 3600,
        last_f=float(o["temp_f"].iloc[-1]),
        last_ts=o["ts"].iloc[-1],
    )
