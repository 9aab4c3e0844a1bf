"""Suite-wide isolation: no test reads or writes the user's lake, models or Airflow home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = PROJECT_ROOT / "tests" / "fixtures"

# Airflow must never load its examples or touch ~/airflow from a test process: every test
# process (each xdist worker too) gets its own AIRFLOW_HOME with a SQLite metadata DB.
import tempfile  # noqa: E402

_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="ke-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROJECT_ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(PROJECT_ROOT / "plugins")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}"

# Airflow configures logging when first imported, binding handlers to the sys.stderr of that
# moment. Import it here (under pytest's session-long capture), never first inside a test whose
# capsys stream is closed afterwards; otherwise later log calls print "--- Logging error ---".
import airflow  # noqa: E402

os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
# A developer's own .env must not leak into tests.
os.environ["KALSHI_EDGE_ENV_FILE"] = os.devnull


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """Point data and models at a fresh temp dir for every test; reset cached settings."""
    from kalshi_edge.config import get_settings

    base = tmp_path_factory.mktemp("ke")
    monkeypatch.setenv("KALSHI_EDGE_DATA_DIR", str(base / "data"))
    monkeypatch.setenv("KALSHI_EDGE_MODELS_DIR", str(base / "models"))
    monkeypatch.setenv("KALSHI_EDGE_KALSHI_ENV", "local")
    monkeypatch.delenv("TRADE_MODE", raising=False)
    monkeypatch.delenv("KALSHI_EDGE_TRADE_MODE", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def settings():
    from kalshi_edge.config import get_settings

    return get_settings()


@pytest.fixture
def lake(settings):
    from kalshi_edge.lake import Lake

    return Lake.from_settings(settings)


@pytest.fixture(scope="session")
def airflow_db() -> Path:
    """This process's Airflow metadata DB, migrated, with the lake-writer pool.

    Migrating takes ~10 s, so it happens once per machine and Airflow version into a template
    (serialized across xdist workers with a file lock); each worker copies the template.
    """
    import fcntl
    import shutil
    import sqlite3
    import subprocess
    import sys

    from kalshi_edge.dag_defaults import LAKE_WRITE_POOL, LAKE_WRITE_POOL_SLOTS

    template = Path(tempfile.gettempdir()) / f"ke-airflow-template-{airflow.__version__}-{os.getuid()}"
    template.mkdir(exist_ok=True)
    with open(template / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        db = template / "airflow.db"
        if not (template / ".ready").exists():
            db.unlink(missing_ok=True)
            env = dict(os.environ, AIRFLOW_HOME=str(template), AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{db}")
            env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
            for cmd in (
                ["db", "migrate"],
                ["pools", "set", LAKE_WRITE_POOL, str(LAKE_WRITE_POOL_SLOTS), "serialized lake and DuckDB writes"],
            ):
                proc = subprocess.run([sys.executable, "-m", "airflow", *cmd], env=env, capture_output=True, text=True)
                assert proc.returncode == 0, proc.stderr[-2000:]
            with sqlite3.connect(db) as con:  # fold the WAL into the file so a plain copy is complete
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            (template / ".ready").touch()
        shutil.copyfile(db, _AIRFLOW_HOME / "airflow.db")
    return _AIRFLOW_HOME
