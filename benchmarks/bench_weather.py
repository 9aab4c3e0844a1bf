"""Weather day-ahead model: skill and speed on the shipped real TMAX samples.

* ``weather_rps_ratio_<station>``: walk-forward day-ahead RPS of the model / the climatology
  baseline over 2024 (each day issued from rows dated before it); reference = climatology in the
  same run; target ratio 0.78 (the issue's acceptance bar, there measured from 2022).
* ``weather_eval_speed``: seconds to issue and score one year of days for one station (model +
  baseline), ratio = baseline-only time / full time (how much the model costs beyond the
  baseline; informative only, no target: the absolute figure, seconds per station-year, is what matters).
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run() -> list[dict]:
    import pandas as pd

    from kalshi_edge.families.weather.evaluate import evaluate_station, read_tmax_csv
    from kalshi_edge.families.weather.model import climatology_pmf, daily_series

    out = []
    timings = {}
    for st in ("KNYC", "KMIA"):
        df = read_tmax_csv(ROOT / "data" / "sample" / "weather" / f"tmax_{st}.csv.gz")
        t0 = time.perf_counter()
        res = evaluate_station(df, st, date(2024, 1, 1))
        timings[st] = time.perf_counter() - t0
        out.append({"name": f"weather_rps_ratio_{st}", "value": round(res.model_rps, 4), "unit": "°F RPS",
                    "ratio": round(res.rps_ratio, 4), "target_ratio": 0.78, "better": "lower"})
    df = read_tmax_csv(ROOT / "data" / "sample" / "weather" / "tmax_KNYC.csv.gz")
    days = pd.date_range("2024-01-01", "2024-12-31")
    t0 = time.perf_counter()
    climatology_pmf(daily_series(df), days)
    base = time.perf_counter() - t0
    out.append({"name": "weather_eval_speed", "value": round(timings["KNYC"], 3), "unit": "s per station-year",
                "ratio": round(base / timings["KNYC"], 4), "target_ratio": None})
    return out


if __name__ == "__main__":
    for row in run():
        print(row)
