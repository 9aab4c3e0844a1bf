"""`kalshi-edge airflow ARGS...`: the Airflow CLI with this project's environment.

``airflow`` alone, run from a shell, knows nothing of the project: it is not on PATH outside the
venv, and without ``AIRFLOW_HOME`` it creates ``~/airflow`` and asks for a migration. This wrapper
sets what ``make airflow`` sets (``AIRFLOW_HOME`` = ``.airflow/`` of the checkout unless already
set, the DAGs and plugins folders, no examples, the venv's ``bin`` first on PATH), prepares the
metadata DB on first use (migrate + the ``lake_writer`` pool), makes sure the DAGs are in the
DB before ``backfill create``, then runs ``airflow ARGS...``. Known refusals (a second backfill of
a DAG while one runs, an unknown DAG) are one line, exit 1.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import typer

from kalshi_edge.cli.common import EnvironmentProblem, console


def airflow_env(base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment ``make airflow`` uses, applied over ``base`` (default: ``os.environ``)."""
    from kalshi_edge.config import PROJECT_ROOT

    env = dict(os.environ if base is None else base)
    root = Path(PROJECT_ROOT)
    env.setdefault("AIRFLOW_HOME", str(root / ".airflow"))
    env.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(root / "dags"))
    env.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(root / "plugins"))
    env.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
    env.setdefault("GX_ANALYTICS_ENABLED", "False")
    bindir = str(Path(sys.executable).parent)
    if env.get("PATH", "").split(os.pathsep)[0] != bindir:
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    return env


def _airflow(args: list[str], env: dict[str, str], *, capture: bool = True) -> subprocess.CompletedProcess:
    exe = Path(sys.executable).parent / "airflow"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "airflow"]
    return subprocess.run([*cmd, *args], env=env, text=True, capture_output=capture)


def _prepare(env: dict[str, str]) -> None:
    """Migrate the metadata DB and create the lake_writer pool the first time (SQLite default)."""
    from kalshi_edge.dag_defaults import LAKE_WRITE_POOL, LAKE_WRITE_POOL_SLOTS

    home = Path(env["AIRFLOW_HOME"])
    if env.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN") or (home / "airflow.db").exists():
        return
    home.mkdir(parents=True, exist_ok=True)
    console.print(f"preparing the Airflow metadata DB in {home} (first use; takes a few seconds)", highlight=False, soft_wrap=True)
    for step in (["db", "migrate"], ["pools", "set", LAKE_WRITE_POOL, str(LAKE_WRITE_POOL_SLOTS), "lake writes"]):
        proc = _airflow(step, env)
        if proc.returncode != 0:
            raise EnvironmentProblem(f"airflow {' '.join(step)} failed in {home}: {_last_line(proc.stderr)}")


def _last_line(text: str) -> str:
    """The exception line of a traceback (or the last non-empty line)."""
    lines = [ln.strip() for ln in (text or "").splitlines() if ln.strip()]
    for ln in reversed(lines):
        if "Error" in ln.split(":")[0] or "Exception" in ln.split(":")[0] or ln.startswith("airflow."):
            return ln
    return lines[-1] if lines else "no output"


def _option(args: list[str], name: str) -> str | None:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


def run_airflow(args: list[str]) -> int:
    """Run ``airflow ARGS`` in the project's environment; returns its exit code."""
    env = airflow_env()
    _prepare(env)
    if args[:2] != ["backfill", "create"]:
        return _airflow(args, env, capture=False).returncode
    dag_id = _option(args, "--dag-id") or "?"
    if _option(args, "--max-active-runs") is None:  # Airflow's default (10) floods a small machine
        args = [*args, "--max-active-runs", str(max(1, min(4, os.cpu_count() or 1)))]
    proc = _airflow(args, env)
    if proc.returncode != 0 and ("DagNotFound" in proc.stderr or "Could not find dag" in proc.stderr):
        console.print("loading the DAGs into the metadata DB (`airflow dags reserialize`)", highlight=False, soft_wrap=True)
        ser = _airflow(["dags", "reserialize"], env)
        if ser.returncode != 0:
            raise EnvironmentProblem(f"airflow dags reserialize failed: {_last_line(ser.stderr)}")
        proc = _airflow(args, env)
    sys.stdout.write(proc.stdout)
    if proc.returncode == 0:
        console.print(
            f"backfill of {dag_id} created in {env['AIRFLOW_HOME']}: its runs execute while `make airflow` runs and "
            f"the DAG is unpaused (`kalshi-edge airflow dags unpause {dag_id}`)", highlight=False, soft_wrap=True)
        return 0
    err = proc.stderr
    if "AlreadyRunningBackfill" in err or "Another backfill is running" in err:
        raise EnvironmentProblem(
            f"a backfill of {dag_id} is already running (Airflow allows one per DAG): wait for it to finish, or "
            f"cancel it in the UI (DAG {dag_id} → Backfills) or with PUT /api/v2/backfills/<id>/cancel")
    if "DagNotFound" in err or "Could not find dag" in err:
        raise EnvironmentProblem(f"--dag-id {dag_id}: no such DAG in {env['AIRFLOW__CORE__DAGS_FOLDER']}")
    if "NoBackfillRunsToCreate" in err or "No runs to create" in err or "No runs to create" in proc.stdout:
        raise EnvironmentProblem(f"{dag_id}: no runs to create in that date range (before its start_date?)")
    raise EnvironmentProblem(f"airflow {' '.join(args[:2])} failed: {_last_line(err)}")


def register(app: typer.Typer) -> None:
    @app.command(
        "airflow",
        context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    )
    def airflow(ctx: typer.Context) -> None:
        """Run the Airflow CLI with this project's AIRFLOW_HOME, DAGs folder and venv on PATH.

        Example: kalshi-edge airflow backfill create --dag-id btc_bars_backfill --from-date 2026-01-20
        --to-date 2026-03-06. Airflow's own help: kalshi-edge airflow -- backfill create --help.
        """
        args = [a for a in ctx.args]
        if args and args[0] == "--":
            args = args[1:]
        if not args:
            raise typer.BadParameter("give the Airflow command to run, e.g. `kalshi-edge airflow dags list`")
        rc = run_airflow(args)
        if rc:
            raise typer.Exit(rc)
