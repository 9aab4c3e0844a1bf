"""`make bench`: run every benchmarks/bench_*.py, write data/bench/results.json, print a table.

Each module exposes ``run() -> list[dict]`` with keys name, value, unit, ratio, target_ratio;
ratios are measured against their reference in the same run (so they mean something on any
machine). A row may add ``"better": "lower"`` when a smaller ratio is the goal (an error ratio
against a baseline); the default is higher-is-better. A benchmark that misses its target is shown
in red and makes the exit code 1.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
from pathlib import Path

from rich.console import Console
from rich.table import Table

from kalshi_edge.config import get_settings

console = Console()
KEYS = ("name", "value", "unit", "ratio", "target_ratio")


def main() -> int:
    here = Path(__file__).resolve().parent
    results: list[dict] = []
    errors: list[str] = []
    for path in sorted(here.glob("bench_*.py")):
        mod_name = f"benchmarks.{path.stem}"
        console.print(f"▶ {mod_name}")
        t0 = time.monotonic()
        try:
            rows = importlib.import_module(mod_name).run()
        except Exception:
            errors.append(f"{mod_name}: {traceback.format_exc(limit=3)}")
            console.print(f"[red]  ✗ {mod_name} failed[/red]")
            continue
        for r in rows:
            missing = [k for k in KEYS if k not in r]
            if missing:
                errors.append(f"{mod_name}: result lacks {missing}")
                continue
            results.append({k: r[k] for k in KEYS} | {"module": path.stem, "better": r.get("better", "higher")})
        console.print(f"  ✓ {len(rows)} result(s) in {time.monotonic() - t0:.1f} s")

    out_dir = get_settings().data_dir / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / "results.json"
    out.write_text(json.dumps([{k: r[k] for k in KEYS} for r in results], indent=2, default=str))

    table = Table(title="make bench")
    table.add_column("name", overflow="fold", min_width=28)
    for col in ("value", "unit", "ratio", "target", "ok"):
        table.add_column(col)
    misses = 0
    for r in results:
        lower = r["better"] == "lower"
        ok = (r["ratio"] is None or r["target_ratio"] is None
              or (float(r["ratio"]) <= float(r["target_ratio"]) if lower else float(r["ratio"]) >= float(r["target_ratio"])))
        misses += not ok
        table.add_row(r["name"], f"{float(r['value']):,.1f}", str(r["unit"]),
                      f"{float(r['ratio']):.3g}" if r["ratio"] is not None else "-",
                      (f"{'≤' if lower else '≥'} {r['target_ratio']}" if r["target_ratio"] is not None else "-"),
                      "[green]yes[/green]" if ok else "[red]no[/red]")
    console.print(table)
    console.print(f"results: {out}")
    for e in errors:
        console.print(f"[red]{e}[/red]")
    return 1 if errors or misses else 0


if __name__ == "__main__":
    sys.exit(main())
