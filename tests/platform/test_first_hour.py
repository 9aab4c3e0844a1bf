"""Issue 13, "commands that say the wrong thing": exit codes, one-line errors naming the right
variable / file / port, and the retry policy of scheduled jobs (only transient errors retried)."""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from kalshi_edge.cli.main import main
from kalshi_edge.config import get_settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def airflow_health_server():
    """A loopback stand-in for Airflow's API server: ``/api/v2/monitor/health`` answers with a body
    built from Airflow's own response model (``HealthInfoResponse``), all components healthy.
    Synthetic on purpose: starting a real api-server + scheduler costs ~1 min on 2 cores."""
    from airflow.api_fastapi.core_api.datamodels.monitor import HealthInfoResponse

    body = HealthInfoResponse.model_validate({
        "metadatabase": {"status": "healthy"},
        "scheduler": {"status": "healthy", "latest_scheduler_heartbeat": "2026-12-03T08:00:00+00:00"},
        "triggerer": {"status": "healthy", "latest_triggerer_heartbeat": "2026-12-03T08:00:00+00:00"},
    }).model_dump_json().encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            ok = self.path == "/api/v2/monitor/health"
            self.send_response(200 if ok else 404)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body if ok else b"{}")

        def log_message(self, *a):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


# ---------------------------------------------------------------- doctor exit codes
def test_doctor_passes_with_exit_0_when_airflow_answers(monkeypatch, airflow_health_server, capsys):
    monkeypatch.setenv("KALSHI_EDGE_AIRFLOW_URL", airflow_health_server)
    get_settings.cache_clear()
    assert main(["doctor", "--no-exchange"]) == 0
    out = capsys.readouterr().out
    assert "all checks passed" in out and "answers at" in out


def test_doctor_fails_with_exit_1_when_a_check_fails(monkeypatch, airflow_health_server, tmp_path, capsys):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("KALSHI_EDGE_AIRFLOW_URL", airflow_health_server)
    monkeypatch.setenv("KALSHI_EDGE_MODELS_DIR", str(blocker))
    get_settings.cache_clear()
    assert main(["doctor", "--no-exchange"]) == 1
    assert "1 check(s) failed" in capsys.readouterr().out


def test_doctor_fails_when_airflow_is_installed_but_not_running(monkeypatch, capsys):
    url = f"http://127.0.0.1:{_free_port()}"
    monkeypatch.setenv("KALSHI_EDGE_AIRFLOW_URL", url)
    get_settings.cache_clear()
    assert main(["doctor", "--no-exchange"]) == 1
    out = capsys.readouterr().out.replace("\n", " ")
    assert "nothing answers" in out and "airflow" in out
    assert main(["doctor", "--no-exchange", "--no-airflow"]) == 0


# ---------------------------------------------------------------- config names the variable
@pytest.mark.parametrize(("env", "expected", "wrong"), [
    ({"TRADE_MODE": "live"}, "KALSHI_EDGE_KALSHI_ENV=demo or prod", "KALSHI_EDGE_?"),
    ({"TRADE_MODE": "lve"}, "TRADE_MODE='lve'", "KALSHI_EDGE_KALSHI_EDGE_TRADE_MODE"),
    ({"KALSHI_EDGE_TRADE_MODE": "lve"}, "KALSHI_EDGE_TRADE_MODE='lve'", "KALSHI_EDGE_KALSHI_EDGE_TRADE_MODE"),
])
def test_config_errors_name_the_variable_that_was_set(monkeypatch, capsys, env, expected, wrong):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    get_settings.cache_clear()
    assert main(["lake", "ls"]) == 2
    err = capsys.readouterr().err
    assert expected in err and wrong not in err
    assert len(err.strip().splitlines()) == 1


# ---------------------------------------------------------------- environment errors: one line, exit 1
def test_simulator_on_a_busy_port_is_one_line_exit_1_without_the_banner(capsys):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["simulator", "--host", "127.0.0.1", "--port", str(port)]) == 1
    cap = capsys.readouterr()
    assert "REST" not in cap.err + cap.out  # the "listening" banner is not printed
    line = cap.err.strip()
    assert len(line.splitlines()) == 1 and f"--port {port}" in line and "Traceback" not in line


