"""Contender features from chart history, computed once for every week, with no future information.

Every feature of a song at chart week ``t`` is built from charts dated ``<= t`` only (shifts,
cumulative sums and self-merges on earlier weeks — never a look-ahead). A contender row pairs
those features at week ``t`` with the *target* week ``t + 1``: "is this song #1 on the next chart?"

Because nothing looks ahead, computing the frame once over the whole history is equivalent to
recomputing it from the charts before each target week (``predict`` does the latter; a test checks
the two agree).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from kalshi_edge.families.billboard.identity import artist_ids, song_ids

OFF_CHART = 101  # the rank used for "not on the chart that week"
DEFAULT_TOP_N = 20

FEATURES: tuple[str, ...] = (
    "rank",
    "rank_prev1",
    "rank_prev2",
    "rank_prev3",
    "change1",
    "change2",
    "best_recent",
    "weeks_on_chart",
    "peak_position",
    "weeks_at_1",
    "streak_at_1",
    "is_debut",
    "is_reentry",
    "artist_prev_no1_songs",
    "artist_prev_no1_weeks",
    "leader_streak",
    "leader_change",
    "gap_to_next",
    "weeks_since_debut",
    "leader_woc",
    "target_dec_dist",
)


def prepare_charts(charts: pd.DataFrame) -> pd.DataFrame:
    """Add ``song_id``, ``artist_id`` and ``week_idx`` (0-based index of the chart date) to a chart frame.

    If two entries of one week share a song id (rare normalization collision) the better rank wins.
    """
    df = charts.copy()
    df["song_id"] = song_ids(df["song"], df["artist"])
    df["artist_id"] = artist_ids(df["artist"])
    df = df.sort_values(["chart_date", "this_week"], kind="stable").drop_duplicates(["chart_date", "song_id"])
    dates = np.sort(df["chart_date"].unique())
    df["week_idx"] = np.searchsorted(dates, df["chart_date"].to_numpy())
    return df.reset_index(drop=True)


def _rank_lookup(df: pd.DataFrame, lag: int) -> np.ndarray:
    """Rank of the same song ``lag`` chart weeks earlier (OFF_CHART when absent)."""
    key = df[["song_id", "week_idx"]].copy()
    key["week_idx"] = key["week_idx"] - lag
    ref = df[["song_id", "week_idx", "this_week"]]
    merged = key.merge(ref, on=["song_id", "week_idx"], how="left")
    return merged["this_week"].fillna(OFF_CHART).to_numpy(dtype=float)


def history_features(prepared: pd.DataFrame) -> pd.DataFrame:
    """Per (song, week) chart-history features, using only charts up to that week (vectorized)."""
    df = prepared.sort_values(["week_idx", "this_week"], kind="stable").reset_index(drop=True)
    f = df[["chart_date", "week_idx", "song_id", "artist_id", "song", "artist"]].copy()
    f["rank"] = df["this_week"].astype(float)
    for lag in (1, 2, 3):
        f[f"rank_prev{lag}"] = _rank_lookup(df, lag)
    f["change1"] = f["rank_prev1"] - f["rank"]
    f["change2"] = f["rank_prev2"] - f["rank"]
    f["best_recent"] = f[["rank", "rank_prev1", "rank_prev2", "rank_prev3"]].min(axis=1)
    f["weeks_on_chart"] = df["weeks_on_chart"].astype(float)
    f["peak_position"] = df["peak_position"].astype(float)
    f["is_debut"] = (df["last_week"].isna() & (df["weeks_on_chart"] <= 1)).astype(float)
    f["is_reentry"] = (df["last_week"].isna() & (df["weeks_on_chart"] > 1)).astype(float)

    at1 = (df["this_week"] == 1).astype(int)
    f["weeks_at_1"] = at1.groupby(df["song_id"]).cumsum().astype(float)
    # consecutive weeks at #1 ending this week: reset the cumulative count at each non-#1 week
    is_top = at1.to_numpy()
    grp_breaks = (is_top == 0).astype(int)
    block = pd.Series(grp_breaks).groupby(df["song_id"]).cumsum()
    f["streak_at_1"] = pd.Series(is_top).groupby([df["song_id"], block]).cumsum().astype(float).to_numpy()

    # artist's #1 history strictly before this week (other songs and earlier weeks)
    no1 = df.loc[df["this_week"] == 1, ["week_idx", "artist_id", "song_id"]]
    first_no1 = no1.groupby(["artist_id", "song_id"], as_index=False)["week_idx"].min()
    f["artist_prev_no1_songs"] = _count_before(f, first_no1)
    f["artist_prev_no1_weeks"] = _count_before(f, no1[["artist_id", "week_idx"]])

    # weeks since the song's first ever chart week: far above weeks_on_chart for recurrent holiday songs
    f["weeks_since_debut"] = (df["week_idx"] - df.groupby("song_id")["week_idx"].transform("min")).astype(float)

    # the current leader's situation (same value for every song that week); a leader that debuted at
    # #1 (album-release bomb) is far more likely to fall than one climbing for months
    leader = f.loc[f["rank"] == 1, ["week_idx", "streak_at_1", "change1", "weeks_on_chart"]].rename(
        columns={"streak_at_1": "leader_streak", "change1": "leader_change", "weeks_on_chart": "leader_woc"})
    f = f.merge(leader, on="week_idx", how="left")
    f[["leader_streak", "leader_change", "leader_woc"]] = f[["leader_streak", "leader_change", "leader_woc"]].fillna(0.0)
    # momentum relative to the song just above it: rank gap shrinks for songs about to pass it
    f["gap_to_next"] = f["change1"] - f.groupby("week_idx")["change1"].shift(1).fillna(0.0)
    return f


def _count_before(f: pd.DataFrame, events: pd.DataFrame) -> np.ndarray:
    """For each row of ``f``: how many ``events`` of its artist happened at a week_idx < the row's week."""
    out = np.zeros(len(f), dtype=float)
    if events.empty:
        return out
    ev = events.sort_values(["artist_id", "week_idx"])
    by_artist = {a: g["week_idx"].to_numpy() for a, g in ev.groupby("artist_id", sort=False)}
    codes = f["artist_id"].to_numpy()
    weeks = f["week_idx"].to_numpy()
    for a, idx in pd.Series(np.arange(len(f))).groupby(codes).groups.items():
        arr = by_artist.get(a)
        if arr is not None:
            rows = np.asarray(idx)
            out[rows] = np.searchsorted(arr, weeks[rows], side="left")
    return out


