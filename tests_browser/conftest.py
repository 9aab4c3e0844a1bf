"""The real-browser suite (``make test-browser``; not part of ``make test``).

Isolation as in ``tests/conftest.py``: a temporary AIRFLOW_HOME with its own SQLite metadata DB,
the project's dags/ and plugins/ folders, no examples, no developer ``.env``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
_AIRFLOW_HOME = Path(tempfile.mkdtemp(prefix="ke-browser-airflow-"))
os.environ["AIRFLOW_HOME"] = str(_AIRFLOW_HOME)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(PROJECT_ROOT / "dags")
os.environ["AIRFLOW__CORE__PLUGINS_FOLDER"] = str(PROJECT_ROOT / "plugins")
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_AIRFLOW_HOME / 'airflow.db'}"
os.environ["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = "admin:admin"
os.environ["KALSHI_EDGE_ENV_FILE"] = os.devnull
os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
os.environ["SE_OFFLINE"] = "true"  # Selenium Manager must never download a driver or a browser