def test_weather_backfill_offline_is_one_line_exit_1_naming_the_host(capsys):
    port = _free_port()  # nothing listens: what an offline machine sees
    rc = main(["weather", "backfill", "--station", "KMDW", "--from", "2026-01-01", "--to", "2026-01-01",
               "--base-url", f"http://127.0.0.1:{port}"])
    assert rc == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and f"127.0.0.1:{port}" in err and "Traceback" not in err


# ---------------------------------------------------------------- the retry policy
def test_only_transient_errors_count_as_transient():
    import requests

    from kalshi_edge.errors import NoRowsError, StaleInputError, TransientError, is_transient
    from kalshi_edge.kalshi.errors import PermanentError, RateLimitedError, TemporaryError
    from kalshi_edge.lake.errors import ValidationFailed

    resp500, resp404 = requests.Response(), requests.Response()
    resp500.status_code, resp404.status_code = 503, 404
    transient = [TemporaryError("5xx", status=502), RateLimitedError("429", status=429),
                 requests.ConnectionError("refused"), requests.Timeout("slow"),
                 requests.HTTPError("503", response=resp500), ConnectionRefusedError(111, "refused"),
                 TransientError("x"), OSError("IO Error: Could not set lock on file \"w.duckdb\"")]
    permanent = [ValueError("Neither `start` nor `end` can be NaT"), KeyError("station"),
                 PermanentError("bad", status=400), requests.HTTPError("404", response=resp404),
                 ValidationFailed("too many bad rows"), NoRowsError("btc_bars", "no bars"),
                 FileNotFoundError("x.csv"), StaleInputError("weather_tmax", None, __import__("datetime").date(2026, 1, 1), 3)]
    assert [is_transient(e) for e in transient] == [True] * len(transient)
    assert [is_transient(e) for e in permanent] == [False] * len(permanent)
    # a library error wrapping a network failure is transient; a JobFailed never is
    try:
        try:
            raise requests.ConnectionError("down")
        except requests.ConnectionError as inner:
            raise RuntimeError("fetch failed") from inner
    except RuntimeError as wrapped:
        assert is_transient(wrapped)


def test_run_job_fails_fast_on_deterministic_errors_and_lets_transient_ones_retry():
    import requests
    from airflow.sdk.exceptions import AirflowFailException

    from kalshi_edge.dag_defaults import run_job

    def bad(when, params):
        raise ValueError("param 'stations': unknown station 'KXXX'")

    def flaky(when, params):
        raise requests.ConnectionError("connection refused")

    with pytest.raises(AirflowFailException, match="ValueError: param 'stations'"):
        run_job(bad, None, {})
    with pytest.raises(requests.ConnectionError):
        run_job(flaky, None, {})


def test_run_job_without_a_logical_date_uses_the_run_after_time():
    from datetime import UTC, datetime
    from types import SimpleNamespace

    from kalshi_edge.dag_defaults import run_job

    seen = []
    run_after = datetime(2026, 12, 3, 14, 5, tzinfo=UTC)
    assert run_job(lambda when, p: seen.append(when) or "ok", None, {}, dag_run=SimpleNamespace(run_after=run_after)) == "ok"
    assert seen == [run_after]


# ---------------------------------------------------------------- 0-row ingests and stale inputs
def test_an_ingest_of_0_rows_fails_with_the_reason(lake):
    from datetime import UTC, datetime

    from kalshi_edge.errors import NoRowsError
    from kalshi_edge.families.btc.tasks import bars_backfill
    from kalshi_edge.sources.kalshi_history_tasks import ingest_month

    with pytest.raises(NoRowsError, match=r"btc_bars: 0 rows ingested \(no bars dated 2025-06-01"):
        bars_backfill(datetime(2025, 6, 1, tzinfo=UTC), {"offline": True})  # outside the shipped sample
    with pytest.raises(NoRowsError, match=r"kalshi_settled_temps: 0 rows ingested \(no settled contracts for 2023-02"):
        ingest_month(datetime(2023, 3, 1, tzinfo=UTC))  # the sample holds 2024 H2 only


