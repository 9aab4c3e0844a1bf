"""The `kalshi-edge` CLI skeleton: help everywhere, one-line errors, doctor, lake ls."""

from __future__ import annotations

import json

import typer.main

from kalshi_edge.cli.main import app, main
from kalshi_edge.config import SAMPLE_DIR


def _all_command_paths() -> list[list[str]]:
    root = typer.main.get_command(app)
    paths: list[list[str]] = []

    def walk(cmd, prefix: list[str]) -> None:
        paths.append(prefix)
        if hasattr(cmd, "commands"):  # a group (typer vendors its own click)
            for name, sub in cmd.commands.items():
                walk(sub, [*prefix, name])

    walk(root, [])
    return paths


def test_every_command_has_help(capsys):
    paths = _all_command_paths()
    assert ["doctor"] in paths and ["lake", "ls"] in paths
    for path in paths:
        assert main([*path, "--help"]) == 0, path
        assert "Usage" in capsys.readouterr().out


def test_bad_input_is_one_line_on_stderr_with_exit_2(capsys):
    assert main(["lake", "ls", "no_such_dataset"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: unknown dataset 'no_such_dataset'")
    assert "Traceback" not in err


def test_unknown_flag_and_command_are_usage_errors(capsys):
    assert main(["lake", "ls", "--bogus"]) == 2
    assert main(["no-such-command"]) == 2
    err = capsys.readouterr().err
    assert "No such option: --bogus" in err and "No such command 'no-such-command'" in err
    assert "Traceback" not in err


def test_bad_configuration_is_reported_by_name(monkeypatch, capsys):
    from kalshi_edge.config import get_settings

    monkeypatch.setenv("KALSHI_EDGE_MAX_BAD_FRACTION", "2")
    get_settings.cache_clear()
    assert main(["lake", "ls"]) == 2
    assert "KALSHI_EDGE_MAX_BAD_FRACTION" in capsys.readouterr().err


def test_lake_ls_shows_partitions_and_row_counts(lake, capsys):
    from kalshi_edge.sources.kalshi_history import import_settled_contracts

    import_settled_contracts(lake, SAMPLE_DIR / "kalshi_history" / "highest_temp_settled_2024H2.csv.gz")
    assert main(["lake", "ls", "--json"]) == 0
    rows = {r["dataset"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["kalshi_settled_temps"]["rows"] == 2568
    assert rows["kalshi_settled_temps"]["partitions"] == 7
    assert main(["lake", "ls", "kalshi_settled_temps", "--json"]) == 0
    parts = json.loads(capsys.readouterr().out)
    assert [p["partition"] for p in parts][:2] == ["month=2024-06", "month=2024-07"]


def test_doctor_reports_each_check(monkeypatch):
    import socket

    from kalshi_edge.cli.doctor_cmd import run_checks
    from kalshi_edge.config import get_settings

    with socket.socket() as s:  # a port nothing listens on, whatever else runs on this machine
        s.bind(("127.0.0.1", 0))
        monkeypatch.setenv("KALSHI_EDGE_AIRFLOW_URL", f"http://127.0.0.1:{s.getsockname()[1]}")
    get_settings.cache_clear()

    results = {name: (status, detail) for name, status, detail in run_checks(check_exchange=True)}
    assert results["config"][0] == "OK"
    assert results["duckdb"][0] == "OK"
    # Nothing answers on the Airflow API port in tests: a failure (doctor exit codes: test_first_hour.py).
    assert results["airflow"][0] == "FAIL" and "nothing answers" in results["airflow"][1]
    # Nothing listens on the local simulator's port in tests: a warning, not a failure, in paper mode.
    assert results["exchange"][0] == "WARN" and "unreachable" in results["exchange"][1]
