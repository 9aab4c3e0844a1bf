"""The honest day-ahead evaluation behind ``kalshi-edge weather evaluate``.

For every day D from ``start`` to the last dated row, the model's distribution of D's high as issued
at the start of D (local standard midnight: the previous day's high is final), from rows dated
before D only; scored against the recorded high with the RPS and 2 °F-bracket Brier defined in
:mod:`kalshi_edge.families.weather.scoring`, beside the climatology baseline on the same days.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from kalshi_edge.families.weather.model import (
    GRID_LO_F,
    ModelConfig,
    climatology_pmf,
    daily_series,
    issue_day_ahead,
    pmf_rows,
)
from kalshi_edge.families.weather.scoring import bracket_brier, rps

TMAX_COLUMNS = ("date", "station", "ghcn_id", "tmax_f")


class TmaxFileError(ValueError):
    """A TMAX CSV that does not follow the documented ``date,station,ghcn_id,tmax_f`` layout."""


def read_tmax_csv(path: str | Path) -> pd.DataFrame:
    """Read a GHCN TMAX CSV (``date,station,ghcn_id,tmax_f``; gzip allowed), validating each row.

    Raises :class:`TmaxFileError` naming the file, row number (1 = first data row) and field.
    """
    from kalshi_edge.lake.inputs import read_input_csv

    path = Path(path)
    df = read_input_csv(path, what="TMAX CSV", dtype=str, keep_default_na=False)
    missing = [c for c in ("date", "station", "tmax_f") if c not in df.columns]
    if missing:
        raise TmaxFileError(f"{path}: missing column(s) {missing}; expected {','.join(TMAX_COLUMNS)}")
    dates = pd.to_datetime(df["date"], format="%Y-%m-%d", errors="coerce")
    bad = dates.isna()
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise TmaxFileError(f"{path}: row {i + 1} field date: {df['date'].iloc[i]!r} is not YYYY-MM-DD")
    temps = pd.to_numeric(df["tmax_f"].replace("", np.nan), errors="coerce")
    bad = temps.isna() & (df["tmax_f"] != "")
    if bad.any():
        i = int(np.argmax(bad.to_numpy()))
        raise TmaxFileError(f"{path}: row {i + 1} field tmax_f: {df['tmax_f'].iloc[i]!r} is not a number")
    from kalshi_edge.families.weather.datasets import WEATHER_TMAX

    bad_range = WEATHER_TMAX.out_of_range(pd.DataFrame({"tmax_f": temps}))  # inf, 1e300: the declared bounds
    if bad_range:
        i, _, why = bad_range[0]
        raise TmaxFileError(f"{path}: row {i + 1} field tmax_f: {df['tmax_f'].iloc[i]!r}: {why}")
    out = pd.DataFrame({"date": dates, "station": df["station"].str.strip(), "tmax_f": temps})
    if "ghcn_id" in df.columns:
        out["ghcn_id"] = df["ghcn_id"]
    return out


@dataclass(frozen=True)
class EvaluationResult:
    """Per-day scores and the mean figures the CLI prints."""

    station: str
    rows: pd.DataFrame  # date, station, temp_f, p
    per_day: pd.DataFrame  # date, observed_f, model_rps, clim_rps, model_brier2, clim_brier2
    model_rps: float
    clim_rps: float
    model_brier2: float
    clim_brier2: float
    days_issued: int
    days_scored: int

    @property
    def rps_ratio(self) -> float:
        """Model RPS / climatology RPS on the same days (lower is better; < 1 beats climatology)."""
        return self.model_rps / self.clim_rps

    def by_year(self) -> pd.DataFrame:
        """Per calendar year: days, mean RPS of model and climatology, their ratio, 2 °F Brier."""
        d = self.per_day.assign(year=self.per_day["date"].str[:4])
        g = d.groupby("year").agg(days=("model_rps", "size"), model_rps=("model_rps", "mean"),
                                  clim_rps=("clim_rps", "mean"), model_brier2=("model_brier2", "mean"),
                                  clim_brier2=("clim_brier2", "mean"))
        g["rps_ratio"] = g["model_rps"] / g["clim_rps"]
        return g.reset_index()

    def summary(self) -> dict[str, object]:
        return {
            "station": self.station,
            "days_issued": self.days_issued,
            "days_scored": self.days_scored,
            "model_rps": round(self.model_rps, 4),
            "clim_rps": round(self.clim_rps, 4),
            "rps_ratio": round(self.rps_ratio, 4),
            "model_brier2": round(self.model_brier2, 4),
            "clim_brier2": round(self.clim_brier2, 4),
        }


def evaluate_station(
    tmax: pd.DataFrame,
    station: str,
    start: date,
    *,
    end: date | None = None,
    config: ModelConfig | None = None,
    clim_window_days: int = 7,
    progress: Callable[[int], None] | None = None,
) -> EvaluationResult:
    """Walk-forward day-ahead evaluation of one station from ``start`` to ``end`` (default: last row).

    ``tmax``: rows ``date, station, tmax_f`` (as from :func:`read_tmax_csv`). Days without a recorded
    high are issued but not scored. ``progress`` is called with the number of days issued so far
    after each refit block (for a progress bar).
    """
    sub = tmax[tmax["station"] == station]
    if sub.empty:
        stations = sorted(tmax["station"].unique().tolist())
        raise ValueError(f"station {station!r} not in the TMAX rows (have {stations})")
    series = daily_series(sub)
    last = pd.Timestamp(end) if end is not None else series.index.max()
    days = pd.date_range(pd.Timestamp(start), last, freq="D")
    if len(days) == 0:
        raise ValueError(f"no days to evaluate: --from {start} is after the last row {last.date()}")
    forecasts = issue_day_ahead(series, days, config, progress=progress)
    clim = climatology_pmf(series, days, clim_window_days)
    observed = series.reindex(days).to_numpy(float)
    scored = ~np.isnan(observed)
    if not scored.any():
        raise ValueError(f"no recorded highs for {station} between {days[0].date()} and {days[-1].date()}")
    obs = observed[scored]
    m_rps = rps(forecasts.pmf[scored], GRID_LO_F, obs)
    c_rps = rps(clim[scored], GRID_LO_F, obs)
    m_b = bracket_brier(forecasts.pmf[scored], GRID_LO_F, obs)
    c_b = bracket_brier(clim[scored], GRID_LO_F, obs)
    per_day = pd.DataFrame(
        {
            "date": days[scored].strftime("%Y-%m-%d"),
            "observed_f": obs,
            "model_mean_f": forecasts.mean_f[scored],
            "model_rps": m_rps,
            "clim_rps": c_rps,
            "model_brier2": m_b,
            "clim_brier2": c_b,
            "model_pit": mid_pit(forecasts.pmf[scored], GRID_LO_F, obs),
            "clim_pit": mid_pit(clim[scored], GRID_LO_F, obs),
        }
    )
    return EvaluationResult(
        station=station,
        rows=pmf_rows(days, forecasts.pmf, station),
        per_day=per_day,
        model_rps=float(m_rps.mean()),
        clim_rps=float(c_rps.mean()),
        model_brier2=float(m_b.mean()),
        clim_brier2=float(c_b.mean()),
        days_issued=len(days),
        days_scored=int(scored.sum()),
    )


def mid_pit(pmf: np.ndarray, lo: int, observed: np.ndarray) -> np.ndarray:
    """Mid-point probability integral transform of integer observations: ``F(y − 1) + p(y) / 2``
    (uniform on [0, 1] for a calibrated discrete forecast; outside the grid: 0 or 1)."""
    pmf = np.atleast_2d(np.asarray(pmf, dtype=float))
    y = np.round(np.asarray(observed, dtype=float)).astype(int) - lo
    cdf = np.concatenate([np.zeros((len(pmf), 1)), np.cumsum(pmf, axis=1)], axis=1)
    i = np.clip(y, 0, pmf.shape[1] - 1)
    p_y = np.where((y >= 0) & (y < pmf.shape[1]), pmf[np.arange(len(pmf)), i], 0.0)
    below = cdf[np.arange(len(pmf)), np.clip(y, 0, pmf.shape[1])]
    return np.clip(below + 0.5 * p_y, 0.0, 1.0)


def write_rows(rows: pd.DataFrame, out: str | Path) -> Path:
    """Write ``date,station,temp_f,p`` with full float precision (so each day sums to 1)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    rows.to_csv(out, index=False, float_format="%.12g")
    return out


