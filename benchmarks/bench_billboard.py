"""Billboard walk-forward backtest: features computed once vs recomputed for every week.

Both sides produce the same 26 weekly predictions (the last 26 charts of the 2019-2023 sample) with
the same model configuration:

* reference: ``predict_for_week`` per week — chart features rebuilt from the truncated history each
  time (what a naive walk-forward does, and what ``predict`` does for one week);
* optimized: ``run_backtest`` — features computed once over all weeks (safe because every feature
  only looks backwards), then one model fit per week.

``ratio`` = reference time / optimized time (target ≥ 1.2: the saving is the feature rebuild; the
per-week LightGBM fits dominate both). The two must give identical probabilities, checked here.
A second row reports model/baseline log loss on those weeks (target < 1).
"""

from __future__ import annotations

import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data/sample/billboard/hot100_2019_2023.csv.gz"
WEEKS = 26


def run() -> list[dict]:
    import numpy as np

    from kalshi_edge.families.billboard.evaluate import run_backtest
    from kalshi_edge.families.billboard.model import ModelConfig, predict_for_week
    from kalshi_edge.sources.charts import read_charts_csv

    charts = read_charts_csv(SAMPLE)
    last = date.fromisoformat(str(charts["chart_date"].max()))
    start = last - timedelta(weeks=WEEKS - 1)
    cfg = ModelConfig()

    t0 = time.perf_counter()
    res = run_backtest(charts, start, last, cfg)
    fast = time.perf_counter() - t0

    weeks = sorted(res.predictions["chart_date"].unique())
    t0 = time.perf_counter()
    ref = [predict_for_week(charts, date.fromisoformat(w), cfg) for w in weeks]
    slow = time.perf_counter() - t0

    got = res.predictions["p_number_one"].to_numpy()
    want = np.concatenate([r["p_number_one"].to_numpy() for r in ref])
    if got.shape != want.shape or not np.allclose(got, want, rtol=0, atol=1e-12):
        raise AssertionError("billboard bench: backtest and per-week predictions differ")
    ll_m, ll_b = res.model_metrics["log_loss"], res.baseline_metrics["log_loss"]
    return [
        {"name": f"billboard_backtest_{len(weeks)}w_seconds", "value": round(fast, 3), "unit": "s",
         "ratio": round(slow / fast, 2), "target_ratio": 1.2},
        {"name": "billboard_logloss_model_over_rank_prior", "value": round(ll_m, 5), "unit": "nats",
         "ratio": round(ll_m / ll_b, 4), "target_ratio": 1.0, "better": "lower"},
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
