"""The one way an importer or evaluator opens an input CSV, and the one error style for it.

Every input error is one line naming the file, the row and the field::

    data/x.csv: row 7 field close: 'abc' is not a number

Rows are **data rows counted from 1** (the header is not a row), everywhere: in these messages,
in the quarantine's ``_source_row`` and in the importers' own checks (:func:`data_rows`).
:func:`read_input_csv` turns every way a file can be unusable (a directory, empty, header only,
not UTF-8, not CSV, a broken gzip) into :class:`InputError` (a :class:`LakeError`: the CLI prints
it as one line and exits 2), before any row reaches the lake.
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path
from typing import Any

import pandas as pd

from kalshi_edge.lake.errors import LakeError


class InputError(LakeError):
    """An input file cannot be used: one line naming file, row (data rows, 1-based) and field."""


def data_rows(n: int) -> range:
    """The row numbers of ``n`` data rows as messages and the quarantine show them (1..n)."""
    return range(1, n + 1)


def _first_non_utf8(path: Path) -> tuple[int, int]:
    """(data row, byte offset in the decompressed text) of the first byte that is not UTF-8."""
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as fh:
        data = fh.read()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data.count(b"\n", 0, exc.start), exc.start  # header = line 0 = "row 0"
    return 0, 0


def read_input_csv(path: str | Path, *, what: str = "CSV file", require_rows: bool = True,
                   **read_csv: Any) -> pd.DataFrame:
    """Read ``path`` with ``pandas.read_csv(**read_csv)`` or raise one InputError line.

    ``require_rows``: a file with a header and no data row is an error (an import or evaluation
    of nothing is a mistake, not a success).
    """
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a {what}")
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such {what}")
    try:
        df = pd.read_csv(p, **read_csv)
    except pd.errors.EmptyDataError:
        raise InputError(f"{p}: empty file (expected a header and data rows)") from None
    except UnicodeDecodeError:
        row, offset = _first_non_utf8(p)
        where = "header" if row == 0 else f"row {row}"
        raise InputError(f"{p}: {where}: not UTF-8 text (byte offset {offset})") from None
    except (pd.errors.ParserError, EOFError, OSError, zlib.error, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"{p}: cannot parse as CSV: {first}") from None
    if require_rows and df.empty:
        raise InputError(f"{p}: no data rows (only a header)")
    return df