@dataclass(frozen=True)
class ForecastEvaluation:
    """The forecast-driven model vs today's history-only model vs climatology on the same days."""

    station: str
    per_day: pd.DataFrame  # date, observed_f, forecast_rps, today_rps, clim_rps, *_brier2, used
    rows: pd.DataFrame  # the forecast model's pmf rows: date, station, temp_f, p
    summary: pd.DataFrame  # forecast, days, rps, rps_lo, rps_hi, brier2, rmse_mean_f, ratio_vs_today
    market_summary: pd.DataFrame | None = None  # the same figures on the days with market prices, + market


def evaluate_with_forecasts(
    history: pd.Series,
    forecasts: pd.DataFrame,
    station: str,
    start: date,
    *,
    end: date | None = None,
    std_offset_hours: int = -5,
    config: ModelConfig | None = None,
    bootstrap: int = 2000,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
    quotes: pd.DataFrame | None = None,
) -> ForecastEvaluation:
    """Issue every day D from ``start`` at its local-standard midnight with both models and score them.

    ``history``: observed highs by date (TMAX ∪ CLI actuals). Today's model reads rows dated before
    D; the forecast model reads forecasts issued before D's start and outcomes two days before its
    7-day block (falling back to today's model's distribution for days without a forecast).
    ``quotes`` (from :func:`~kalshi_edge.families.weather.vs_market.read_books` / ``read_candles``):
    the market's pmf at the same instant is scored too, on the days it exists, beside the others.
    """
    from kalshi_edge.families.weather.forecast_model import forecast_model
    from kalshi_edge.families.weather.vs_market import day_bootstrap

    last = pd.Timestamp(end) if end is not None else history.dropna().index.max()
    days = pd.date_range(pd.Timestamp(start), last, freq="D")
    if len(days) == 0:
        raise ValueError(f"no days to evaluate: --from {start} is after the last observed day {last.date()}")
    today = issue_day_ahead(history, days, config, progress=progress)
    clim = climatology_pmf(history, days)
    starts = [(d - pd.Timedelta(hours=std_offset_hours)).tz_localize("UTC") for d in days]
    targets = pd.DataFrame({"date": days, "decision_ts": starts})
    pos = {d: i for i, d in enumerate(days)}
    fm = forecast_model(targets, forecasts[forecasts["station"].str.upper() == station.upper()], history,
                        fallback=lambda rows: today.pmf[[pos[pd.Timestamp(d)] for d in rows["date"]]])
    observed = history.reindex(days).to_numpy(float)
    ok = ~np.isnan(observed)
    if not ok.any():
        raise ValueError(f"no recorded highs for {station} between {days[0].date()} and {days[-1].date()}")
    obs = observed[ok]
    grid = np.arange(GRID_LO_F, GRID_LO_F + today.pmf.shape[1])
    per_day = pd.DataFrame({"date": days[ok].strftime("%Y-%m-%d"), "observed_f": obs,
                            "used": np.array(fm.used)[ok]})
    for name, pmf in (("forecast", fm.pmf), ("today", today.pmf), ("clim", clim)):
        per_day[f"{name}_rps"] = rps(pmf[ok], GRID_LO_F, obs)
        per_day[f"{name}_brier2"] = bracket_brier(pmf[ok], GRID_LO_F, obs)
        per_day[f"{name}_sqerr"] = (pmf[ok] @ grid - obs) ** 2
        per_day[f"{name}_pit"] = mid_pit(pmf[ok], GRID_LO_F, obs)
    recs = []
    for name, label in (("forecast", "forecast model (EMOS)"), ("today", "today's model (history only)"),
                        ("clim", "climatology")):
        lo, hi = day_bootstrap(per_day, f"{name}_rps", reps=bootstrap, seed=seed)
        recs.append({"forecast": label, "days": len(per_day), "rps": float(per_day[f"{name}_rps"].mean()),
                     "rps_lo": lo, "rps_hi": hi, "brier2": float(per_day[f"{name}_brier2"].mean()),
                     "rmse_mean_f": float(np.sqrt(per_day[f"{name}_sqerr"].mean())),
                     "ratio_vs_today": float(per_day[f"{name}_rps"].mean() / per_day["today_rps"].mean())})
    per_day["d_forecast_today"] = per_day["forecast_rps"] - per_day["today_rps"]
    lo, hi = day_bootstrap(per_day, "d_forecast_today", reps=bootstrap, seed=seed)
    recs[0]["d_vs_today"], recs[0]["d_lo"], recs[0]["d_hi"] = float(per_day["d_forecast_today"].mean()), lo, hi
    market_summary = None
    if quotes is not None:
        from kalshi_edge.families.weather.vs_market import market_grid_pmfs

        mk = market_grid_pmfs(quotes, targets[ok].reset_index(drop=True))
        have = np.array([m is not None for m in mk])
        if have.any():
            mpmf = np.array([m for m in mk if m is not None])
            sub = per_day[have].copy()
            sub["market_rps"] = rps(mpmf, GRID_LO_F, obs[have])
            sub["market_brier2"] = bracket_brier(mpmf, GRID_LO_F, obs[have])
            sub["market_sqerr"] = (mpmf @ grid - obs[have]) ** 2
            per_day = per_day.merge(sub[["date", "market_rps", "market_brier2"]], on="date", how="left")
            mrecs = []
            for name, label in (("forecast", "forecast model (EMOS)"), ("today", "today's model (history only)"),
                                ("clim", "climatology"), ("market", "market (same instant)")):
                lo, hi = day_bootstrap(sub, f"{name}_rps", reps=bootstrap, seed=seed)
                mrecs.append({"forecast": label, "days": len(sub), "rps": float(sub[f"{name}_rps"].mean()),
                              "rps_lo": lo, "rps_hi": hi, "brier2": float(sub[f"{name}_brier2"].mean()),
                              "rmse_mean_f": float(np.sqrt(sub[f"{name}_sqerr"].mean())),
                              "ratio_vs_today": float(sub[f"{name}_rps"].mean() / sub["today_rps"].mean())})
            market_summary = pd.DataFrame(mrecs)
    return ForecastEvaluation(station, per_day, pmf_rows(days, fm.pmf, station), pd.DataFrame(recs), market_summary)


