"""The weather jobs the DAGs run (plain functions; no Airflow here).

Each takes the run's ``logical_date`` (never now()), its ``params`` and optional settings, and
returns a small JSON-able summary. ``params["offline"]`` (or ``kalshi_env=local``) selects the
shipped samples under ``data/sample/weather/`` instead of the network. ``params["stations"]``
lists stations (default: KNYC and KMIA, the stations with shipped TMAX samples).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

DEFAULT_STATIONS = ("KNYC", "KMIA")


def _settings(settings: Any) -> Any:
    if settings is not None:
        return settings
    from kalshi_edge.config import get_settings

    return get_settings()


def _offline(params: dict | None, settings: Any) -> bool:
    p = (params or {}).get("offline")
    if p is not None:
        return bool(p)
    return str(getattr(settings, "kalshi_env", "")).lower().endswith("local")


def sample_dir() -> Path:
    from kalshi_edge.config import PROJECT_ROOT

    return Path(PROJECT_ROOT) / "data" / "sample" / "weather"


#: The family's date convention (families/README.md): the day of a logical date is its calendar
#: day in New York, the date KXHIGH events are named by (a date, or a naive time, passes through).
DAY_TZ = "America/New_York"


def day_of(logical_date: Any) -> date:
    """The day of ``logical_date`` for this family (see :data:`DAY_TZ`)."""
    ts = pd.Timestamp(logical_date)
    if ts.tzinfo is not None:
        ts = ts.tz_convert(DAY_TZ)
    return ts.date()


_day = day_of


def _stations(params: dict | None) -> list[str]:
    return list((params or {}).get("stations") or DEFAULT_STATIONS)


def params_path(settings: Any, station: str) -> Path:
    """Where the weekly retrain keeps a station's chosen model config."""
    return Path(settings.models_dir) / "weather" / f"{station}_params.json"


def model_config(settings: Any, station: str) -> Any:
    """The station's config from ``models/weather/<station>_params.json``, else the defaults."""
    from kalshi_edge.families.weather.model import ModelConfig
    from kalshi_edge.families.weather.tuning import load_config

    p = params_path(settings, station)
    return load_config(p) if p.exists() else ModelConfig()


def load_tmax(station: str, settings: Any, offline: bool) -> pd.DataFrame:
    """TMAX rows for ``station``: the lake's ``weather_tmax``, or the shipped sample offline/if empty."""
    from kalshi_edge.families.weather.evaluate import read_tmax_csv

    if not offline:
        from kalshi_edge.families.weather.datasets import WEATHER_TMAX
        from kalshi_edge.lake import Lake

        lake = Lake.from_settings(settings)
        if lake.files(WEATHER_TMAX):
            df = lake.read(WEATHER_TMAX, where=f"station = '{station}'")
            if len(df):
                df["date"] = pd.to_datetime(df["date"])
                return df
    path = sample_dir() / f"tmax_{station}.csv.gz"
    if not path.exists():
        raise FileNotFoundError(f"{path}: no TMAX sample for {station}; import one with `weather import --tmax`")
    return read_tmax_csv(path)


def tmax_import(logical_date: Any, params: dict | None = None, settings: Any = None) -> dict:
    """Import the shipped TMAX samples (offline) into ``weather_tmax``: the backfill's daily history."""
    from kalshi_edge.families.weather.ingest import import_tmax
    from kalshi_edge.lake import Lake

    s = _settings(settings)
    lake = Lake.from_settings(s)
    out = {}
    for st in _stations(params):
        res = import_tmax(sample_dir() / f"tmax_{st}.csv.gz", lake)
        out[st] = {"rows_written": res.rows_written, "rows_quarantined": res.rows_quarantined}
    return out


def obs_ingest(logical_date: Any, params: dict | None = None, settings: Any = None) -> dict:
    """Download the climate day of ``logical_date`` from IEM for each station (skipped offline)."""
    s = _settings(settings)
    if _offline(params, s):
        return {"skipped": "offline: no IEM minute sample is shipped"}
    from kalshi_edge.families.weather.ingest import backfill_iem
    from kalshi_edge.lake import Lake

    day = _day(logical_date)
    lake = Lake.from_settings(s)
    return {st: backfill_iem(st, day, day, lake, sample=(params or {}).get("sample", "1min"))
            for st in _stations(params)}


