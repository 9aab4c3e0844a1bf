"""The library functions behind ``dags/lake_ingest_settled_contracts.py`` (no Airflow here)."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from kalshi_edge.config import Settings, get_settings
from kalshi_edge.lake import Lake
from kalshi_edge.lake.catalog import query, refresh_catalog
from kalshi_edge.lake.quality import validate_stored
from kalshi_edge.sources.datasets import KALSHI_SETTLED_TEMPS
from kalshi_edge.sources.kalshi_history import MARKET_CALIBRATION_SQL, import_settled_contracts

SAMPLE_CSV = Path("kalshi_history/highest_temp_settled_2024H2.csv.gz")


def month_for(logical_date: datetime) -> date:
    """The month a run ingests: the complete month before its logical date."""
    first = logical_date.date().replace(day=1)
    prev_last = first.toordinal() - 1
    return date.fromordinal(prev_last).replace(day=1)


def resolve_source(source_csv: str | None, settings: Settings) -> Path:
    return Path(source_csv) if source_csv else settings.sample_dir / SAMPLE_CSV


def ingest_month(logical_date: datetime, params: dict | None = None, settings: Settings | None = None) -> dict:
    """DAG task: import the month before ``logical_date`` from param ``source_csv`` (default: sample)."""
    settings = settings or get_settings()
    month = month_for(logical_date)
    source = resolve_source((params or {}).get("source_csv"), settings)
    res = import_settled_contracts(Lake.from_settings(settings), source, month=month)
    from kalshi_edge.errors import require_rows

    # issue 13: a month without settled contracts in the source is a failed ingest, not a green one
    return require_rows({"month": f"{month:%Y-%m}", **res.as_dict()}, "kalshi_settled_temps",
                        f"no settled contracts for {month:%Y-%m} in {source}")


def validate_month(month: str, settings: Settings | None = None) -> dict:
    settings = settings or get_settings()
    return validate_stored(Lake.from_settings(settings), KALSHI_SETTLED_TEMPS, where=f"month = '{month}'")


def market_calibration(settings: Settings | None = None) -> list[dict]:
    settings = settings or get_settings()
    lake = Lake.from_settings(settings)
    refresh_catalog(lake)
    return query(lake, MARKET_CALIBRATION_SQL).to_dict(orient="records")


# -- the DAG's task entry points (one signature: fn(logical_date, params, settings=None)) --------
def validate(logical_date: datetime, params: dict | None = None, settings: Settings | None = None) -> dict:
    """Validate the stored month ``params["month"]`` (default: the month ``logical_date`` ingests)."""
    month = (params or {}).get("month") or f"{month_for(logical_date):%Y-%m}"
    return validate_month(month, settings)


def calibration_table(logical_date: datetime, params: dict | None = None,
                      settings: Settings | None = None) -> list[dict]:
    """The market calibration table over everything stored (``logical_date`` only dates the run)."""
    return market_calibration(settings)
