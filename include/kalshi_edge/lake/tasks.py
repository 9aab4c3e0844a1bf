"""The ``lake_quality`` DAG's task entry points (no Airflow here; one signature
``fn(logical_date, params, settings=None)`` like every DAG task function)."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def _lake(settings: Any):
    from kalshi_edge.lake import Lake

    return Lake.from_settings(settings)


def list_datasets(logical_date: datetime, params: dict | None = None, settings: Any = None) -> list[str]:
    """The datasets that hold data (the ones the run validates)."""
    from kalshi_edge.lake.quality import datasets_with_data

    return datasets_with_data(_lake(settings))


def validate(logical_date: datetime, params: dict | None = None, settings: Any = None) -> dict:
    """Validate the stored dataset ``params["name"]``."""
    from kalshi_edge.lake.quality import validate_dataset

    name = (params or {}).get("name")
    if not name:
        raise ValueError("lake_quality validate: params['name'] (the dataset) is required")
    return validate_dataset(_lake(settings), name)