def day_ahead(logical_date: Any, params: dict | None = None, settings: Any = None) -> dict:
    """Issue the distribution of climate day ``logical_date`` (from rows dated before it) per station
    and write it to ``weather_forecasts`` (kind ``day_ahead``; a rerun replaces the same rows)."""
    from kalshi_edge.families.weather.datasets import WEATHER_FORECASTS
    from kalshi_edge.families.weather.model import daily_series, issue_day_ahead
    from kalshi_edge.lake import Lake

    s = _settings(settings)
    offline = _offline(params, s)
    # runs from 12:00 UTC on issue for the next climate day (market open is 10:00 ET the day before);
    # earlier runs (just after local standard midnight) issue for the day itself
    when = pd.Timestamp(logical_date)
    day = pd.Timestamp(when.date()) + pd.Timedelta(days=1 if when.hour >= 12 else 0)
    lake = Lake.from_settings(s)
    out = {}
    for st in _stations(params):
        series = daily_series(load_tmax(st, s, offline))
        series = series[series.index < day]  # what is known at the start of the day
        fc = issue_day_ahead(series, pd.DatetimeIndex([day]), model_config(s, st))
        rows = fc.to_rows(st)
        rows["kind"] = "day_ahead"
        lake.write(WEATHER_FORECASTS, rows, source=f"day_ahead {st} {day.date()}", mode="merge")
        out[st] = {"date": str(day.date()), "mean_f": round(float(fc.mean_f[0]), 2),
                   "p_mode": float(rows["p"].max()), "rows": len(rows)}
    return out


def intraday(logical_date: Any, params: dict | None = None, settings: Any = None) -> dict:
    """Update today's distribution from the running high in ``weather_obs`` (skip without obs)."""
    from kalshi_edge.families.weather.datasets import WEATHER_FORECASTS, WEATHER_OBS
    from kalshi_edge.families.weather.features import running_high_inputs
    from kalshi_edge.families.weather.intraday import intraday_pmf
    from kalshi_edge.families.weather.model import GRID, GRID_LO_F
    from kalshi_edge.families.weather.stations import load_registry
    from kalshi_edge.lake import Lake

    s = _settings(settings)
    lake = Lake.from_settings(s)
    at = pd.Timestamp(logical_date)
    at = at.tz_localize("UTC") if at.tzinfo is None else at.tz_convert("UTC")
    out: dict[str, Any] = {}
    for st in _stations(params):
        station = load_registry().get(st)
        day = station.climate_day_of(at.to_pydatetime())
        start, _ = station.climate_day_bounds(day)
        fc = lake.read(WEATHER_FORECASTS, where=f"station = '{st}' AND kind = 'day_ahead' AND date = '{day}'") \
            if lake.files(WEATHER_FORECASTS) else pd.DataFrame()
        obs = lake.read(WEATHER_OBS, where=f"station = '{station.icao}' AND climate_date = '{day}'") \
            if lake.files(WEATHER_OBS) else pd.DataFrame()
        if fc.empty or obs.empty:
            out[st] = {"skipped": "no day-ahead forecast" if fc.empty else "no observations yet"}
            continue
        rh = running_high_inputs(obs, at, start)
        if rh is None:
            out[st] = {"skipped": "no observations before the run time"}
            continue
        prior = np.zeros(GRID.size)
        prior[fc["temp_f"].to_numpy(int) - GRID_LO_F] = fc["p"].to_numpy(float)
        high = rh.high_f
        pmf = intraday_pmf(prior, high, rh.hour, rh.trend_f_per_h, rh.last_f)
        nz = np.nonzero(pmf > 0)[0]
        rows = pd.DataFrame({"date": str(day), "station": st, "temp_f": GRID[nz], "p": pmf[nz], "kind": "intraday"})
        lake.write(WEATHER_FORECASTS, rows, source=f"intraday {st} {at.isoformat()}", mode="merge")
        out[st] = {"date": str(day), "running_high_f": high, "p_running_high_final": round(float(pmf[high - GRID_LO_F]), 4)}
    return out