def write_forecast_report(res: ForecastEvaluation, path: str | Path, *, quotes_given: bool | None = None,
                          forecasts_name: str = "", history: pd.Series | None = None, outputs: str = "") -> Path:
    """HTML report of :func:`evaluate_with_forecasts`: the walk-forward setup, model, baselines (and
    the market, on the days it was priced) side by side on the same days, with day-bootstrap
    intervals of each score and of the differences, PIT and RPS by season."""
    from datetime import UTC, datetime

    from kalshi_edge.reports.html import figure_html, render_report, table_html

    def tab(df: pd.DataFrame) -> list[dict]:
        return [{"forecast": r.forecast, "days": r.days, "RPS (°F) [95% CI]": f"{r.rps:.4f} [{r.rps_lo:.4f}, {r.rps_hi:.4f}]",
                 "Brier 2°F": f"{r.brier2:.4f}", "RMSE of mean (°F)": f"{r.rmse_mean_f:.2f}",
                 "RPS / today's model": f"{r.ratio_vs_today:.4f}"} for r in df.itertuples()]

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pd_ = res.per_day
    fig, ax = plt.subplots(figsize=(11, 3), dpi=90)
    x = pd.to_datetime(pd_["date"])
    ax.plot(x, pd_["forecast_rps"].rolling(14, min_periods=1).mean(), label="forecast model")
    ax.plot(x, pd_["today_rps"].rolling(14, min_periods=1).mean(), label="today's model")
    ax.plot(x, pd_["clim_rps"].rolling(14, min_periods=1).mean(), label="climatology")
    if "market_rps" in pd_.columns:
        ax.plot(x, pd_["market_rps"], "o", ms=3, label="market (each day)")
    ax.set_ylabel("RPS (models: 14-day mean)")
    ax.legend(fontsize=7)
    used = pd_["used"].value_counts().to_dict()
    from kalshi_edge.families.weather.forecast_model import EmosConfig
    from kalshi_edge.reports.evaluation import comparison_html, no_market_html, setup_html

    emos = EmosConfig()
    names = {"forecast": "forecast model (EMOS)", "today": "today's model (history only)", "clim": "climatology"}
    days = list(pd_["date"])
    blocks = []
    for b0 in range(0, len(days), emos.refit_days):
        blk = pd_.iloc[b0 : b0 + emos.refit_days]
        last_train = pd.Timestamp(blk["date"].iloc[0]) - pd.Timedelta(days=2)
        blocks.append({"block": b0 // emos.refit_days, "EMOS train window (target days)":
                       f"{(last_train - pd.Timedelta(days=emos.train_days - 1)).date()} .. {last_train.date()}",
                       "test days": f"{blk['date'].iloc[0]} .. {blk['date'].iloc[-1]}", "scored": len(blk),
                       "with a forecast input": int((blk["used"] != "fallback").sum()) if "used" in blk else ""})
    hist = history.dropna() if history is not None else None
    setup = [
        ("station", res.station), ("forecasts file", forecasts_name),
        ("observed highs", f"{hist.index.min().date()} .. {hist.index.max().date()} ({len(hist)} days)"
         if hist is not None and len(hist) else ""),
        ("test days", f"{days[0]} .. {days[-1]}: {len(days)} scored; inputs {used}"),
        ("issue time", "local standard midnight of the climate day; forecasts issued before it only"),
        ("walk-forward", f"EMOS refit every {emos.refit_days} target days on the {emos.train_days} target days "
                         "ending two days before the block; today's model refits every 7 days on every "
                         "observed row before its block; days without a forecast fall back to today's model"),
        ("baselines", "today's history-only model, and climatology (±7 days of the date in earlier years)"),
        ("outputs", outputs),
    ]
    intro = (f"{len(pd_)} days; all three on the same days. Intervals: 95% percentile bootstrap over days "
             "(2000 resamples, seed 0); lower is better.")
    sections = [{"title": "Walk-forward setup", "html": setup_html(setup, blocks)},
                {"title": "All days: forecast model vs baselines", "html":
                 f"<p>{len(pd_)} days, issued at local standard midnight; inputs {used}.</p>" + table_html(tab(res.summary))
                 + comparison_html(_score_arrays(pd_, names), "today's model (history only)", unit="days", intro=intro)
                 + "<p>Against climatology:</p>"
                 + comparison_html(_score_arrays(pd_, {"forecast": names["forecast"], "clim": names["clim"]}),
                                   "climatology", unit="days")},
                {"title": "Calibration: PIT and RPS by season", "html": _calibration_html(pd_, names, "today")}]
    if res.market_summary is not None and "market_rps" in pd_.columns:
        sub = pd_[pd_["market_rps"].notna()]
        mnames = {**names, "market": "market (same instant)"}
        sections.append({"title": "Days with market prices: model vs market vs baselines (same rows)",
                         "html": f"<p>{len(sub)} of the {len(pd_)} days have a market price at the issue time "
                                 "(the ladder's mid or last trade known then; same instant as the models).</p>"
                                 + table_html(tab(res.market_summary))
                                 + comparison_html(_score_arrays(sub, mnames), "market (same instant)", unit="days")
                                 + _calibration_html(sub, mnames, "market")})
    elif quotes_given:
        sections.append({"title": "Market", "html": no_market_html(
            "The --candles/--book files given price none of these days at the issue time (local standard "
            f"midnight of {days[0]} .. {days[-1]}): no ladder of those days, or under half of it quoted by then.")})
    else:
        sections.append({"title": "Market", "html": no_market_html(
            "No --candles or --book was given, so nothing prices these days. The recorded KXHIGHNY prices shipped "
            "with the project are the trade candles of 2025-08-09 .. 2025-08-12 (data/sample/kalshi) and the "
            "top-of-book files of 25DEC05/25DEC06; pass them to score the market on the same days "
            "(or see `weather vs-market`).")})
    sections.append({"title": "RPS over time", "html": figure_html(fig, "rps over time")})
    last = pd.Timestamp(pd_["date"].max()).tz_localize("UTC")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(f"{res.station} day-ahead with forecasts", sections,
                                  generated_at=datetime.fromtimestamp(last.timestamp(), UTC)))
    return path


