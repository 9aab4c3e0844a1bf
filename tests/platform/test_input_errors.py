"""One error style for bad input (issue #12): one line naming file, row (data rows from 1, the same
in every importer and evaluator) and field, exit 2, never a traceback; header-only input is an
error where rows are required; out-of-range values are quarantined by imports and refused by
evaluations. Rows are real sample rows; only the damaged cell is synthetic."""

from __future__ import annotations

import gzip
from pathlib import Path

import pandas as pd
import pytest

from kalshi_edge.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample"
CHARTS = SAMPLE / "billboard" / "hot100_2019_2023.csv.gz"
TMAX = SAMPLE / "weather" / "tmax_KNYC.csv.gz"
BARS = SAMPLE / "btc" / "btcusd_5m_2026-02-21_2026-03-06.csv.gz"
BOOK = SAMPLE / "kalshi" / "top_of_book_KXHIGHNY-25DEC05_first4000.csv.gz"
SETTLED = SAMPLE / "kalshi_history" / "highest_temp_settled_2024H2.csv.gz"


def _lines(src: Path, n: int) -> list[str]:
    with gzip.open(src, "rt") as fh:
        return [next(fh) for _ in range(n + 1)]  # header + n data rows


def _damaged(tmp_path: Path, src: Path, n: int, row: int, column: str, value: str, name: str = "in.csv") -> Path:
    """The first ``n`` real rows of ``src`` with data row ``row`` (1-based) cell ``column`` replaced."""
    lines = _lines(src, n)
    header = lines[0].rstrip("\n").split(",")
    cells = lines[row].rstrip("\n").split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells) + "\n"
    p = tmp_path / name
    p.write_text("".join(lines))
    return p


def _header_only(tmp_path: Path, src: Path) -> Path:
    p = tmp_path / "header.csv"
    p.write_text(_lines(src, 0)[0])
    return p


def _run(capsys, argv: list[str]) -> str:
    code = main(argv)
    err = capsys.readouterr().err.strip()
    assert code == 2, (argv, err)
    assert "Traceback" not in err and len(err.splitlines()) == 1, err
    return " ".join(err.split())


def _commands(path: Path, out: Path) -> dict[str, list[str]]:
    return {
        "billboard import": ["billboard", "import", "--charts", str(path)],
        "billboard backtest": ["billboard", "backtest", "--charts", str(path), "--from", "2019-03-01",
                               "--to", "2019-03-02", "--out", str(out / "bb.csv")],
        "weather import": ["weather", "import", "--tmax", str(path)],
        "weather evaluate": ["weather", "evaluate", "--tmax", str(path), "--station", "KNYC", "--from", "2020-01-01",
                             "--out", str(out / "w.csv")],
        "backtest --book": ["backtest", "--book", str(path), "--strategy", "ladder_consensus", "--out", str(out / "bt")],
        "btc import": ["btc", "import", "--bars", str(path)],
        "btc evaluate": ["btc", "evaluate", "--bars", str(path), "--out", str(out / "b.csv")],
    }


SOURCES = {"billboard import": CHARTS, "billboard backtest": CHARTS, "weather import": TMAX, "weather evaluate": TMAX,
           "backtest --book": BOOK, "btc import": BARS, "btc evaluate": BARS}


@pytest.mark.parametrize("command", list(SOURCES))
def test_a_directory_an_empty_file_a_header_only_file_and_non_utf8_are_one_line_errors(tmp_path, capsys, command):
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header = _header_only(tmp_path, SOURCES[command])
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(_lines(SOURCES[command], 2)[0].encode() + b"caf\xe9,1,2\n")

    if command == "backtest --book":  # the backtest CLI checks its --book paths itself first
        assert f"--book: file not found: {folder}" in _run(capsys, _commands(folder, tmp_path)[command])
    else:
        assert f"{folder}: is a directory" in _run(capsys, _commands(folder, tmp_path)[command])
    assert f"{empty}: empty file" in _run(capsys, _commands(empty, tmp_path)[command])
    assert f"{header}: no data rows (only a header)" in _run(capsys, _commands(header, tmp_path)[command])
    assert f"{latin1}: row 1: not UTF-8 text (byte offset" in _run(capsys, _commands(latin1, tmp_path)[command])


