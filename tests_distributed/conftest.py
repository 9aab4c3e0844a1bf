"""The distributed suite's stack: `scripts/airflow_celery.sh` started once per session, always stopped.

Not collected by `make test` (pyproject's testpaths is tests/). Run with `make test-distributed`.
Everything the stack writes (metadata DB, broker, lake, models, logs) is under
``$AIRFLOW_CELERY_DIR`` (default ``.airflow-celery-test/``), wiped at the start of a session.
Test-only settings (on top of airflow.env): the scheduler creates no scheduled runs (only the runs
a test triggers or backfills exist), a dead worker's task is noticed after 30 s instead of 300 s,
and a second DAG bundle holds the suite's probe DAG (``tests_distributed/dags``).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "airflow_celery.sh"
STACK_DIR = Path(os.environ.get("AIRFLOW_CELERY_DIR") or ROOT / ".airflow-celery-test").resolve()
START_TIMEOUT = 420
TERMINAL = {"success", "failed"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes whose process group is ``pgid``."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            fields = (d / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            out.append(int(d.name))
    return out


def _script(*args: str, env: dict[str, str], timeout: float, check: bool = True) -> subprocess.CompletedProcess:
    proc = subprocess.run(["bash", str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise RuntimeError(f"airflow_celery.sh {' '.join(args)} exited {proc.returncode}:\n{proc.stdout[-4000:]}\n"
                           f"{proc.stderr[-8000:]}")
    return proc


def component_logs(lines: int = 60) -> str:
    out = []
    for f in sorted((STACK_DIR / "logs").glob("*.log")):
        text = f.read_text(errors="replace").splitlines()
        out.append(f"----- {f.name} (last {lines} lines) -----\n" + "\n".join(text[-lines:]))
    return "\n".join(out)


@dataclass
class Stack:
    env: dict[str, str]
    api_url: str
    password: str
    data_dir: Path
    sim_url: str
    http: requests.Session = field(default_factory=requests.Session)
    _token_at: float = 0.0

    # -- REST -------------------------------------------------------------------------------
    def _auth(self) -> None:
        if time.monotonic() - self._token_at < 600:
            return
        r = requests.post(f"{self.api_url}/auth/token", json={"username": "admin", "password": self.password},
                          timeout=30)
        r.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        self._token_at = time.monotonic()

    def api(self, method: str, path: str, **kw: Any) -> Any:
        self._auth()
        for attempt in range(5):  # the api-server answers 5xx/refuses briefly while the scheduler restarts
            try:
                r = self.http.request(method, f"{self.api_url}/api/v2{path}", timeout=30, **kw)
            except requests.ConnectionError:
                if attempt == 4:
                    raise
                time.sleep(2)
                continue
            if r.status_code >= 500 and attempt < 4:
                time.sleep(2)
                continue
            assert r.status_code < 400, f"{method} {path}: {r.status_code} {r.text[:1000]}"
            return r.json() if r.content else None
        raise AssertionError("unreachable")

    def wait_dags(self, dag_ids: set[str], timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        listed: set[str] = set()
        while time.monotonic() < deadline:
            listed = {d["dag_id"] for d in self.api("GET", "/dags", params={"limit": 200})["dags"]}
            if dag_ids <= listed:
                return
            time.sleep(2)
        errors = self.api("GET", "/importErrors")
        raise AssertionError(f"DAGs not parsed after {timeout}s: {sorted(dag_ids - listed)}; import errors: {errors}")

    def unpause(self, dag_id: str) -> None:
        self.api("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, logical_date: str | None, conf: dict | None = None) -> str:
        self.unpause(dag_id)
        body = {"logical_date": logical_date, "conf": conf or {}}
        return self.api("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def tis(self, dag_id: str, run_id: str) -> list[dict]:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})[
            "task_instances"]

    def wait_run(self, dag_id: str, run_id: str, timeout: float = 240, expect: str = "success") -> list[dict]:
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            state = self.run_state(dag_id, run_id)
            if state in TERMINAL:
                break
            time.sleep(2)
        tis = self.tis(dag_id, run_id)
        summary = [(t["task_id"], t.get("map_index"), t["state"], t.get("hostname"), t.get("try_number")) for t in tis]
        if state == expect == "success" and not tis:
            raise AssertionError(f"{dag_id} {run_id}: 'success' with no task instance at all (logical date before "
                                 "the DAG's start_date?): nothing ran")
        if state != expect:
            logs = "\n".join(self.task_log(dag_id, run_id, t) for t in tis if t["state"] not in ("success", None))
            raise AssertionError(f"{dag_id} {run_id}: {state} after {timeout:.0f}s (expected {expect}); "
                                 f"tasks {summary}\n{logs}")
        return tis

    def task_log(self, dag_id: str, run_id: str, ti: dict) -> str:
        try:
            mi = ti.get("map_index", -1)
            path = f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{ti['task_id']}/logs/{max(ti.get('try_number') or 1, 1)}"
            body = self.api("GET", path, params={"map_index": mi}, headers={"Accept": "application/json"})
            content = body.get("content") if isinstance(body, dict) else body
            text = json.dumps(content)[-3000:] if not isinstance(content, str) else content[-3000:]
            return f"--- log {ti['task_id']}[{mi}] ---\n{text}"
        except Exception as exc:  # noqa: BLE001 - diagnostics only
            return f"--- log {ti['task_id']}: unavailable ({exc}) ---"

    # -- processes --------------------------------------------------------------------------
    def pid(self, component: str) -> int:
        return int((STACK_DIR / "run" / f"{component}.pid").read_text().split()[0])

    def kill(self, component: str, sig: int = signal.SIGKILL) -> None:
        os.killpg(self.pid(component), sig)

    def wait_gone(self, component: str, timeout: float = 60) -> None:
        """Wait until the component's whole process group is gone (zombies count as gone): its
        children (the scheduler's health-check server, a worker's pool) may outlive the main pid."""
        pgid = self.pid(component)
        deadline = time.monotonic() + timeout
        while left := _group_members(pgid):
            assert time.monotonic() < deadline, f"{component} (group {pgid}) still alive after {timeout}s: {left}"
            time.sleep(0.5)

    @property
    def log_dir(self) -> Path:
        return STACK_DIR / "home" / "logs"

    def start(self) -> str:
        """(Re)start whatever component is not running; returns the script's output."""
        return _script("start", env=self.env, timeout=START_TIMEOUT).stdout

    def airflow(self, *args: str, timeout: float = 180) -> subprocess.CompletedProcess:
        return _script("airflow", *args, env=self.env, timeout=timeout)

    def lake(self):
        from kalshi_edge.config import load_settings
        from kalshi_edge.lake import Lake

        return Lake.from_settings(load_settings(data_dir=self.data_dir, models_dir=self.data_dir.parent / "models"))


