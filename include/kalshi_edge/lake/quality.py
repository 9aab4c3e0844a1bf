"""Great Expectations 1.x suites derived from each dataset's declared checks.

The write path enforces the same rules row by row (so failing rows can be quarantined with a
reason); these suites re-check what is *stored*, as a DAG task after ingestion, and give the
standard GE validation result for data-quality tooling. ``custom`` checks have no GE twin and are
listed in the suite's ``meta`` instead.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from kalshi_edge.lake.dataset import Check, Dataset

log = logging.getLogger(__name__)


def _expectation(chk: Check) -> Any | None:
    import great_expectations.expectations as gxe

    if chk.kind == "not_null":
        return gxe.ExpectColumnValuesToNotBeNull(column=chk.column)
    if chk.kind == "between":
        p = chk.params
        return gxe.ExpectColumnValuesToBeBetween(
            column=chk.column,
            min_value=p["min_value"],
            max_value=p["max_value"],
            strict_min=p["strict_min"],
            strict_max=p["strict_max"],
        )
    if chk.kind == "in_set":
        return gxe.ExpectColumnValuesToBeInSet(column=chk.column, value_set=chk.params["value_set"])
    if chk.kind == "regex":
        return gxe.ExpectColumnValuesToMatchRegex(column=chk.column, regex=chk.params["regex"])
    return None


def build_suite(ds: Dataset) -> Any:
    """The ExpectationSuite for a dataset (name ``<dataset>_suite``)."""
    import great_expectations as gx
    import great_expectations.expectations as gxe

    suite = gx.ExpectationSuite(name=f"{ds.name}_suite")
    suite.add_expectation(gxe.ExpectTableColumnsToMatchSet(column_set=ds.schema.names, exact_match=False))
    for chk in ds.checks:
        exp = _expectation(chk)
        if exp is not None:
            suite.add_expectation(exp)
    if ds.key:
        if len(ds.key) == 1:
            suite.add_expectation(gxe.ExpectColumnValuesToBeUnique(column=ds.key[0]))
        else:
            suite.add_expectation(gxe.ExpectCompoundColumnsToBeUnique(column_list=list(ds.key)))
    suite.meta["custom_checks_not_in_ge"] = [c.reason for c in ds.checks if c.kind == "custom"]
    return suite


def validate_frame(ds: Dataset, df: pd.DataFrame) -> dict:
    """Run the dataset's suite on ``df`` with an ephemeral GE context. Returns a small summary."""
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    source = ctx.data_sources.add_pandas(name=f"{ds.name}_src")
    asset = source.add_dataframe_asset(name=ds.name)
    batch_def = asset.add_batch_definition_whole_dataframe(f"{ds.name}_batch")
    suite = ctx.suites.add(build_suite(ds))
    vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"{ds.name}_vd", data=batch_def, suite=suite))
    res = vd.run(batch_parameters={"dataframe": df}, result_format="SUMMARY")
    failed = [
        {
            "expectation": r.expectation_config.type,
            "column": r.expectation_config.kwargs.get("column"),
            "unexpected_count": (r.result or {}).get("unexpected_count"),
        }
        for r in res.results
        if not r.success
    ]
    return {
        "dataset": ds.name,
        "success": bool(res.success),
        "evaluated": len(res.results),
        "failed": failed,
        "rows": len(df),
    }


def validate_stored(lake: Any, ds: Dataset, where: str | None = None) -> dict:
    """Validate what the lake holds for ``ds`` (optionally a slice); raise if the suite fails."""
    from kalshi_edge.lake.errors import ValidationFailed

    df = lake.read(ds, where=where)
    summary = validate_frame(ds, df)
    if not summary["success"]:
        raise ValidationFailed(f"{ds.name}: stored data fails its Great Expectations suite: {summary['failed']}")
    return summary


def datasets_with_data(lake: Any) -> list[str]:
    """Names of registered datasets that hold at least one partition (for the quality DAG)."""
    from kalshi_edge.lake.dataset import load_all_datasets

    return sorted(name for name, ds in load_all_datasets().items() if lake.files(ds))


def validate_dataset(lake: Any, name: str) -> dict:
    """Run one dataset's suite over everything stored; raise ValidationFailed if it fails."""
    from kalshi_edge.lake.dataset import get_dataset

    return validate_stored(lake, get_dataset(name))
