"""The recorded top-of-book log format, read in one place for the backtester and the simulator.

Files ``market_data_<EVENT>.csv(.gz)`` with ``timestamp, market_ticker, best_yes_bid,
best_no_bid[, implied_no_ask, implied_yes_ask]`` in cents (the implied columns are
``100 − best_*``, so only the bids are read). Timestamps carry **no zone and are US Pacific**
(the 10:00 ET open shows as 07:00): they are localized to America/Los_Angeles and converted to
UTC. A local time that does not exist or is ambiguous (the DST switches) is dropped and counted,
never guessed. An empty bid cell means no bid (0). Anything else that is not a whole number of
cents in 0..100 raises :class:`BookFormatError` naming the file, row and field.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

RECORDED_TZ = "America/Los_Angeles"
REQUIRED_COLUMNS = ("timestamp", "market_ticker", "best_yes_bid", "best_no_bid")


class BookFormatError(ValueError):
    """A recorded book file is not in a supported format. Names file, row and field."""


def read_top_of_book(path: Path | str) -> tuple[pd.DataFrame, int]:
    """One log as a frame, plus the number of rows dropped for a non-existent/ambiguous time.

    Columns: ``ts`` (datetime64, UTC), ``ticker``, ``yes_bid_c``, ``no_bid_c`` (int cents, 0 = no
    bid), in file order sorted stably by ``ts``.
    """
    from kalshi_edge.lake.inputs import read_input_csv

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"book file not found: {path}")
    df = read_input_csv(path, what="top-of-book CSV", dtype=str, keep_default_na=False)
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise BookFormatError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(REQUIRED_COLUMNS)})")
    cents = {}
    for col in ("best_yes_bid", "best_no_bid"):
        raw = df[col].str.strip().replace("", "0")
        num = pd.to_numeric(raw, errors="coerce")
        bad = num.isna() | (num < 0) | (num > 100) | (num != num.round())
        if bad.any():
            i = int(bad.to_numpy().argmax())
            raise BookFormatError(f"{path}: row {i + 1} field {col}: {df.at[i, col]!r} is not a price in cents 0..100")
        cents[col] = num.astype("int64")
    naive = pd.to_datetime(df["timestamp"], format="ISO8601", errors="coerce")
    if naive.isna().any():
        i = int(naive.isna().to_numpy().argmax())
        raise BookFormatError(f"{path}: row {i + 1} field timestamp: {df.at[i, 'timestamp']!r} is not a time")
    local = naive.dt.tz_localize(RECORDED_TZ, ambiguous="NaT", nonexistent="NaT")
    ok = local.notna()
    frame = pd.DataFrame({
        "ts": local[ok].dt.tz_convert("UTC"),
        "ticker": df.loc[ok, "market_ticker"],
        "yes_bid_c": cents["best_yes_bid"][ok],
        "no_bid_c": cents["best_no_bid"][ok],
    })
    return frame.sort_values("ts", kind="stable").reset_index(drop=True), int((~ok).sum())
