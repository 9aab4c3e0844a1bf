"""Daily streaming / search / video / market signals for the contenders, and their features.

:func:`collect_daily_signals` asks every connector for the current contenders; a connector whose key
is absent (or whose service refuses) raises :class:`SignalUnavailable` — the collection goes on with
the others and lists what was skipped. Rows land in ``billboard_signals`` (one per signal, day, song).

:func:`signal_features` turns the stored signals into per-song features *as of* a day, with DuckDB
over the lake: rolling 3/7/14-day means and the week-over-week change of the 7-day mean. Only rows
dated on or before ``as_of`` are read — nothing from the future.

History note: no historical signal data exists for past chart weeks, so the backtested model uses
chart-history features only; these features are computed and reported for the live weekly job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import duckdb
import pandas as pd

from kalshi_edge.families.billboard.datasets import BILLBOARD_SIGNALS
from kalshi_edge.families.billboard.identity import song_ids
from kalshi_edge.lake import Lake
from kalshi_edge.sources.charts import SignalUnavailable

WINDOWS = (3, 7, 14)


def contenders_of(pred_or_chart: pd.DataFrame, top_n: int = 20) -> list[tuple[str, str, str]]:
    """``(song_id, title, artist)`` for the top ``top_n`` rows of a chart (or prediction) frame."""
    df = pred_or_chart
    if "this_week" in df.columns:
        last = df["chart_date"].max()
        df = df[(df["chart_date"] == last) & (df["this_week"] <= top_n)]
    df = df[df["song"] != "__OTHER__"]
    ids = df["song_id"] if "song_id" in df.columns else song_ids(df["song"], df["artist"])
    return list(zip(ids.astype(str), df["song"].astype(str), df["artist"].astype(str), strict=True))


def import_spotify_chart(lake: Lake, path: str, day: date) -> dict[str, Any]:
    """A Spotify Charts CSV export for ``day`` → ``spotify_streams`` and ``spotify_chart_rank`` signals.

    Songs are keyed by the same identity normalization as the Hot 100 (title + primary artist), so
    streams join contenders by ``song_id``. ``spotify_chart_rank`` is stored as 201 − rank (larger = stronger).
    """
    from kalshi_edge.sources.spotify import read_spotify_chart_csv

    df = read_spotify_chart_csv(path, day)
    ids = song_ids(df["track_name"], df["artist_names"])
    base = pd.DataFrame({"date": day.isoformat(), "song_id": ids.astype(str), "source": f"spotify-charts:{path}"})
    streams = base.assign(signal="spotify_streams", value=df["streams"].to_numpy())
    rank = base.assign(signal="spotify_chart_rank", value=(201 - df["rank"].astype(float)).to_numpy())
    frame = pd.concat([streams, rank], ignore_index=True).drop_duplicates(["signal", "song_id"])
    frame["month"] = frame["date"].str.slice(0, 7)
    return write_signals(lake, frame, source=str(path))


def market_signal_rows(edges_or_matched: pd.DataFrame, day: date) -> list[dict[str, Any]]:
    """KXTOPSONG price signals for matched, trusted markets: mid, yes bid/ask and last (dollars as floats).

    Prices become *features* here (probability-like), not money: floats are fine.
    """
    rows: list[dict[str, Any]] = []
    for r in edges_or_matched.to_dict("records"):
        if not r.get("trusted", r.get("match_score", 0) >= 90) or not r.get("song_id"):
            continue
        vals = {"kalshi_yes_bid": r.get("yes_bid"), "kalshi_yes_ask": r.get("yes_ask"), "kalshi_last": r.get("last_price")}
        if vals["kalshi_yes_bid"] is not None and vals["kalshi_yes_ask"] is not None:
            vals["kalshi_mid"] = (float(vals["kalshi_yes_bid"]) + float(vals["kalshi_yes_ask"])) / 2
        for name, v in vals.items():
            if v is not None and not pd.isna(v):
                rows.append({"date": day.isoformat(), "song_id": r["song_id"], "signal": name, "value": float(v),
                             "source": "kalshi"})
    return rows


def kalshi_signal_rows(settings: Any, contenders: list[tuple[str, str, str]], day: date, *,
                       base_url: str | None = None, trades_since_ts: int | None = None) -> list[dict[str, Any]]:
    """KXTOPSONG market sentiment for the contenders: mid, bid/ask, last and the trades' VWAP.

    Raises :class:`SignalUnavailable` when the Kalshi API cannot be reached.
    """
    import requests

    from kalshi_edge.families.billboard.edge import match_markets
    from kalshi_edge.families.billboard.pipeline import fetch_kxtopsong_markets
    from kalshi_edge.kalshi.errors import KalshiError
    from kalshi_edge.kalshi.rest import KalshiRestClient

    markets = fetch_kxtopsong_markets(settings, base_url=base_url)
    cands = pd.DataFrame(contenders, columns=["song_id", "song", "artist"]).assign(p_number_one=float("nan"))
    matched = match_markets(markets, cands)
    rows = market_signal_rows(matched, day)
    if trades_since_ts is not None and not matched.empty:
        try:
            with KalshiRestClient.from_settings(settings, base_url=base_url, max_retries=1, rate_limit=False) as c:
                for r in matched[matched["trusted"]].to_dict("records"):
                    v = vwap(c.iter_trades(ticker=r["ticker"], min_ts=trades_since_ts))
                    if v is not None:
                        rows.append({"date": day.isoformat(), "song_id": r["song_id"], "signal": "kalshi_vwap",
                                     "value": v, "source": "kalshi"})
        except (requests.RequestException, KalshiError) as exc:
            raise SignalUnavailable("kalshi", f"trades unavailable: {exc}") from None
    return rows


def vwap(trades: Iterable[Any]) -> float | None:
    """Volume-weighted average YES price of trades (objects/dicts with ``yes_price`` and ``count``)."""
    num = 0.0
    den = 0.0
    for t in trades:
        get = (lambda k, t=t: t.get(k)) if isinstance(t, dict) else (lambda k, t=t: getattr(t, k, None))
        p, c = get("yes_price"), get("count")
        if p is None or c is None:
            continue
        num += float(p) * float(c)
        den += float(c)
    return num / den if den > 0 else None


def collect_daily_signals(day: date, contenders: list[tuple[str, str, str]],
                          connectors: dict[str, Callable[[], list[dict[str, Any]]]]) -> tuple[pd.DataFrame, dict[str, str]]:
    """Run each connector thunk; returns (rows for ``billboard_signals``, {source: why skipped}).

    A thunk raising :class:`SignalUnavailable` is skipped and reported; any other error propagates.
    """
    rows: list[dict[str, Any]] = []
    skipped: dict[str, str] = {}
    for name, thunk in connectors.items():
        try:
            rows.extend(thunk())
        except SignalUnavailable as exc:
            skipped[name] = str(exc)
    frame = pd.DataFrame(rows, columns=["date", "song_id", "signal", "value", "source"])
    frame["month"] = frame["date"].str.slice(0, 7)
    return frame, skipped


def write_signals(lake: Lake, frame: pd.DataFrame, *, source: str) -> dict[str, Any]:
    """Merge signal rows into ``billboard_signals`` (daily runs add to the month partition)."""
    if frame.empty:
        return {"rows_written": 0}
    return lake.write(BILLBOARD_SIGNALS, frame, source=source, mode="merge").as_dict()


def signal_features(lake: Lake, as_of: date) -> pd.DataFrame:
    """Wide per-song features from signals dated ≤ ``as_of``: ``<signal>_mean_{3,7,14}d`` and ``<signal>_wow``.

    ``wow`` = mean of the last 7 days / mean of the 7 days before − 1 (NaN without both weeks).
    Empty frame (index ``song_id``) when no signals are stored.
    """
    if not lake.files(BILLBOARD_SIGNALS):
        return pd.DataFrame(index=pd.Index([], name="song_id"))
    d = as_of.isoformat()
    aggs = ", ".join(
        f"avg(value) FILTER (WHERE d > DATE '{d}' - INTERVAL {w} DAY) AS mean_{w}d" for w in WINDOWS)
    sql = f"""
        WITH s AS (
            SELECT song_id, signal, CAST(date AS DATE) AS d, value FROM {lake.scan_sql(BILLBOARD_SIGNALS)}
            WHERE CAST(date AS DATE) <= DATE '{d}' AND CAST(date AS DATE) > DATE '{d}' - INTERVAL 28 DAY
        )
        SELECT song_id, signal, {aggs},
               avg(value) FILTER (WHERE d <= DATE '{d}' - INTERVAL 7 DAY AND d > DATE '{d}' - INTERVAL 14 DAY) AS prev_7d
        FROM s GROUP BY song_id, signal ORDER BY song_id, signal
    """
    with lake.reading(BILLBOARD_SIGNALS), duckdb.connect() as con:
        long = con.execute(sql).df()
    long["wow"] = long["mean_7d"] / long["prev_7d"].where(long["prev_7d"] != 0) - 1
    wide = long.drop(columns=["prev_7d"]).pivot(index="song_id", columns="signal")
    wide.columns = [f"{sig}_{stat}" for stat, sig in wide.columns]
    return wide.sort_index(axis=1)
