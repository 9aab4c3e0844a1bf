"""scripts/airflow_celery.sh's process bookkeeping, without starting the stack."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "airflow_celery.sh"


def _starttime(pid: int) -> str:
    return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split())[19]


def _state(pid: int) -> str:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]


def test_status_counts_a_killed_but_unreaped_component_as_stopped(tmp_path):
    """A killed component whose parent has not reaped it yet is a zombie: dead. `start` used to take
    it for alive, skip the restart and then fail with "scheduler exited during start-up"."""
    run = tmp_path / "run"
    run.mkdir()
    live = subprocess.Popen(["sleep", "60"])
    dead = subprocess.Popen(["sleep", "0"])  # never waited for: a zombie child of this process
    try:
        deadline = time.monotonic() + 10
        while _state(dead.pid) != "Z":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        (run / "scheduler.pid").write_text(f"{live.pid} {_starttime(live.pid)}\n")
        (run / "worker1.pid").write_text(f"{dead.pid} {_starttime(dead.pid)}\n")
        (run / "worker2.pid").write_text(f"{live.pid} 1\n")  # pid reused by another process
        out = subprocess.run(["bash", str(SCRIPT), "status"], capture_output=True, text=True, timeout=60,
                             env={**os.environ, "AIRFLOW_CELERY_DIR": str(tmp_path)})
        lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
        assert lines["scheduler"].startswith("running"), out.stdout
        assert lines["worker1"] == "stopped", out.stdout
        assert lines["worker2"] == "stopped", out.stdout
        assert out.returncode == 3
    finally:
        live.kill()
        live.wait()
        dead.wait()
