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
