"""`make demo`: the whole pipeline, offline, on data/sample/ and the local exchange simulator.

1. Prepares an Airflow metadata DB (SQLite under AIRFLOW_HOME) with the ``lake_writer`` pool.
2. Runs the platform's ingest DAG for real (``dag.test``): CSV → lake → Great Expectations →
   DuckDB query.
3. Runs each area's offline demo job (the same library calls its DAG tasks make): BTC,
   weather, Billboard, the exchange simulator session, and the paper-trading session.
4. Writes one HTML report under ``data/reports/`` and prints a summary table.

Exit code 0 only if every step succeeded; a failing step is shown in the summary and report.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from kalshi_edge.config import PROJECT_ROOT, get_settings
from kalshi_edge.reports.html import render_report, table_html

console = Console()

#: (title, module with ``run_demo(settings) -> {"title","summary","html"}``), in pipeline order.
AREA_DEMOS: list[tuple[str, str]] = [
    ("BTC family", "kalshi_edge.families.btc.demo"),
    ("Weather family", "kalshi_edge.families.weather.demo"),
    ("Billboard family", "kalshi_edge.families.billboard.demo"),
    ("Exchange simulator", "kalshi_edge.exchange.demo"),
    ("Kalshi client", "kalshi_edge.demos.kalshi"),
    ("Paper trading session", "kalshi_edge.demos.trading"),
]


def _prepare_airflow() -> None:
    os.environ.setdefault("AIRFLOW_HOME", str(PROJECT_ROOT / ".airflow"))
    os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(PROJECT_ROOT / "dags"))
    os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    from kalshi_edge.dag_defaults import LAKE_WRITE_POOL, LAKE_WRITE_POOL_SLOTS

    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}")
    for cmd in (["db", "migrate"], ["pools", "set", LAKE_WRITE_POOL, str(LAKE_WRITE_POOL_SLOTS), "lake writes"]):
        proc = subprocess.run([sys.executable, "-m", "airflow", *cmd], env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            raise RuntimeError(f"airflow {' '.join(cmd)} failed: {proc.stderr[-1500:]}")


def _platform_dag_run(settings: Any) -> dict:
    """The real DAG run: settled contracts CSV → lake → GE suite → DuckDB calibration table."""
    import logging

    import pendulum
    from airflow.dag_processing.dagbag import DagBag

    logging.getLogger("airflow").setLevel(logging.WARNING)
    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags" / "lake_ingest_settled_contracts.py"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag = bag.dags["lake_ingest_settled_contracts"]
    run = dag.test(logical_date=pendulum.datetime(2024, 8, 1, tz="UTC"))
    if run.state != "success":
        raise RuntimeError(f"DAG run ended {run.state}")
    from kalshi_edge.lake import Lake
    from kalshi_edge.sources.kalshi_history_tasks import market_calibration

    lake = Lake.from_settings(settings)
    rows = market_calibration(settings)
    html = (
        "<p>Real Airflow DAG run (<code>lake_ingest_settled_contracts</code>, logical date 2024-08-01): "
        "July 2024 settled KXHIGHNY/KXHIGHMIA contracts imported into the lake, validated by their Great "
        "Expectations suite, then queried through the DuckDB catalog. How well did the last traded "
        "price predict the result?</p>" + table_html(rows)
    )
    summary = [{"dag_run": run.state, "rows_in_lake": lake.row_count("kalshi_settled_temps"),
                "partitions": len(lake.partitions("kalshi_settled_temps"))}]
    return {"title": "Platform: ingest → validate → DuckDB (Airflow DAG run)", "summary": summary, "html": html}


def _run_step(title: str, fn: Callable[[], dict]) -> dict:
    console.print(f"[bold]▶ {title}[/bold]")
    t0 = time.monotonic()
    try:
        out = fn()
        ok = True
        err = ""
    except Exception as exc:
        out = {"title": title, "summary": [], "html": f"<pre class='fail'>{traceback.format_exc()}</pre>"}
        ok = False
        err = f"{type(exc).__name__}: {exc}"
        console.print(f"[red]  ✗ {title} failed: {err}[/red]")
    secs = time.monotonic() - t0
    if ok:
        console.print(f"[green]  ✓ {title}[/green] ({secs:.1f} s)")
    return {"title": out.get("title") or title, "html": out.get("html", ""), "summary": out.get("summary") or [],
            "ok": ok, "error": err, "seconds": secs}


def _summarize(rows: list[dict]) -> str:
    if not rows:
        return ""
    first = rows[0]
    items = list(first.items())[:4]
    text = ", ".join(f"{k}={v}" for k, v in items)
    return text + (f" (+{len(rows) - 1} rows)" if len(rows) > 1 else "")


def main() -> int:
    settings = get_settings()
    started = datetime.now(UTC)
    console.print(f"kalshi-edge demo · data in {settings.data_dir} · offline · paper trading")
    steps: list[dict] = []
    steps.append(_run_step("Airflow metadata DB", lambda: (_prepare_airflow(), {"title": "Airflow metadata DB"})[1]))
    steps.append(_run_step("Platform DAG run", lambda: _platform_dag_run(settings)))
    for title, module in AREA_DEMOS:
        def job(module: str = module) -> dict:
            return importlib.import_module(module).run_demo(settings)

        steps.append(_run_step(title, job))

    sections = [s for s in steps if s["title"] != "Airflow metadata DB" or not s["ok"]]
    report = render_report("kalshi-edge demo report", sections, generated_at=started)
    settings.reports_dir.mkdir(parents=True, exist_ok=True)
    path = settings.reports_dir / f"demo-{started:%Y%m%dT%H%M%S}.html"
    path.write_text(report)
    (settings.reports_dir / "demo-latest.html").write_text(report)

    table = Table(title="kalshi-edge demo summary")
    for col in ("step", "status", "seconds", "result"):
        table.add_column(col)
    for s in steps:
        status = "[green]ok[/green]" if s["ok"] else "[red]FAILED[/red]"
        table.add_row(s["title"], status, f"{s['seconds']:.1f}", s["error"] or _summarize(s["summary"]))
    console.print(table)
    console.print(f"HTML report: {path}")
    failed = [s for s in steps if not s["ok"]]
    if failed:
        console.print(f"[red]{len(failed)} step(s) failed[/red]")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
