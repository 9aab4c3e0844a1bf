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
#: day_ahead: the newest TMAX row may be this many days before the issued day (GHCN-Daily lags 1-2 days).
MAX_TMAX_AGE_DAYS = 5


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
    from kalshi_edge.errors import NoRowsError

    empty = [st for st, r in out.items() if r["rows_written"] == 0]
    if empty:  # issue 13: a station that imported nothing fails the run, naming it
        raise NoRowsError("weather_tmax", f"no TMAX rows for {', '.join(empty)} in {sample_dir()}")
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


def load_forecasts(station: str, settings: Any, offline: bool) -> pd.DataFrame:
    """Point forecasts of ``station`` (``issued_at`` UTC, ``target_date`` day, ``forecast_high_f``,
    ``source``): the lake's ``forecasts`` dataset, or the shipped forecast logs offline/if empty."""
    from kalshi_edge.families.weather.forecasts import read_forecasts_csv

    if not offline:
        from kalshi_edge.families.weather.datasets import FORECASTS
        from kalshi_edge.lake import Lake

        lake = Lake.from_settings(settings)
        if lake.files(FORECASTS):
            df = lake.read(FORECASTS, where=f"station = '{station}'")
            if len(df):
                df["issued_at"] = pd.to_datetime(df["issued_at"], utc=True)
                df["target_date"] = pd.to_datetime(df["target_date"])
                return df.sort_values("issued_at", kind="stable").reset_index(drop=True)
    frames = [read_forecasts_csv(p) for p in sorted(sample_dir().glob("forecasts_*.csv"))]
    df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["issued_at", "station", "target_date", "forecast_high_f", "source", "detail"])
    return df[df["station"].str.upper() == station.upper()].reset_index(drop=True)


def load_history(station: str, settings: Any, offline: bool) -> pd.Series:
    """Observed daily highs of ``station``: TMAX (lake or sample) plus, offline, the shipped CLI
    actuals (which win on shared days), as a calendar-complete series."""
    from kalshi_edge.families.weather.forecasts import read_actuals_csv, with_actuals
    from kalshi_edge.families.weather.model import daily_series

    hist = daily_series(load_tmax(station, settings, offline)).dropna()
    # the shipped climate-report sample only offline: online, history is what the lake holds
    paths = sorted(sample_dir().glob(f"cli_actuals_{station}_*.csv")) if offline else []
    return with_actuals(hist, *(read_actuals_csv(p, station) for p in paths))


def day_ahead_pmf(station: str, day: Any, as_of: Any, *, settings: Any = None, offline: bool | None = None,
                  history: pd.Series | None = None, forecasts: pd.DataFrame | None = None) -> tuple[np.ndarray, dict]:
    """The day-ahead distribution of ``station``'s high on climate day ``day`` as known at ``as_of``.

    The forecast-driven model (:mod:`~kalshi_edge.families.weather.forecast_model`) when a forecast
    of ``day`` was issued before ``as_of``; else today's history-only model. Only highs of climate
    days that ended before ``as_of`` (local standard time) and forecasts issued before it are read.
    Returns (pmf on ``model.GRID``, info: ``used``, ``mean_f``, ``sigma_f``, ``forecast_f``).
    This is what a strategy calls (the weather strategy lives with the trading loop).
    """
    from kalshi_edge.families.weather.forecast_model import forecast_model
    from kalshi_edge.families.weather.model import GRID, issue_day_ahead
    from kalshi_edge.families.weather.stations import load_registry

    s = _settings(settings)
    off = _offline({"offline": offline} if offline is not None else None, s)
    st = load_registry().get(station)
    t = pd.Timestamp(as_of)
    t = t.tz_localize("UTC") if t.tzinfo is None else t.tz_convert("UTC")
    d = pd.Timestamp(pd.Timestamp(day).date())
    cut = pd.Timestamp(st.climate_day_of(t.to_pydatetime()))
    hist = history if history is not None else load_history(st.icao, s, off)
    hist = hist[hist.index < cut]
    today = issue_day_ahead(hist, pd.DatetimeIndex([d]), model_config(s, st.icao))
    fc = forecasts if forecasts is not None else load_forecasts(st.icao, s, off)
    res = forecast_model(pd.DataFrame({"date": [d], "decision_ts": [t]}), fc, hist,
                         fallback=lambda rows: today.pmf[[0] * len(rows)])
    pmf = res.pmf[0]
    used = res.used[0]
    return pmf, {"used": "history_model" if used == "fallback" else used, "mean_f": float(pmf @ GRID),
                 "sigma_f": None if np.isnan(res.sigma_f[0]) else float(res.sigma_f[0]),
                 "forecast_f": None if np.isnan(res.forecast_f[0]) else float(res.forecast_f[0])}