def settlement(logical_date: Any, params: dict | None = None, settings: Any = None) -> dict:
    """Fetch (or, offline, read the shipped) final CLI for climate day ``logical_date`` minus
    ``params["days_back"]`` (default 0; the daily DAG passes 1), score the
    issued day-ahead distribution and flag disagreements; returns the reconciliation per station."""
    from kalshi_edge.families.weather.datasets import WEATHER_FORECASTS
    from kalshi_edge.families.weather.ingest import write_cli_reports
    from kalshi_edge.families.weather.model import GRID, GRID_LO_F
    from kalshi_edge.families.weather.settlement import reconcile_day
    from kalshi_edge.families.weather.stations import load_registry
    from kalshi_edge.lake import Lake
    from kalshi_edge.sources.nws_cli import CliParseError, choose_report, fetch_cli_report, parse_cli_text

    s = _settings(settings)
    offline = _offline(params, s)
    day = _day(logical_date) - timedelta(days=int((params or {}).get("days_back", 0)))
    lake = Lake.from_settings(s)
    out = {}
    for st in _stations(params):
        station = load_registry().get(st)
        try:
            if offline:
                reports = [parse_cli_text(p.read_text(), source=p.name) for p in sorted((sample_dir() / "nws_cli").glob("*.txt"))]
                mine = [r for r in reports if r.cli_id == station.cli_id and r.climate_date == day]
                if not mine:
                    raise CliParseError(f"no shipped CLI for {station.cli_id} {day}")
                cli = choose_report(mine)
            else:
                cli = fetch_cli_report(station.cli_id, day)
        except CliParseError as exc:
            out[st] = {"skipped": str(exc)}
            continue
        write_cli_reports([cli], lake)
        pmf = None
        if lake.files(WEATHER_FORECASTS):
            fc = lake.read(WEATHER_FORECASTS, where=f"station = '{st}' AND kind = 'day_ahead' AND date = '{day}'")
            if len(fc):
                pmf = np.zeros(GRID.size)
                pmf[fc["temp_f"].to_numpy(int) - GRID_LO_F] = fc["p"].to_numpy(float)
        out[st] = reconcile_day(station=st, climate_date=day, cli=cli, issued_pmf=pmf).as_dict()
    return out


def retrain(logical_date: Any, params: dict | None = None, settings: Any = None) -> dict:
    """Weekly walk-forward retrain per station, from rows dated before the logical date only.

    1. With ``params["tune_trials"]`` > 0: an Optuna search (:mod:`~kalshi_edge.families.weather.tuning`)
       on the ``tune_val_days`` (default 365) days before the logical date; the chosen config (the
       defaults unless beaten on those days) goes to ``models/weather/<station>_params.json``, which
       the day-ahead job reads.
    2. The fitted model as of the logical date (climatology, anomaly and scale coefficients and the
       LightGBM correction as a model string) goes to ``models/weather/<station>_<date>.model.json``.
    3. A walk-forward check of the last ``eval_days`` (default 91) days against climatology goes to
       ``models/weather/<station>_<date>.json`` and ``<station>_latest.json``.
    Reruns for the same logical date rewrite the same files with the same content (fixed seeds).
    """
    from dataclasses import asdict

    from kalshi_edge.families.weather.evaluate import evaluate_station
    from kalshi_edge.families.weather.model import daily_series, issue_day_ahead
    from kalshi_edge.families.weather.train import save_params
    from kalshi_edge.families.weather.tuning import config_dict, tune, write_json

    s = _settings(settings)
    offline = _offline(params, s)
    day = _day(logical_date)
    n = int((params or {}).get("eval_days", 91))
    trials = int((params or {}).get("tune_trials", 0))
    d = Path(s.models_dir) / "weather"
    d.mkdir(parents=True, exist_ok=True)
    out = {}
    for st in _stations(params):
        tmax = load_tmax(st, s, offline)
        tmax = tmax[pd.to_datetime(tmax["date"]) < pd.Timestamp(day)]
        tuning = None
        if trials > 0:
            cfg, tuning = tune(tmax, st, day, trials=trials,
                               val_days=int((params or {}).get("tune_val_days", 365)))
            save_params(s, st, cfg, tuning, as_of=str(day),
                        training_window=(str(pd.Timestamp(tmax["date"].min()).date()),
                                         str(pd.Timestamp(tmax["date"].max()).date())))
        else:
            cfg = model_config(s, st)
        fc = issue_day_ahead(daily_series(tmax), pd.DatetimeIndex([pd.Timestamp(day)]), cfg)
        model_art = {"station": st, "as_of": str(day), "config": config_dict(cfg), **(fc.fit or {})}
        write_json(d / f"{st}_{day}.model.json", model_art)
        last = min(pd.Timestamp(day) - pd.Timedelta(days=1), tmax["date"].max())
        start = (last - pd.Timedelta(days=n - 1)).date()
        res = evaluate_station(tmax, st, start, end=last.date(), config=cfg)
        art = {"station": st, "as_of": str(day), "config": asdict(cfg), **res.summary(),
               "window": [str(start), str(last.date())], "tuning": tuning,
               "model_file": f"{st}_{day}.model.json"}
        write_json(d / f"{st}_{day}.json", art)
        write_json(d / f"{st}_latest.json", art)
        out[st] = {**res.summary(), "chosen": (tuning or {}).get("chosen", "existing")}
    return out
