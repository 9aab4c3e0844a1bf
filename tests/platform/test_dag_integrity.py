"""Every DAG in dags/ imports cleanly and follows the project's DAG rules."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def dagbag():
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR))


def test_no_import_errors(dagbag):
    assert dagbag.import_errors == {}
    assert len(dagbag.dags) >= 1


def test_every_dag_follows_the_rules(dagbag):
    problems = []
    for dag_id, dag in dagbag.dags.items():
        if not dag.tags:
            problems.append(f"{dag_id}: no tags")
        if not dag.doc_md or len(dag.doc_md.strip()) < 40:
            problems.append(f"{dag_id}: no doc_md")
        start = dag.start_date
        if start is None or start.tzinfo is None or start.utcoffset() is None:
            problems.append(f"{dag_id}: start_date not tz-aware")
        for task in dag.tasks:
            if (task.retries or 0) < 2:
                problems.append(f"{dag_id}.{task.task_id}: retries={task.retries} < 2")
    assert problems == []


@pytest.mark.parametrize("path", sorted(DAGS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_dag_files_declare_schedule_and_do_no_work_at_parse_time(path):
    """Static rules: explicit schedule=, imports of the library only inside task bodies."""
    tree = ast.parse(path.read_text())
    dag_calls = [
        n for n in ast.walk(tree)
        if isinstance(n, ast.Call) and getattr(n.func, "id", getattr(n.func, "attr", "")) in ("dag", "DAG")
    ]
    assert dag_calls, f"{path.name}: no @dag/DAG(...)"
    for call in dag_calls:
        assert any(k.arg == "schedule" for k in call.keywords), f"{path.name}: schedule= missing"
    heavy = {"pandas", "duckdb", "lightgbm", "optuna", "pyarrow", "requests", "great_expectations"}
    for node in tree.body:  # module level only
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            for name in names:
                assert name.split(".")[0] not in heavy, f"{path.name}: imports {name} at parse time"
                if name.startswith("kalshi_edge") and name not in ("kalshi_edge.dag_defaults", "kalshi_edge.assets"):
                    assert "sensor" in name or "trigger" in name, f"{path.name}: imports {name} at parse time"


def test_start_dates_are_in_the_past():
    # A start date in the future would make `airflow backfill create` and the scheduler idle.
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAGS_DIR))
    now = dt.datetime.now(dt.UTC)
    assert all(d.start_date <= now for d in bag.dags.values())
