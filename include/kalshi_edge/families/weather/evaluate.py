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


def write_forecast_report(res: ForecastEvaluation, path: str | Path) -> Path:
    """HTML report of :func:`evaluate_with_forecasts`: model, baselines (and the market, on the days
    it was priced) side by side on the same days, with day-bootstrap intervals."""
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
    sections = [{"title": "All days: forecast model vs baselines", "html":
                 f"<p>{len(pd_)} days, issued at local standard midnight; inputs {used}.</p>" + table_html(tab(res.summary))}]
    if res.market_summary is not None:
        sections.append({"title": "Days with market prices: model vs market vs baselines (same rows)",
                         "html": table_html(tab(res.market_summary))})
    else:
        sections.append({"title": "Market", "html": "<p class='meta'>no market prices given (--book/--candles); "
                         "see `weather vs-market`</p>"})
    sections.append({"title": "RPS over time", "html": figure_html(fig, "rps over time")})
    last = pd.Timestamp(pd_["date"].max()).tz_localize("UTC")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_report(f"{res.station} day-ahead with forecasts", sections,
                                  generated_at=datetime.fromtimestamp(last.timestamp(), UTC)))
    return path
