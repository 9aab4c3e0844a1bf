"""Price bars: the documented CSV layout ``timestamp,open,high,low,close,volume`` (UTC, any fixed interval).

:func:`read_bars_csv` parses and validates a file into a DataFrame sorted by ``ts`` with columns
``ts`` (datetime64[ns, UTC]), ``open, high, low, close, volume`` (float64). Prices are floats
here on purpose: they feed a volatility model, not an order; nothing in this module is money.
:func:`validate_bars` reports what is wrong (duplicates, non-positive prices, out-of-order rows,
gaps) without dropping anything, so importers can quarantine exactly the bad rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

BAR_COLUMNS = ("timestamp", "open", "high", "low", "close", "volume")


class BarsError(ValueError):
    """A bars file cannot be used. The message names the file, and the row/field when known."""


@dataclass
class BarsReport:
    """What validation found. Row numbers are 1-based data rows of the source file (header = row 0)."""

    rows: int = 0
    interval_seconds: float = 0.0
    duplicate_rows: list[int] = field(default_factory=list)
    nonpositive_rows: list[int] = field(default_factory=list)
    out_of_order_rows: list[int] = field(default_factory=list)
    gaps: list[tuple[str, str, int]] = field(default_factory=list)  # (after_ts, before_ts, missing bars)

    @property
    def bad_rows(self) -> list[int]:
        return sorted(set(self.duplicate_rows) | set(self.nonpositive_rows) | set(self.out_of_order_rows))


def read_raw_csv(path: Path) -> pd.DataFrame:
    """The CSV as strings (no parsing), checking the required columns exist."""
    from kalshi_edge.lake.inputs import read_input_csv

    df = read_input_csv(path, what="bars CSV", dtype=str, keep_default_na=False)
    missing = [c for c in ("timestamp", "close") if c not in df.columns]
    if missing:
        raise BarsError(f"{path}: missing column(s) {missing}; expected header {','.join(BAR_COLUMNS)}")
    return df


def parse_bars_frame(df: pd.DataFrame, source: str) -> pd.DataFrame:
    """Typed frame in FILE order (not sorted) with a ``row`` column; raises BarsError naming row+field."""
    out = pd.DataFrame({"row": np.arange(1, len(df) + 1)})
    raw = df["timestamp"].astype(str).str.strip()
    if len(raw) and raw.str.fullmatch(r"\d{9,13}(\.\d+)?").all():
        # Unix epoch seconds (or milliseconds when 13 digits), as some exporters write them
        num = pd.to_numeric(raw)
        ts = pd.to_datetime(num, unit="ms" if num.max() > 1e11 else "s", utc=True)
    else:
        ts = pd.to_datetime(raw, utc=True, errors="coerce", format="ISO8601")
    bad = ts.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise BarsError(f"{source}: row {i + 1} field timestamp: {df['timestamp'].iloc[i]!r} is not an ISO-8601 time")
    out["ts"] = ts.dt.as_unit("ns").reset_index(drop=True)
    for col in ("open", "high", "low", "close", "volume"):
        if col not in df.columns:
            out[col] = np.nan if col != "close" else None
            continue
        vals = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
        nonnum = vals.isna() & (df[col] != "")
        if nonnum.any():
            i = int(np.flatnonzero(nonnum.to_numpy())[0])
            raise BarsError(f"{source}: row {i + 1} field {col}: {df[col].iloc[i]!r} is not a number")
        out[col] = vals.astype(float)
    if out["close"].isna().any():
        i = int(np.flatnonzero(out["close"].isna().to_numpy())[0])
        raise BarsError(f"{source}: row {i + 1} field close: empty")
    return out


def refuse_out_of_range(frame: pd.DataFrame, source: str) -> None:
    """Raise BarsError for the first non-finite or absurd value (bounds declared on ``btc_bars``).

    A model fed an ``inf`` or ``1e300`` price scores nonsense without a word, so readers that
    evaluate or train refuse the file; the lake import quarantines those rows instead.
    """
    from kalshi_edge.families.btc.datasets import BTC_BARS

    bad = BTC_BARS.out_of_range(frame)
    if bad:
        i, col, why = bad[0]
        more = f" (+{len(bad) - 1} more)" if len(bad) > 1 else ""
        raise BarsError(f"{source}: row {int(frame['row'].iloc[i])} field {col}: {why}{more}")


def validate_bars(frame: pd.DataFrame) -> BarsReport:
    """Find duplicates, non-positive prices, out-of-order rows and gaps in a FILE-order frame."""
    rep = BarsReport(rows=len(frame))
    ts = frame["ts"].to_numpy(dtype="datetime64[ns]").astype(np.int64)
    rows = frame["row"].to_numpy()
    price_cols = [c for c in ("open", "high", "low", "close") if c in frame.columns]
    px = frame[price_cols].to_numpy(dtype=float)
    rep.nonpositive_rows = rows[(px <= 0).any(axis=1)].tolist()
    # out of order: earlier than the running max of the timestamps before it
    run_max = np.maximum.accumulate(ts)
    ooo = np.zeros(len(ts), dtype=bool)
    ooo[1:] = ts[1:] < run_max[:-1]
    rep.out_of_order_rows = rows[ooo].tolist()
    dup = pd.Series(ts).duplicated(keep="first").to_numpy()
    rep.duplicate_rows = rows[dup & ~ooo].tolist()
    good = np.sort(np.unique(ts[~ooo]))
    if len(good) >= 2:
        d = np.diff(good)
        step = int(np.median(d))
        rep.interval_seconds = step / 1e9
        for j in np.flatnonzero(d > step):
            a = pd.Timestamp(good[j], tz="UTC").isoformat()
            b = pd.Timestamp(good[j + 1], tz="UTC").isoformat()
            rep.gaps.append((a, b, int(d[j] // step) - 1))
    return rep


def read_bars_csv(path: str | Path, *, strict: bool = False, report: BarsReport | None = None) -> pd.DataFrame:
    """Read a bars CSV; return clean bars sorted by ``ts`` (bad rows dropped unless ``strict``).

    With ``strict=True`` any duplicate, non-positive or out-of-order row raises :class:`BarsError`
    naming the first offending row. Gaps are allowed (the model handles them).
    """
    p = Path(path)
    frame = parse_bars_frame(read_raw_csv(p), str(p))
    if frame.empty:
        raise BarsError(f"{p}: no rows")
    refuse_out_of_range(frame, str(p))
    rep = validate_bars(frame)
    if report is not None:  # hand the findings to the caller (CLI prints them)
        report.__dict__.update(rep.__dict__)
    if strict and rep.bad_rows:
        r = rep.bad_rows[0]
        raise BarsError(f"{p}: row {r}: duplicate, non-positive or out-of-order bar")
    keep = ~frame["row"].isin(rep.bad_rows)
    out = frame[keep].sort_values("ts", kind="stable").reset_index(drop=True)
    return out.drop(columns=["row"])