# ------------------------------------------------------------------------------------------
# the evaluate report (with and without --forecasts): setup, scores vs baselines and the market on
# the same days with 95 % day-bootstrap intervals (of the differences too), PIT and RPS by season

SEASONS = {12: "DJF", 1: "DJF", 2: "DJF", 3: "MAM", 4: "MAM", 5: "MAM", 6: "JJA", 7: "JJA", 8: "JJA",
           9: "SON", 10: "SON", 11: "SON"}

#: The caveat under every score of the settled contracts' last prices.
SETTLED_CAVEAT = (
    "The market's price here is each contract's last traded price in the settled-contracts file. Its time is not "
    "recorded: it is the last trade before the market closed, usually after much or all of the day's high was "
    "known, while the model issues at the start of the day. So this is not a same-instant comparison; it bounds "
    "from above what the market knew when the model issued. Prices are normalised multiplicatively over the ladder "
    "(the documented market pmf, market_pmf.py), which spreads each 2 °F bracket's mass evenly over its two "
    "integers: the market's PIT therefore piles up near 0.25 and 0.75 by construction."
)


def settled_sample_path() -> Path:
    """The shipped settled KXHIGH contracts (data/sample/kalshi_history, see SOURCES.md)."""
    from kalshi_edge.config import PROJECT_ROOT

    return Path(PROJECT_ROOT) / "data" / "sample" / "kalshi_history" / "highest_temp_settled_2024H2.csv.gz"


