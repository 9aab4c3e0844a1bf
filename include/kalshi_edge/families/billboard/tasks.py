"""Airflow-free task functions behind ``dags/billboard_*.py`` (each keyed on the run's logical date).

Offline runs: param ``charts_csv`` (default: the project's sample charts when ``offline`` is true)
replaces the lake/billboard.com as the chart source; with ``kalshi_env=local`` prices come from the
local simulator (or are reported missing when it is not running).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from kalshi_edge.config import get_settings
from kalshi_edge.lake import Lake

ET = ZoneInfo("America/New_York")
#: The family's date convention (families/README.md): the day of a logical date is its calendar
#: day in New York, the clock KXTOPSONG events and chart weeks are announced on.
DAY_TZ = ET


def day_of(logical_date: datetime | date | None) -> date:
    """The day of ``logical_date`` for this family: its calendar day in New York (a date passes through)."""
    if logical_date is None:
        raise ValueError("logical_date is required (tasks are keyed on it, never on now())")
    if isinstance(logical_date, datetime):
        if logical_date.tzinfo is None:
            return logical_date.date()
        return logical_date.astimezone(DAY_TZ).date()
    return logical_date


_day = day_of


def _charts_param(params: dict[str, Any] | None) -> str | None:
    p = params or {}
    if p.get("charts_csv"):
        return str(p["charts_csv"])
    if p.get("offline"):
        from kalshi_edge.families.billboard.demo import sample_charts_path

        return str(sample_charts_path())
    return None


def chart_backfill(logical_date: datetime | date | None, params: dict[str, Any] | None = None,
        settings: Any = None) -> dict[str, Any]:
    """Import charts: a CSV (offline), else the JSON archive for the 3 weeks before the run, else billboard.py."""
    from kalshi_edge.families.billboard.ingest import backfill, import_charts_csv, weekly_update
    from kalshi_edge.sources.charts import DEFAULT_ARCHIVE_URL

    lake = Lake.from_settings(settings or get_settings())
    p = params or {}
    csv = _charts_param(p)
    if csv:
        return import_charts_csv(lake, csv)
    day = _day(logical_date)
    start = date.fromisoformat(p["from_date"]) if p.get("from_date") else day - timedelta(days=21)
    res = backfill(lake, start, day, url_template=p.get("archive_url") or DEFAULT_ARCHIVE_URL)
    if res.get("weeks", 0) == 0 and p.get("use_billboard_py", True):
        # the archive lags billboard.com by a few days; fall back to the live page for the newest chart
        res = weekly_update(lake, None)
    return {k: v for k, v in res.items() if k != "partitions"}


def daily_signals(logical_date: datetime | date | None, params: dict[str, Any] | None = None,
        settings: Any = None) -> dict[str, Any]:
    """Collect Spotify / Trends / YouTube / Kalshi signals for the current contenders into the lake."""
    from kalshi_edge.families.billboard.ingest import read_lake_charts
    from kalshi_edge.families.billboard.signals import collect_daily_signals, contenders_of, write_signals
    from kalshi_edge.sources.charts import SignalUnavailable, read_charts_csv
    from kalshi_edge.sources.spotify import SpotifyConnector, spotify_signal_rows
    from kalshi_edge.sources.trends import TrendsConnector
    from kalshi_edge.sources.youtube import YouTubeConnector

    settings = settings or get_settings()
    lake = Lake.from_settings(settings)
    day = _day(logical_date)
    csv = _charts_param(params)
    charts = read_charts_csv(csv) if csv else read_lake_charts(lake, before=day + timedelta(days=1))
    if charts.empty:
        return {"date": day.isoformat(), "rows": 0, "skipped": {"charts": "no chart history"}}
    cont = contenders_of(charts)
    offline = bool((params or {}).get("offline"))

    def spotify() -> list[dict[str, Any]]:
        return spotify_signal_rows(SpotifyConnector.from_settings(settings), cont, day)

    def youtube() -> list[dict[str, Any]]:
        yt = YouTubeConnector.from_settings(settings)
        out = []
        for sid, title, artist in cont:
            hit = yt.views_for(title, artist)
            if hit:
                out.append({"date": day.isoformat(), "song_id": sid, "signal": "youtube_views",
                            "value": float(hit["views"]), "source": "youtube"})
        return out

    def trends() -> list[dict[str, Any]]:
        if offline:
            raise SignalUnavailable("trends", "offline run: Google Trends not queried")
        titles = {t: sid for sid, t, _ in cont}
        got = TrendsConnector().interest_anchored(list(titles), cont[0][1], day - timedelta(days=7), day)
        return [{"date": r.date, "song_id": titles[r.keyword], "signal": "trends_interest", "value": float(r.value),
                 "source": "trends"} for r in got.itertuples() if r.keyword in titles]

    def kalshi() -> list[dict[str, Any]]:
        from kalshi_edge.families.billboard.signals import kalshi_signal_rows

        since = int(datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=ET).timestamp())
        return kalshi_signal_rows(settings, cont, day, base_url=(params or {}).get("kalshi_base_url"),
                                  trades_since_ts=since)

    frame, skipped = collect_daily_signals(day, cont, {"spotify": spotify, "youtube": youtube, "trends": trends,
                                                       "kalshi": kalshi})
    res = write_signals(lake, frame, source=f"billboard daily signals {day.isoformat()}")
    return {"date": day.isoformat(), "rows": int(res.get("rows_written", 0)), "skipped": skipped}


def weekly_prediction(logical_date: datetime | date | None, params: dict[str, Any] | None = None,
        settings: Any = None) -> dict[str, Any]:
    """The weekly prediction + edges for the chart the open KXTOPSONG event resolves on."""
    from kalshi_edge.families.billboard.pipeline import run_weekly_prediction, xcom_safe

    settings = settings or get_settings()
    p = params or {}
    res = run_weekly_prediction(settings, as_of=_day(logical_date), charts_csv=_charts_param(p),
                                kalshi_base_url=p.get("kalshi_base_url"))
    return xcom_safe(res)


def weekly_retrain(logical_date: datetime | date | None, params: dict[str, Any] | None = None,
        settings: Any = None) -> dict[str, Any]:
    """Walk-forward re-validation on recent weeks + model metadata under models/billboard/."""
    from kalshi_edge.families.billboard.pipeline import run_retrain

    p = params or {}
    return run_retrain((settings or get_settings()), as_of=_day(logical_date), charts_csv=_charts_param(p),
                       eval_weeks=int(p.get("eval_weeks", 26)))


def settlement(logical_date: datetime | date | None, params: dict[str, Any] | None = None,
        settings: Any = None) -> dict[str, Any]:
    """Reconcile the chart revealed this week (dated the coming Saturday) against our prediction."""
    from kalshi_edge.families.billboard.pipeline import run_settlement

    day = _day(logical_date)
    chart = day + timedelta(days=(5 - day.weekday()) % 7)  # Monday/Tuesday reveal → the Saturday after
    return run_settlement((settings or get_settings()), chart_date=chart)
