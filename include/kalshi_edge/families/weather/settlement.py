"""Settlement reconciliation of one climate day: CLI (truth) vs observations vs Kalshi results,
and the scores of the distribution issued for that day."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from kalshi_edge.families.weather.model import GRID_LO_F
from kalshi_edge.families.weather.scoring import bracket_brier, rps
from kalshi_edge.kalshi.models import Market
from kalshi_edge.kalshi.semantics import payout_interval
from kalshi_edge.sources.nws_cli import CliReport

OBS_TOLERANCE_F = 1.0  # 1-minute ASOS vs the CLI: rounding of the °C-based 1-minute data


@dataclass
class Reconciliation:
    station: str
    climate_date: date
    cli_max_f: int | None
    cli_final: bool
    obs_high_f: float | None
    settlements: dict[str, str] = field(default_factory=dict)  # ticker -> yes/no implied by the CLI
    flags: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    calibration_rows: list[tuple[float, int]] = field(default_factory=list)  # (p_yes issued, outcome)

    def as_dict(self) -> dict[str, Any]:
        return {"station": self.station, "climate_date": self.climate_date.isoformat(), "cli_max_f": self.cli_max_f,
                "cli_final": self.cli_final, "obs_high_f": self.obs_high_f, "settlements": self.settlements,
                "flags": self.flags, "scores": self.scores}


def reconcile_day(
    *,
    station: str,
    climate_date: date,
    cli: CliReport | None,
    obs_high_f: float | None = None,
    markets: Sequence[Market] = (),
    kalshi_results: Mapping[str, str] | None = None,
    issued_pmf: np.ndarray | None = None,
    issued_probs: Mapping[str, float] | None = None,
) -> Reconciliation:
    """Settle ``markets`` from the final CLI maximum, flag disagreements, score the issued pmf.

    Flags: ``no final CLI`` (nothing is settled), ``cli date mismatch``, ``obs above CLI`` /
    ``obs far below CLI`` (beyond ±``OBS_TOLERANCE_F``), ``kalshi result differs: <ticker>``.
    """
    rec = Reconciliation(station, climate_date, cli.max_f if cli else None, bool(cli and cli.is_final), obs_high_f)
    if cli is None or not cli.is_final or cli.max_f is None:
        rec.flags.append("no final CLI")
        return rec
    if cli.climate_date != climate_date:
        rec.flags.append(f"cli date mismatch: report is for {cli.climate_date}")
        return rec
    truth = cli.max_f
    if obs_high_f is not None:
        if obs_high_f > truth + OBS_TOLERANCE_F:
            rec.flags.append(f"obs above CLI: {obs_high_f} > {truth}")
        elif obs_high_f < truth - OBS_TOLERANCE_F - 1:
            rec.flags.append(f"obs far below CLI: {obs_high_f} < {truth}")
    for m in markets:
        res = "yes" if payout_interval(m).contains(truth) else "no"
        rec.settlements[m.ticker] = res
        recorded = (kalshi_results or {}).get(m.ticker) or m.result
        if recorded in ("yes", "no") and recorded != res:
            rec.flags.append(f"kalshi result differs: {m.ticker} kalshi={recorded} cli={res}")
        if issued_probs and m.ticker in issued_probs:
            rec.calibration_rows.append((float(issued_probs[m.ticker]), int(res == "yes")))
    if issued_pmf is not None:
        rec.scores["rps"] = float(rps(issued_pmf[None, :], GRID_LO_F, np.array([truth]))[0])
        rec.scores["brier_2f"] = float(bracket_brier(issued_pmf[None, :], GRID_LO_F, np.array([truth]))[0])
    if rec.calibration_rows:
        p = np.array([r[0] for r in rec.calibration_rows])
        y = np.array([r[1] for r in rec.calibration_rows])
        rec.scores["market_brier"] = float(np.mean((p - y) ** 2))
    return rec