# The same damage at data row 3 is reported as row 3 by every reader.
EVALUATORS = [
    ("billboard backtest", CHARTS, "this_week", "inf", "field this_week: 'inf' is not a positive integer"),
    ("billboard backtest", CHARTS, "this_week", "1e300", "field this_week: '1e+300' is not a positive integer"),
    ("weather evaluate", TMAX, "tmax_f", "inf", "field tmax_f: 'inf': tmax_f: inf is not a finite number"),
    ("weather evaluate", TMAX, "tmax_f", "1e300", "field tmax_f: '1e300': tmax_f not >= "),
    ("btc evaluate", BARS, "close", "inf", "field close: close: inf is not a finite number"),
    ("btc evaluate", BARS, "close", "1e300", "field close: close not > 0 and <= 10000000.0"),
    ("backtest --book", BOOK, "best_yes_bid", "1e300", "field best_yes_bid: '1e300' is not a price in cents"),
]


@pytest.mark.parametrize("command, src, column, value, why", EVALUATORS)
def test_evaluations_refuse_non_finite_and_absurd_values_naming_the_data_row(tmp_path, capsys, command, src, column,
                                                                           value, why):
    path = _damaged(tmp_path, src, 400, 3, column, value)
    err = _run(capsys, _commands(path, tmp_path)[command])
    assert f"{path}: row 3 {why}" in err


IMPORTS = [
    ("billboard import", CHARTS, "this_week", "1e300", "billboard_charts"),
    ("billboard import", CHARTS, "this_week", "inf", "billboard_charts"),
    ("weather import", TMAX, "tmax_f", "inf", "weather_tmax"),
    ("btc import", BARS, "close", "1e300", "btc_bars"),
]


@pytest.mark.parametrize("command, src, column, value, dataset", IMPORTS)
def test_imports_quarantine_out_of_range_values_with_the_data_row(tmp_path, capsys, settings, command, src, column,
                                                                  value, dataset):
    path = _damaged(tmp_path, src, 100, 3, column, value)
    assert main(_commands(path, tmp_path)[command]) == 0
    files = list((settings.quarantine_root / dataset).glob("*.parquet"))
    assert len(files) == 1
    q = pd.read_parquet(files[0])
    assert list(q["_source_row"]) == [3] and column in q["_reason"].iloc[0]


def test_settled_contracts_quarantine_counts_data_rows_too(tmp_path, lake):
    from kalshi_edge.sources.kalshi_history import import_settled_contracts

    path = _damaged(tmp_path, SETTLED, 100, 3, "last_price_cents", "1e300")
    res = import_settled_contracts(lake, path)
    assert list(pd.read_parquet(res.quarantine_file)["_source_row"]) == [3]


@pytest.mark.parametrize("command, src, dataset", [("billboard import", CHARTS, "billboard_charts"),
                                                   ("weather import", TMAX, "weather_tmax")])
def test_imports_say_they_merge_and_keep_what_the_file_does_not_mention(tmp_path, capsys, command, src, dataset):
    full, part = tmp_path / "full.csv", tmp_path / "part.csv"
    lines = _lines(src, 300)
    full.write_text("".join(lines))
    part.write_text("".join(lines[:11]))
    assert main(_commands(full, tmp_path)[command]) == 0
    capsys.readouterr()

    assert main(_commands(part, tmp_path)[command]) == 0

    cap = capsys.readouterr()
    said = " ".join((cap.out + cap.err).split())
    assert f"of {dataset}: 0 row(s) added, 10 updated, 290 stored row(s) not in the input kept" in said


def test_a_broken_gzip_is_a_one_line_error(tmp_path, capsys):
    broken = tmp_path / "bars.csv.gz"
    broken.write_bytes(BARS.read_bytes()[:200])  # the real gzip cut short, as by a failed download
    assert f"{broken}: cannot parse as CSV:" in _run(capsys, _commands(broken, tmp_path)["btc import"])
