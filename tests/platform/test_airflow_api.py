"""The Airflow API server serves the project's DAGs over REST (/api/v2/dags, bearer token)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

pytestmark = [pytest.mark.airflow, pytest.mark.slow]

DAGS_DIR = Path(__file__).resolve().parents[2] / "dags"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def api_server(airflow_db):
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"] = "admin:admin"
    airflow = [sys.executable, "-m", "airflow"]
    subprocess.run([*airflow, "dags", "reserialize"], env=env, check=True, capture_output=True)
    port = _free_port()
    log = open(airflow_db / "api-server.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [*airflow, "api-server", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"api-server exited: {(airflow_db / 'api-server.log').read_text()[-2000:]}")
            try:
                if requests.get(f"{base}/api/v2/version", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(1)
        else:
            pytest.fail("api-server did not come up in 120 s")
        yield base, airflow_db
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


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
