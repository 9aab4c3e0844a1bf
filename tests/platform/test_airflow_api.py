"""The Airflow API server serves the project's DAGs over REST (/api/v2/dags, bearer token)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.airflow_api_server import airflow_api_server, airflow_env

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"


@pytest.fixture(scope="module")
def api_server(airflow_db):
    env = airflow_env(AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="admin:admin")
    subprocess.run([sys.executable, "-m", "airflow", "dags", "reserialize"], env=env, check=True, capture_output=True)
    with airflow_api_server(env, airflow_db / "api-server.log") as base:
        yield base, airflow_db


def test_rest_api_lists_the_project_dags_with_a_bearer_token(api_server):
    base, home = api_server
    password = json.loads((home / "simple_auth_manager_passwords.json.generated").read_text())["admin"]
    token = requests.post(f"{base}/auth/token", json={"username": "admin", "password": password}, timeout=10)
    assert token.status_code in (200, 201), token.text
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}

    unauth = requests.get(f"{base}/api/v2/dags", timeout=10)
    assert unauth.status_code == 401

    resp = requests.get(f"{base}/api/v2/dags", params={"limit": 100}, headers=headers, timeout=30)
    assert resp.status_code == 200, resp.text
    listed = {d["dag_id"] for d in resp.json()["dags"]}
    expected = {p.stem for p in DAGS_DIR.glob("*.py") if not p.name.startswith("_")}
    assert "lake_ingest_settled_contracts" in listed
    # every DAG file contributes at least one listed DAG (file names match dag ids by convention)
    assert expected <= listed, expected - listed