def day_ahead(logical_date: Any, params: dict | None = None, settings: Any = None) -> dict:
    """Issue the distribution of the target climate day per station as known at ``logical_date`` and
    write it to ``weather_forecasts`` (kind ``day_ahead``; a rerun replaces the same rows).

    Uses the forecast-driven model when a forecast of the day was issued before the run, else the
    history-only model (:func:`day_ahead_pmf`). Observed highs older than ``MAX_TMAX_AGE_DAYS`` fail
    the run naming the dataset and its last date; offline, the run is "as of the sample's last
    date" instead (said in the log and the result); ``stale_inputs=warn`` issues anyway with a note."""
    import logging

    from kalshi_edge.errors import StaleInputError
    from kalshi_edge.families.weather.datasets import WEATHER_FORECASTS
    from kalshi_edge.families.weather.model import pmf_rows
    from kalshi_edge.lake import Lake

    log = logging.getLogger(__name__)
    s = _settings(settings)
    offline = _offline(params, s)
    if logical_date is None or pd.isna(pd.Timestamp(logical_date)):
        raise ValueError("day_ahead needs the run's date (a manual trigger runs as of its run_after time)")
    # runs from 12:00 UTC on issue for the next climate day (market open is 10:00 ET the day before);
    # earlier runs (just after local standard midnight) issue for the day itself
    when = pd.Timestamp(logical_date)
    when = when.tz_localize("UTC") if when.tzinfo is None else when.tz_convert("UTC")
    run_day = pd.Timestamp(when.date()) + pd.Timedelta(days=1 if when.hour >= 12 else 0)
    lake = Lake.from_settings(s)
    out = {}
    for st in _stations(params):
        history = load_history(st, s, offline)
        known = history.dropna()
        day, as_of = run_day, when
        last = pd.Timestamp(known.index.max()) if len(known) else None
        note = ""
        if last is None or (day - last).days > MAX_TMAX_AGE_DAYS:
            last_d = None if last is None else last.date()
            policy = (params or {}).get("stale_inputs")  # per-run override of KALSHI_EDGE_STALE_INPUTS
            if last is not None and offline and policy != "warn":
                day = last + pd.Timedelta(days=1)
                as_of = when + (day - run_day)  # the same issue time, relative to the shifted day
                note = (f"offline: as of the sample's last date {last_d} (run date {run_day.date()}); "
                        f"issuing for {day.date()}")
            elif last is not None and (policy or s.stale_inputs) == "warn":
                note = (f"stale inputs (KALSHI_EDGE_STALE_INPUTS=warn): weather_tmax {st} last date {last_d}, "
                        f"{(day - last).days} days before {run_day.date()}")
            else:
                raise StaleInputError(f"weather_tmax {st}", last_d, run_day.date(), MAX_TMAX_AGE_DAYS,
                                      hint="import newer TMAX (`kalshi-edge weather import --tmax FILE`) or "
                                           "run with offline=true")
            log.warning(note)
        if not len(known[known.index < day]):
            from kalshi_edge.errors import JobFailed

            first = known.index.min().date() if len(known) else None
            raise JobFailed(f"weather_tmax {st}: no TMAX rows before {day.date()} (the data starts {first})")
        pmf, info = day_ahead_pmf(st, day, as_of, settings=s, offline=offline, history=history)
        rows = pmf_rows(pd.DatetimeIndex([day]), pmf[None, :], st)
        rows["kind"] = "day_ahead"
        lake.write(WEATHER_FORECASTS, rows, source=f"day_ahead {st} {day.date()}", mode="merge")
        out[st] = {"date": str(day.date()), "mean_f": round(info["mean_f"], 2), "model": info["used"],
                   "p_mode": float(rows["p"].max()), "rows": len(rows), **({"note": note} if note else {})}
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


def forecast_ingest(logical_date: Any, params: dict | None = None, settings: Any = None) -> dict:
    """Store NWS forecasts of the daily high in the ``forecasts`` dataset (merged on station,
    target_date, issued_at, source; a rerun that sees the same NWS issuance writes nothing new).

    Online: points → forecast periods (``nws_point``) and gridpoint ``maxTemperature``
    (``nws_grid``) per station with a known NWS point. Offline: the shipped forecast log
    ``data/sample/weather/forecasts_KNYC_*.csv`` rows issued before the end of the logical day
    (so a backfill of past dates replays what was known then). Bad rows go to quarantine.
    """
    from kalshi_edge.families.weather.datasets import FORECASTS
    from kalshi_edge.lake import Lake

    s = _settings(settings)
    lake = Lake.from_settings(s)
    day_end = pd.Timestamp(_day(logical_date)).tz_localize("UTC") + pd.Timedelta(days=1)
    out: dict[str, Any] = {}
    if _offline(params, s):
        from kalshi_edge.families.weather.forecasts import read_forecasts_raw

        for path in sorted(sample_dir().glob("forecasts_*.csv")):
            raw = read_forecasts_raw(path)
            issued = pd.to_datetime(raw["issued_at"], utc=True, errors="coerce", format="ISO8601")
            raw = raw[issued.isna() | (issued < day_end)]
            res = lake.write(FORECASTS, raw, source=f"{path.name} (offline, issued < {day_end.date()})", mode="merge")
            out[path.name] = {"rows_written": res.rows_written, "rows_quarantined": res.rows_quarantined}
        return out
    from kalshi_edge.sources.nws_forecast import STATION_POINTS, fetch_forecast_rows

    for st in _stations(params):
        if st not in STATION_POINTS:
            out[st] = {"skipped": "no NWS point configured for this station"}
            continue
        from kalshi_edge.families.weather.stations import load_registry

        rows = fetch_forecast_rows(st, std_utc_offset_hours=load_registry().get(st).std_utc_offset_hours)
        res = lake.write(FORECASTS, rows, source=f"api.weather.gov {st}", mode="merge")
        out[st] = {"rows_written": res.rows_written, "rows_quarantined": res.rows_quarantined}
    return out
