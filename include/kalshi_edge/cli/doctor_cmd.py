"""`kalshi-edge doctor`: check configuration, storage, DuckDB, Airflow and the exchange."""

from __future__ import annotations

import typer

from kalshi_edge.cli.common import out, print_table


def run_checks(check_exchange: bool = True, check_airflow: bool = True) -> list[tuple[str, str, str]]:
    """Every check as (name, OK|WARN|FAIL, detail). Pure enough to test."""
    results: list[tuple[str, str, str]] = []
    from kalshi_edge.config import ConfigError, TradeMode, get_settings

    try:
        get_settings.cache_clear()
        s = get_settings()
        results.append(("config", "OK", f"env={s.kalshi_env}, trade_mode={s.trade_mode}, rest={s.rest_base_url}"))
    except ConfigError as exc:
        return [("config", "FAIL", str(exc))]

    for label, path in (("data dir", s.data_dir), ("models dir", s.models_dir)):
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = path / ".doctor-probe"
            probe.write_text("ok")
            probe.unlink()
            results.append((label, "OK", str(path)))
        except OSError as exc:
            results.append((label, "FAIL", f"{path}: {exc}"))
    results.append(("sample data", "OK" if s.sample_dir.is_dir() else "WARN", str(s.sample_dir)))

    try:
        import duckdb

        from kalshi_edge.lake import Lake
        from kalshi_edge.lake.catalog import connect_readonly

        con = connect_readonly(Lake.from_settings(s))
        n = con.execute("SELECT COUNT(*) FROM duckdb_views() WHERE NOT internal").fetchall()[0][0]
        con.close()
        results.append(("duckdb", "OK", f"{s.warehouse_path} ({n} views, duckdb {duckdb.__version__})"))
    except Exception as exc:  # report, never crash the doctor
        results.append(("duckdb", "FAIL", f"{s.warehouse_path}: {exc}"))

    if check_airflow:
        results.extend(airflow_checks(s))

    if s.kalshi_key_id and s.kalshi_private_key_path:
        results.append(("kalshi keys", "OK", f"key id {s.kalshi_key_id[:6]}…, key file present"))
    else:
        level = "FAIL" if s.trade_mode is TradeMode.LIVE else "OK"
        results.append(("kalshi keys", level, "not configured (fine for paper trading and market data)"))

    missing = [n for n, v in (("Spotify", s.spotify_client_id), ("YouTube", s.youtube_api_key),
                              ("Visual Crossing", s.visual_crossing_api_key)) if v is None]
    results.append(("signal keys", "WARN" if missing else "OK",
                    f"missing: {', '.join(missing)} (those signals are skipped)" if missing else "all set"))

    if check_exchange:
        import requests

        url = f"{s.rest_base_url}/exchange/status"
        try:
            resp = requests.get(url, timeout=5)
            body = resp.json() if resp.ok else {}
            status = "OK" if resp.ok else "FAIL"
            results.append(("exchange", status, f"{url} → {resp.status_code} {body}"))
        except requests.RequestException as exc:
            level = "WARN" if s.kalshi_env.value == "local" else "FAIL"
            hint = " (start it with `kalshi-edge simulator`)" if s.kalshi_env.value == "local" else ""
            results.append(("exchange", level, f"{url} unreachable: {type(exc).__name__}{hint}"))
    return results


def airflow_checks(s: object) -> list[tuple[str, str, str]]:
    """Airflow is importable AND its API server answers ``/api/v2/monitor/health`` at
    ``KALSHI_EDGE_AIRFLOW_URL`` with a healthy metadata DB and scheduler (issue 13: importing
    the package says nothing about a running Airflow)."""
    import os

    try:
        import airflow

        version = airflow.__version__
    except Exception as exc:  # noqa: BLE001 - report, never crash the doctor
        return [("airflow", "FAIL", f"cannot import airflow: {exc}")]
    import requests

    base = str(getattr(s, "airflow_url", None) or os.environ.get("KALSHI_EDGE_AIRFLOW_URL")
               or "http://127.0.0.1:8080").rstrip("/")
    url = f"{base}/api/v2/monitor/health"
    hint = "start it with `make airflow`, set KALSHI_EDGE_AIRFLOW_URL, or skip with --no-airflow"
    try:
        resp = requests.get(url, timeout=5)
    except requests.RequestException as exc:
        return [("airflow", "FAIL", f"apache-airflow {version} installed, but nothing answers at {url} "
                                    f"({type(exc).__name__}); {hint}")]
    try:
        body = resp.json() if resp.ok else {}
    except ValueError:
        body = {}
    if not resp.ok or not isinstance(body, dict) or "scheduler" not in body:
        return [("airflow", "FAIL", f"{url} → HTTP {resp.status_code}: not an Airflow 3 API server; {hint}")]

    def status(part: str) -> str:
        v = body.get(part) or {}
        return str(v.get("status") or "unknown") if isinstance(v, dict) else "unknown"

    out = [("airflow", "OK" if status("metadatabase") == "healthy" else "FAIL",
            f"apache-airflow {version} answers at {base} (metadatabase {status('metadatabase')})")]
    sched = status("scheduler")
    beat = (body.get("scheduler") or {}).get("latest_scheduler_heartbeat")
    out.append(("airflow scheduler", "OK" if sched == "healthy" else "FAIL",
                f"{sched} (last heartbeat {beat or 'never'})"))
    trig = status("triggerer")
    out.append(("airflow triggerer", "OK" if trig == "healthy" else "WARN",
                f"{trig} (the trading sensor defers to it)"))
    return out


def register(app: typer.Typer) -> None:
    @app.command("doctor")
    def doctor(
        no_exchange: bool = typer.Option(False, "--no-exchange", help="Skip the exchange reachability check"),
        no_airflow: bool = typer.Option(False, "--no-airflow", help="Skip the Airflow API server check"),
    ) -> None:
        """Check configuration, lake paths, DuckDB, that Airflow answers, and the exchange. Exit 1 if any check fails."""
        results = run_checks(check_exchange=not no_exchange, check_airflow=not no_airflow)
        print_table("kalshi-edge doctor", ["check", "status", "detail"], results)
        failed = [r for r in results if r[1] == "FAIL"]
        if failed:
            out.print(f"[red]{len(failed)} check(s) failed[/red]")
            raise typer.Exit(1)
        out.print("[green]all checks passed[/green]")
