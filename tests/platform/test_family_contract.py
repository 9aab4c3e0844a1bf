"""The family contract (families/README.md) is visible in the code: the same file set in every
family, one date convention per family stated in code, one task signature, a model strategy per
family; and the layering rules of the README's architecture paragraph."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "include" / "kalshi_edge"
FAMILIES = ("btc", "weather", "billboard")
CONTRACT = ("datasets", "ingest", "features", "model", "train", "evaluate", "strategy", "edge", "tasks")


def test_every_family_has_the_same_file_set():
    for fam in FAMILIES:
        files = {p.stem for p in (PKG / "families" / fam).glob("*.py")}
        assert set(CONTRACT) <= files, f"{fam} lacks {sorted(set(CONTRACT) - files)}"
    readme = (PKG / "families" / "README.md").read_text()
    assert all(f"`{name}.py`" in readme for name in CONTRACT)  # the contract is written down


@pytest.mark.parametrize("fam", FAMILIES)
def test_date_convention_and_task_signature(fam):
    tasks = importlib.import_module(f"kalshi_edge.families.{fam}.tasks")
    assert tasks.DAY_TZ in ("UTC", "America/New_York") or str(tasks.DAY_TZ) == "America/New_York"
    from datetime import UTC, datetime

    assert tasks.day_of(datetime(2026, 7, 13, 2, 0, tzinfo=UTC)).isoformat() == (
        "2026-07-13" if str(tasks.DAY_TZ) == "UTC" else "2026-07-12")
    public = [f for n, f in vars(tasks).items() if inspect.isfunction(f) and f.__module__ == tasks.__name__
              and not n.startswith("_") and n not in ("day_of", "sample_dir", "params_path", "model_config",
                                                       # input loaders and the strategy-facing pmf (not tasks)
                                                       "load_tmax", "load_forecasts", "load_history",
                                                       "day_ahead_pmf")]
    assert public
    for f in public:
        params = list(inspect.signature(f).parameters.values())
        assert [p.name for p in params[:3]] == ["logical_date", "params", "settings"], f.__name__
        assert params[2].default is None, f.__name__


def test_every_family_has_a_registered_model_strategy():
    from kalshi_edge.trading.strategy import list_strategies

    own = {c.family: n for n, c in list_strategies().items() if not c.book_only}
    assert own == {"btc": "btc_vol_ladder", "weather": "weather_day_ahead", "billboard": "billboard_weekly"}


def _imports(path: Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return out


def test_kalshi_and_trading_do_not_import_the_simulator_the_backtest_or_the_demos():
    banned = ("kalshi_edge.exchange.simulator", "kalshi_edge.exchange.state", "kalshi_edge.exchange.scenario",
              "kalshi_edge.backtest", "kalshi_edge.demos")
    skip: set[Path] = set()
    for pkg in ("kalshi", "trading"):
        for path in sorted((PKG / pkg).glob("*.py")):
            if path in skip:
                continue
            bad = [m for m in _imports(path) if m.startswith(banned)]
            assert not bad, f"{path.relative_to(PKG)} imports {bad}"


def test_family_edge_modules_compute_no_edge():
    for fam in FAMILIES:
        src = (PKG / "families" / fam / "edge.py").read_text()
        assert "order_fee" not in src and "fee_per_contract" not in src, fam


def test_sources_never_write_a_family_dataset():
    # A source returns rows; the family's ingest stores them (sources import no family module).
    for path in sorted((PKG / "sources").glob("*.py")):
        bad = [m for m in _imports(path) if m.startswith("kalshi_edge.families")]
        assert not bad, f"sources/{path.name} imports {bad}"
    assert "lake.write(" not in (PKG / "sources" / "ghcn.py").read_text()


# -- one task signature for every function a DAG task runs (issue 11 item 5) -------------------
DAGS = PKG.parents[1] / "dags"
#: kalshi_edge callables a task body may use other than through run_job: the explicit demo option
#: of kalshi_market_snapshots (a context manager that serves the simulator, not a job).
NOT_JOBS = {("kalshi_edge.demos.simulator", "in_process_simulator")}


def _is_task(dec: ast.expr) -> bool:
    f = dec.func if isinstance(dec, ast.Call) else dec
    return (isinstance(f, ast.Name) and f.id == "task") or (
        isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "task")


def dag_task_jobs() -> dict[str, list[tuple[str, str]]]:
    """``{"<dag file>:<task fn>": [(module, name) of every run_job target]}`` parsed from dags/*.py.

    Fails (assert) on a task body without run_job, a run_job target that is not a function
    imported from kalshi_edge (a lambda, a local def), or another kalshi_edge function called
    directly in the body."""
    out: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(DAGS.glob("*.py")):
        for fn in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(fn, ast.FunctionDef) and any(_is_task(d) for d in fn.decorator_list)):
                continue
            where = f"{path.name}:{fn.name}"
            imported = {(a.asname or a.name): (n.module, a.name) for n in ast.walk(fn)
                        if isinstance(n, ast.ImportFrom) and (n.module or "").startswith("kalshi_edge")
                        for a in n.names}
            calls = [c for c in ast.walk(fn) if isinstance(c, ast.Call)]
            jobs = [c for c in calls if isinstance(c.func, ast.Name) and c.func.id == "run_job"]
            assert jobs, f"{where}: the task body does not go through run_job"
            targets = []
            for c in jobs:
                arg = c.args[0] if c.args else None
                assert isinstance(arg, ast.Name) and arg.id in imported, \
                    f"{where}: run_job's job must be a library function imported in the body, not {ast.dump(arg)}"
                targets.append(imported[arg.id])
            direct = {imported[c.func.id] for c in calls if isinstance(c.func, ast.Name) and c.func.id in imported}
            assert direct <= NOT_JOBS, f"{where}: calls {sorted(direct - NOT_JOBS)} outside run_job"
            out[where] = targets
    return out


def test_every_dag_task_runs_a_library_function_with_the_one_signature():
    jobs = dag_task_jobs()
    files_with_tasks = {w.split(":")[0] for w in jobs}
    assert files_with_tasks == {p.name for p in DAGS.glob("*.py")}  # every DAG file was parsed
    seen = set()
    for where, targets in jobs.items():
        for module, name in targets:
            f = getattr(importlib.import_module(module), name)
            params = list(inspect.signature(f).parameters.values())
            assert [p.name for p in params[:3]] == ["logical_date", "params", "settings"], f"{where}: {module}.{name}"
            assert params[2].default is None, f"{where}: {module}.{name} settings must default to None"
            seen.add(f"{module}.{name}")
    # the ones the issue named are among them (the parse is not vacuous)
    assert {"kalshi_edge.kalshi.tasks.market_snapshots", "kalshi_edge.trading.dag_tasks.place_from_sensor",
            "kalshi_edge.sources.kalshi_history_tasks.ingest_month", "kalshi_edge.ops.readiness.daily_readiness",
            "kalshi_edge.ops.alerts.monitor", "kalshi_edge.families.weather.momentum.tasks.retrain"} <= seen


@pytest.mark.parametrize(("body", "error"), [
    ("    return run_job(lambda w, p: check_and_alert(None, now=w), logical_date, None)\n", "run_job's job"),
    ("    return check_and_alert(None, now=logical_date)\n", "does not go through run_job"),
])
def test_the_task_contract_check_catches_a_task_outside_the_contract(tmp_path, monkeypatch, body, error):
    import sys

    (tmp_path / "bad_dag.py").write_text("from airflow.sdk import task\n\n@task\ndef t(logical_date=None):\n"
                                         "    from kalshi_edge.ops.alerts import check_and_alert\n\n" + body)
    monkeypatch.setattr(sys.modules[__name__], "DAGS", tmp_path)
    with pytest.raises(AssertionError, match=error):
        dag_task_jobs()


def test_task_entry_points_take_their_inputs_from_params():
    from datetime import UTC, datetime

    from kalshi_edge.lake.tasks import validate
    from kalshi_edge.sources.kalshi_history_tasks import month_for
    from kalshi_edge.trading.dag_tasks import place_from_sensor

    when = datetime(2026, 7, 13, 2, tzinfo=UTC)
    # the sensor's XCom arrives as params["intents"]; none and nothing held → nothing sent, no network needed
    out = place_from_sensor(when, {"families": "all", "intents": []})
    assert out["placed"] == [] and out["checked_positions"] == 0 and "nothing to check" in out["skipped"]
    with pytest.raises(ValueError, match="params\\['name'\\]"):
        validate(when, {})
    assert f"{month_for(when):%Y-%m}" == "2026-06"
