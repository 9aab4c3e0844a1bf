"""Issue 13: the README's backfill commands work exactly as written (after `make install`), and a
second `backfill create` while one runs is a one-line refusal, not a traceback."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]


def readme_backfill_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Backfills", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    return [ln.strip() for ln in blocks[0].splitlines() if "backfill create" in ln]


def _backfill_runs(db: Path, dag_id: str) -> int:
    """Runs of ``dag_id`` in the DB (a backfill leaves dates that already have a run alone)."""
    with sqlite3.connect(db) as con:
        return con.execute("SELECT COUNT(DISTINCT logical_date) FROM dag_run WHERE dag_id = ?", (dag_id,)).fetchone()[0]


def test_readme_backfill_commands_run_as_written(airflow_db):
    commands = readme_backfill_commands()
    assert len(commands) == 2 and all(c.startswith(".venv/bin/kalshi-edge airflow backfill create") for c in commands)
    db = Path(os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].removeprefix("sqlite:///"))
    for cmd in commands:
        proc = subprocess.run(cmd, shell=True, cwd=ROOT, capture_output=True, text=True, timeout=300)
        dag_id = cmd.split("--dag-id ")[1].split()[0]
        assert proc.returncode == 0, proc.stderr[-2000:]
        assert f"backfill of {dag_id} created" in proc.stderr.replace("\n", " ")
    assert _backfill_runs(db, "btc_bars_backfill") == 46  # 2026-01-20 .. 2026-03-06, one per day
    assert _backfill_runs(db, "lake_ingest_settled_contracts") >= 6  # monthly

    again = subprocess.run(commands[1], shell=True, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert again.returncode == 1
    err = again.stderr.strip()
    assert "already running" in err and "Traceback" not in err and len(err.splitlines()) == 1
    assert _backfill_runs(db, "btc_bars_backfill") == 46