def settled_market_scores(settled: pd.DataFrame, station: str, per_day: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The market pmf of each scored day from the settled contracts' last prices, scored like the
    model: columns ``date, market_rps, market_brier2, market_sqerr, market_pit, market_raw_sum``.
    Returns the rows (maybe empty) and a sentence on what was matched and what not, and why."""
    from kalshi_edge.families.weather.market_pmf import implied_pmf, ladder_of
    from kalshi_edge.families.weather.settled import SERIES_STATION, market_from_settled_row
    from kalshi_edge.families.weather.vs_market import _grid
    from kalshi_edge.kalshi.errors import SemanticsError

    cols = ["date", "market_rps", "market_brier2", "market_sqerr", "market_pit", "market_raw_sum", "market_p_won"]
    series = sorted(k for k, v in SERIES_STATION.items() if v == station.upper())
    if not series:
        return pd.DataFrame(columns=cols), (f"the settled-contracts file maps no Kalshi series to {station} "
                                            f"(known: {', '.join(f'{k}→{v}' for k, v in SERIES_STATION.items())})")
    sub = settled[settled["series"].astype(str).isin(series)]
    if sub.empty:
        return pd.DataFrame(columns=cols), f"the settled-contracts file holds no {'/'.join(series)} rows"
    days = set(per_day["date"])
    have = sorted(set(sub["date"].astype(str)))
    hit = [d for d in have if d in days]
    if not hit:
        return pd.DataFrame(columns=cols), (
            f"the settled-contracts file covers {'/'.join(series)} {have[0]} .. {have[-1]}, the evaluated days "
            f"are {per_day['date'].iloc[0]} .. {per_day['date'].iloc[-1]}: no day in common")
    obs = per_day.set_index("date")["observed_f"]
    grid = np.arange(GRID_LO_F, GRID_LO_F + len(_grid(GRID_LO_F, np.ones(1))))
    recs, refused = [], {}
    for d, g in sub[sub["date"].astype(str).isin(hit)].groupby("date", sort=True):
        try:
            ms = [market_from_settled_row(r, i) for i, r in enumerate(g.to_dict("records"))]
            prices = {m.ticker: float(r) / 100.0 for m, r in zip(ms, pd.to_numeric(g["last_price_cents"]), strict=True)}
            mp = implied_pmf(ladder_of(ms), prices)
            if mp is None:
                raise SemanticsError("under half of the ladder priced")
            pmf = _grid(mp.lo, mp.p)[None, :]
        except (SemanticsError, ValueError, KeyError) as exc:
            why = str(exc).split(":")[0][:60]
            refused[why] = refused.get(why, 0) + 1
            continue
        y = np.array([obs[str(d)]])
        recs.append({"date": str(d), "market_rps": float(rps(pmf, GRID_LO_F, y)[0]),
                     "market_brier2": float(bracket_brier(pmf, GRID_LO_F, y)[0]),
                     "market_sqerr": float((pmf[0] @ grid - y[0]) ** 2),
                     "market_pit": float(mid_pit(pmf, GRID_LO_F, y)[0]), "market_raw_sum": mp.raw_sum,
                     "market_p_won": sum(mp.bracket_p.get(m.ticker, 0.0) for m in ms if str(m.result).lower() == "yes")})
    note = (f"{len(recs)} of the {len(per_day)} scored days have a settled {'/'.join(series)} ladder "
            f"(file: {have[0]} .. {have[-1]})")
    if refused:
        note += f"; ladders refused: {refused}"
    out = pd.DataFrame(recs, columns=cols)
    if len(out):
        note += (f"; on {int((out['market_p_won'] >= 0.9).sum())} of them the contract that won already had a "
                 f"normalised last price of 0.9 or more (median {out['market_p_won'].median():.2f})")
    return out, note


def _season_rows(per_day: pd.DataFrame, names: dict[str, str], reference: str) -> list[dict]:
    """RPS per season (and per forecaster) with n and the difference to the reference, 95 % CI."""
    from kalshi_edge.reports.evaluation import contains_zero, fmt_ci, mean_estimate

    d = per_day.assign(season=pd.to_datetime(per_day["date"]).dt.month.map(SEASONS))
    out = []
    for season in ("DJF", "MAM", "JJA", "SON"):
        g = d[d["season"] == season]
        if g.empty:
            continue
        rec: dict[str, object] = {"season": season, "days": len(g)}
        for key, label in names.items():
            rec[f"{label} RPS"] = fmt_ci(mean_estimate(key, g[f"{key}_rps"]), 3)
        for key, label in names.items():
            if key == reference:
                continue
            e = mean_estimate(key, g[f"{key}_rps"] - g[f"{reference}_rps"])
            rec[f"{label} − {names[reference]}"] = fmt_ci(e, 3, signed=True) + (" (contains 0)" if contains_zero(e) else "")
        out.append(rec)
    return out


def _pit_figure(per_day: pd.DataFrame, names: dict[str, str], bins: int = 10) -> tuple[str, list[dict]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from kalshi_edge.reports.html import figure_html

    keys = [k for k in names if f"{k}_pit" in per_day.columns]
    fig, axes = plt.subplots(1, len(keys), figsize=(3.6 * len(keys), 3.2), dpi=90, squeeze=False)
    edges = np.linspace(0, 1, bins + 1)
    table = []
    for ax, k in zip(axes[0], keys, strict=True):
        v = per_day[f"{k}_pit"].dropna().to_numpy(float)
        c, _ = np.histogram(v, bins=edges)
        ax.bar(edges[:-1], c, width=1 / bins, align="edge", edgecolor="white")
        ax.axhline(len(v) / bins, color="grey", linestyle="--", linewidth=1)
        for x, n in zip(edges[:-1], c, strict=True):
            ax.annotate(str(int(n)), (x + 0.5 / bins, n), ha="center", fontsize=6, xytext=(0, 2), textcoords="offset points")
        ax.set_title(f"{names[k]} (n={len(v)} days)", fontsize=9)
        ax.set_xlabel("PIT of the observed high")
        table.append({"forecaster": names[k], "days": len(v),
                      **{f"{edges[i]:.1f}–{edges[i + 1]:.1f}": int(c[i]) for i in range(bins)}})
    axes[0][0].set_ylabel("days")
    return figure_html(fig, "PIT histograms"), table


def _calibration_html(per_day: pd.DataFrame, names: dict[str, str], reference: str) -> str:
    from kalshi_edge.reports.html import table_html

    fig, tab = _pit_figure(per_day, names)
    return ("<p>Mid-point PIT F(y−1) + p(y)/2 of each day's observed high under its issued distribution: flat "
            "(dashed line) when calibrated, U-shaped when too sharp, peaked when too wide; counts per bin.</p>"
            + fig + table_html(tab)
            + "<p>Every forecast here is issued at the start of its climate day (one lead time: day-ahead), so "
              "the RPS is broken down by season, with n and 95% day-bootstrap intervals:</p>"
            + table_html(_season_rows(per_day, names, reference)))


def _score_arrays(per_day: pd.DataFrame, names: dict[str, str]) -> dict[str, dict[str, np.ndarray]]:
    return {label: {"RPS (°F)": per_day[f"{k}_rps"].to_numpy(float), "Brier 2°F": per_day[f"{k}_brier2"].to_numpy(float)}
            for k, label in names.items()}


def _blocks_table(history: pd.Series, days: list[str], refit_days: int) -> list[dict]:
    """The walk-forward blocks: each ``refit_days`` of issued days, fitted on every row dated before."""
    obs = history.dropna()
    out = []
    for b0 in range(0, len(days), refit_days):
        block = days[b0 : b0 + refit_days]
        start = pd.Timestamp(block[0])
        before = obs[obs.index < start]
        out.append({"block": b0 // refit_days, "train rows (observed days)": len(before),
                    "train window": f"{before.index.min().date()} .. {before.index.max().date()}" if len(before) else "",
                    "test days": f"{block[0]} .. {block[-1]}", "issued": len(block)})
    return out


def write_evaluation_report(res: EvaluationResult, path: str | Path, *, history: pd.Series, tmax_name: str = "",
                            config: ModelConfig | None = None, market: pd.DataFrame | None = None,
                            market_note: str = "", outputs: str = "") -> Path:
    """Standalone HTML report of :func:`evaluate_station` (``weather evaluate`` without ``--forecasts``)."""
    from datetime import UTC, datetime

    from kalshi_edge.reports.evaluation import comparison_html, no_market_html, setup_html, write_page

    cfg = config or ModelConfig()
    pd_ = res.per_day
    issued = sorted(res.rows["date"].astype(str).unique())
    names = {"model": "model", "clim": "climatology"}
    setup = [
        ("station", res.station), ("TMAX file", tmax_name),
        ("history", f"{history.dropna().index.min().date()} .. {history.dropna().index.max().date()} "
                    f"({int(history.notna().sum())} observed days)"),
        ("test days", f"{issued[0]} .. {issued[-1]}: {res.days_issued} issued, {res.days_scored} scored "
                      "(days without a recorded high are issued, not scored)"),
        ("issue time", "local standard midnight of the climate day (day-ahead); rows dated before the day only"),
        ("walk-forward", f"refit every {cfg.refit_days} days on every observed row before the block (expanding "
                         f"window, at least {cfg.min_history_days} days); LightGBM correction refit every "
                         f"{cfg.lgb_refit_days} days; residual pool ±{cfg.residual_window_days} days of season"),
        ("baseline", "climatology: the highs within ±7 calendar days of the date in every earlier year"),
        ("outputs", outputs),
    ]
    intro = (f"{len(pd_)} days; model and climatology on the same days. Intervals: 95% percentile bootstrap over "
             "days (2000 resamples, seed 0). Lower is better for both scores.")
    sections = [
        {"title": "Walk-forward setup", "html": setup_html(setup, _blocks_table(history, issued, cfg.refit_days))},
        {"title": "Scores: model vs climatology on the same days",
         "html": comparison_html(_score_arrays(pd_, names), "climatology", unit="days", intro=intro)},
        {"title": "Calibration: PIT and RPS by season", "html": _calibration_html(pd_, names, "clim")},
    ]
    if market is not None and len(market):
        sub = pd_.merge(market, on="date", how="inner")
        mnames = {"model": "model", "clim": "climatology", "market": "market (settled last price)"}
        sections.append({"title": "Days with market prices: model vs market vs climatology (same days)", "html":
                         comparison_html(_score_arrays(sub, mnames), "market (settled last price)", unit="days",
                                         intro=f"{html_escape(market_note)}. {html_escape(SETTLED_CAVEAT)}")
                         + _calibration_html(sub, mnames, "market")})
    else:
        sections.append({"title": "Market", "html": no_market_html(market_note or "no settled-contracts file given")})
    when = datetime.fromtimestamp(pd.Timestamp(issued[-1]).tz_localize("UTC").timestamp(), UTC)
    return write_page(path, f"{res.station} day-ahead evaluation", sections, generated_at=when)


def html_escape(s: str) -> str:
    import html

    return html.escape(s)
