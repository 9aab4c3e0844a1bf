"""The data layer: hive-partitioned Parquet (the record) + a DuckDB catalog of views over it.

Public API::

    from kalshi_edge.lake import Dataset, Check, Lake
    res = Lake.from_settings().write(MY_DATASET, frame, source="file.csv")
"""

from kalshi_edge.lake.dataset import REGISTRY, Check, Dataset, get_dataset, load_all_datasets
from kalshi_edge.lake.errors import LakeError, ValidationFailed
from kalshi_edge.lake.writer import SOURCE_ROW, Lake, WriteResult

__all__ = [
    "REGISTRY",
    "SOURCE_ROW",
    "Check",
    "Dataset",
    "Lake",
    "LakeError",
    "ValidationFailed",
    "WriteResult",
    "get_dataset",
    "load_all_datasets",
]