@pytest.fixture(scope="session")
def stack():
    env = dict(os.environ)
    env.pop("AIRFLOW_HOME", None)
    # a developer's own config must not leak in: the suite starts from nothing
    for k in [k for k in env if k.startswith(("AIRFLOW__", "KALSHI_EDGE_"))] + ["TRADE_MODE"]:
        env.pop(k, None)
    _script("stop", env={**env, "AIRFLOW_CELERY_DIR": str(STACK_DIR)}, timeout=180, check=False)
    shutil.rmtree(STACK_DIR, ignore_errors=True)
    data_dir = STACK_DIR / "data"
    (data_dir / "lake").mkdir(parents=True)
    sim_port = _free_port()
    sim_url = f"http://127.0.0.1:{sim_port}/trade-api/v2"
    env.update({
        "AIRFLOW_CELERY_DIR": str(STACK_DIR),
        "KALSHI_EDGE_ENV_FILE": os.devnull,
        "KALSHI_EDGE_DATA_DIR": str(data_dir),
        "KALSHI_EDGE_MODELS_DIR": str(STACK_DIR / "models"),
        "KALSHI_EDGE_KALSHI_ENV": "local",
        "KALSHI_EDGE_KALSHI_REST_URL": sim_url,
        "KALSHI_EDGE_KALSHI_WS_URL": f"ws://127.0.0.1:{sim_port}/trade-api/ws/v2",
        "TRADE_MODE": "paper",
        # the demo's relaxed gate, so the built-in simulator scenario yields intents
        "KALSHI_EDGE_MIN_EDGE_DOLLARS": "0.01",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "False",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT": "30",
        "AIRFLOW__SCHEDULER__TASK_INSTANCE_HEARTBEAT_TIMEOUT_DETECTION_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__DAG_BUNDLE_CONFIG_LIST": json.dumps([
            {"name": "dags-folder", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle", "kwargs": {}},
            {"name": "distributed-tests", "classpath": "airflow.dag_processing.bundles.local.LocalDagBundle",
             "kwargs": {"path": str(ROOT / "tests_distributed" / "dags"), "refresh_interval": 5}},
        ]),
        "STOP_GRACE": "20",
    })
    sim_log = open(STACK_DIR / "simulator.log", "w")  # noqa: SIM115 - closed in the finally below
    sim = subprocess.Popen(
        [str(Path(sys.executable).parent / "kalshi-edge"), "simulator", "--host", "127.0.0.1", "--port", str(sim_port)],
        env=env, stdout=sim_log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    t0 = time.monotonic()
    try:
        try:
            out = _script("start", env=env, timeout=START_TIMEOUT).stdout
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            pytest.fail(f"stack did not start: {exc}\n{component_logs()}", pytrace=False)
        started = time.monotonic() - t0
        print(f"\n[stack] started in {started:.0f} s\n{out}", file=sys.stderr)
        (STACK_DIR / "startup_seconds.txt").write_text(f"{started:.1f}\n")
        stack_env = dict(line.split("=", 1) for line in (STACK_DIR / "stack.env").read_text().splitlines()
                         if "=" in line and not line.startswith("#"))
        for _ in range(50):
            try:
                requests.get(f"{sim_url}/exchange/status", timeout=2)
                break
            except requests.RequestException:
                time.sleep(0.2)
        yield Stack(env=env, api_url=stack_env["KE_API_URL"], password=stack_env["KE_ADMIN_PASSWORD"],
                    data_dir=data_dir, sim_url=sim_url)
    finally:
        _script("stop", env=env, timeout=240, check=False)
        os.killpg(sim.pid, signal.SIGTERM)
        try:
            sim.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(sim.pid, signal.SIGKILL)
        sim_log.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed and STACK_DIR.joinpath("logs").is_dir():
        rep.sections.append(("stack component logs", component_logs()))