def _dec_dist(dates: pd.Series) -> np.ndarray:
    """Signed days from Dec 31 to each date, in [-183, 183] (holiday charts cluster near 0).

    A calendar fact about the target week, known in advance: not future information.
    """
    d = pd.to_datetime(dates)
    doy = d.dt.dayofyear.to_numpy(dtype=float)
    return np.where(doy > 183, doy - 366.0, doy)


def contender_frame(charts: pd.DataFrame, *, top_n: int = DEFAULT_TOP_N) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contender rows and the per-target-week outcome table.

    Returns ``(rows, weeks)``:

    * ``rows``: one row per (target week, contender), contenders = the top ``top_n`` of the previous
      chart; ``FEATURES`` from that previous chart, ``target_date`` / ``target_idx`` of the week
      predicted, ``label`` (1 when the song is #1 on the target chart, NaN when the target chart is
      not in the data, i.e. a future week);
    * ``weeks``: one row per target week with ``winner_in_contenders`` (NaN for a future week).

    The last chart yields contenders for the week after it (``target_idx`` = number of charts).
    """
    prepared = prepare_charts(charts)
    hist = history_features(prepared)
    dates = np.sort(prepared["chart_date"].unique())
    n_weeks = len(dates)
    rows = hist[hist["rank"] <= top_n].copy()
    rows["target_idx"] = rows["week_idx"] + 1
    next_date = (pd.to_datetime(dates[-1]) + pd.Timedelta(days=7)).strftime("%Y-%m-%d") if n_weeks else ""
    all_dates = np.append(dates, next_date)
    rows["target_date"] = all_dates[rows["target_idx"].to_numpy()]
    rows["target_dec_dist"] = _dec_dist(rows["target_date"])
    winners = prepared.loc[prepared["this_week"] == 1, ["week_idx", "song_id"]].rename(
        columns={"week_idx": "target_idx", "song_id": "winner_id"})
    rows = rows.merge(winners, on="target_idx", how="left")
    rows["label"] = np.where(rows["target_idx"] < n_weeks, (rows["song_id"] == rows["winner_id"]).astype(float), np.nan)
    weeks = (rows.groupby("target_idx", as_index=False)
             .agg(target_date=("target_date", "first"), hits=("label", "sum"), known=("label", "count")))
    weeks["winner_in_contenders"] = np.where(weeks["known"] > 0, (weeks["hits"] > 0).astype(float), np.nan)
    rows = rows.drop(columns=["winner_id"]).sort_values(["target_idx", "rank"], kind="stable").reset_index(drop=True)
    return rows, weeks[["target_idx", "target_date", "winner_in_contenders"]]
