"""One way to run a real Airflow API server for a test: on a free loopback port, as its own
process group, waited for until ``/api/v2/version`` answers, and stopped (TERM, then KILL) after.

Used by the REST test (``tests/platform/test_airflow_api.py``) and the browser test
(``tests_browser/``); the CeleryExecutor suite starts its stack through ``scripts/airflow_celery.sh``.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def airflow_env(**extra: str) -> dict[str, str]:
    """The environment with this venv's ``bin`` first (the API server spawns ``airflow``)."""
    env = dict(os.environ, **extra)
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '')}"
    return env


@contextmanager
def airflow_api_server(env: dict[str, str], log_path: Path, timeout: float = 120) -> Iterator[str]:
    """Start ``airflow api-server`` on 127.0.0.1 and yield its base URL; fail the test with the
    end of its log if it exits or does not answer within ``timeout`` seconds."""
    port = free_port()
    log = open(log_path, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "airflow", "api-server", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"api-server exited: {log_path.read_text()[-2000:]}")
            try:
                if requests.get(f"{base}/api/v2/version", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(1)
        else:
            pytest.fail(f"api-server did not come up in {timeout:.0f} s")
        yield base
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()