def test_weather_day_ahead_online_refuses_stale_tmax_naming_dataset_and_last_date(monkeypatch, settings):
    from kalshi_edge.config import get_settings
    from kalshi_edge.errors import StaleInputError
    from kalshi_edge.families.weather.tasks import day_ahead

    # online (offline=false) the lake has no TMAX, so the shipped sample ending 2024-12-31 is all there is
    with pytest.raises(StaleInputError, match=r"weather_tmax KNYC: stale input: last date 2024-12-31 .* 2026-12-04"):
        day_ahead("2026-12-03T14:00:00+00:00", {"offline": False, "stations": ["KNYC"]})
    monkeypatch.setenv("KALSHI_EDGE_STALE_INPUTS", "warn")
    get_settings.cache_clear()
    out = day_ahead("2026-12-03T14:00:00+00:00", {"offline": False, "stations": ["KNYC"]})
    assert out["KNYC"]["date"] == "2026-12-04" and "KALSHI_EDGE_STALE_INPUTS=warn" in out["KNYC"]["note"]


def test_weekly_billboard_prediction_online_refuses_stale_charts(monkeypatch):
    from kalshi_edge.config import get_settings
    from kalshi_edge.errors import StaleInputError
    from kalshi_edge.families.billboard.demo import sample_charts_path
    from kalshi_edge.families.billboard.tasks import weekly_prediction

    monkeypatch.setenv("KALSHI_EDGE_KALSHI_ENV", "demo")  # online: no offline default
    get_settings.cache_clear()
    with pytest.raises(StaleInputError, match=r"billboard_charts: stale input: last date 2023-12-30"):
        weekly_prediction(__import__("datetime").date(2026, 11, 29), {"charts_csv": str(sample_charts_path())})
    with pytest.raises(StaleInputError, match=r"billboard_charts: stale input: no rows"):
        weekly_prediction(__import__("datetime").date(2026, 11, 29), {})


# ---------------------------------------------------------------- Airflow setup that does not flood
def test_no_dag_catches_up_on_unpause_and_every_dag_has_a_start_date():
    import ast
    from pathlib import Path

    dags = sorted((Path(__file__).resolve().parents[2] / "dags").glob("*.py"))
    assert dags
    for path in dags:
        kw = {k.arg: k.value for node in ast.walk(ast.parse(path.read_text())) if isinstance(node, ast.Call)
              and getattr(node.func, "id", "") == "dag" for k in node.keywords}
        assert "start_date" in kw, path.name
        assert isinstance(kw.get("catchup"), ast.Constant) and kw["catchup"].value is False, path.name


def test_make_airflow_sizes_the_executor_to_the_machine(tmp_path):
    """Run scripts/airflow_standalone.sh with a stand-in `airflow` that records its environment."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    bindir = tmp_path / "bin"
    bindir.mkdir()
    fake = bindir / "airflow"
    fake.write_text('#!/usr/bin/env bash\n[ "$1" = standalone ] && echo "PARALLELISM=$AIRFLOW__CORE__PARALLELISM"\nexit 0\n')
    fake.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    (home / "simple_auth_manager_passwords.json.generated").write_text("{}")  # the banner loop ends at once
    env = {**os.environ, "PATH": f"{bindir}:{os.environ['PATH']}", "AIRFLOW_HOME": str(home), "KALSHI_SIMULATOR": "0"}
    env.pop("AIRFLOW_PARALLELISM", None)
    out = subprocess.run(["bash", str(root / "scripts" / "airflow_standalone.sh")], env=env, capture_output=True,
                         text=True, timeout=60).stdout
    cores = len(os.sched_getaffinity(0))  # what nproc reports
    assert f"PARALLELISM={max(2, cores)}" in out
    env["AIRFLOW_PARALLELISM"] = "3"
    out = subprocess.run(["bash", str(root / "scripts" / "airflow_standalone.sh")], env=env, capture_output=True,
                         text=True, timeout=60).stdout
    assert "PARALLELISM=3" in out
