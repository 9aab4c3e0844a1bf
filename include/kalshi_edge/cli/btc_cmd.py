"""``kalshi-edge btc ...``: evaluate the model, import bars, backfill from Coinbase, train, record ticks."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from kalshi_edge.cli.common import UserError, console, parse_datetime, print_table


def register(app: typer.Typer) -> None:
    """Add the ``btc`` command group to the root app."""
    grp = typer.Typer(help="BTC family: spot bars, model evaluation, edge.", no_args_is_help=True)
    app.add_typer(grp, name="btc")

    @grp.command("evaluate")
    def evaluate_cmd(
        bars: Path = typer.Option(..., "--bars", help="Bars CSV: timestamp,open,high,low,close,volume (UTC)"),
        horizon_minutes: int = typer.Option(60, "--horizon-minutes", help="Forecast horizon before each hour T"),
        strike_step: float = typer.Option(250.0, "--strike-step", help="Strike spacing, dollars"),
        strikes: int = typer.Option(13, "--strikes", help="Strikes per forecast (centered on the spot)"),
        from_: str | None = typer.Option(None, "--from", help="First settlement hour T (ISO-8601, UTC)"),
        out: Path = typer.Option(..., "--out", help="Output CSV: forecast_ts,settle_ts,strike,p_yes,outcome"),
        params: Path | None = typer.Option(None, "--params", help="Model JSON from `btc train` (hyperparameters)"),
        warmup_hours: float = typer.Option(24.0, "--warmup-hours", help="History required before the first forecast"),
    ) -> None:
        """Honest walk-forward evaluation of the model vs the GBM+EWMA baseline on the same rows."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.families.btc.bars import BarsError, read_bars_csv
        from kalshi_edge.families.btc.evaluate import evaluate, write_rows
        from kalshi_edge.families.btc.model import ModelParams, load_model

        if horizon_minutes <= 0 or strikes <= 0 or strike_step <= 0:
            raise UserError("--horizon-minutes, --strikes and --strike-step must be positive")
        start = parse_datetime(from_, "--from") if from_ else None
        t0 = time.perf_counter()
        try:
            frame = read_bars_csv(bars)
        except BarsError as exc:
            raise UserError(str(exc)) from None
        p = load_model(params)[0] if params else ModelParams()
        try:
            res = evaluate(
                frame, horizon_minutes=horizon_minutes, strike_step=strike_step, n_strikes=strikes, start=start,
                params=p, max_spot_age_seconds=get_settings().max_spot_age_seconds, warmup_hours=warmup_hours,
            )
        except ValueError as exc:
            raise UserError(f"{bars}: {exc}") from None
        out.parent.mkdir(parents=True, exist_ok=True)
        write_rows(res, str(out))
        rows = [
            [name, m["n"], f"{m['brier']:.5f}", f"{m['log_loss']:.5f}", f"{m['ece']:.5f}"]
            for name, m in (("model", res.model), ("baseline GBM+EWMA(0.94)", res.baseline))
        ]
        print_table(f"BTC evaluate: {horizon_minutes} min horizon, {strikes} strikes x ${strike_step:g}",
                    ["forecaster", "rows", "Brier", "log loss", "ECE"], rows)
        skipped = ", ".join(f"{k}={v}" for k, v in res.skipped.items())
        console.print(f"wrote {len(res.rows)} rows to {out} in {time.perf_counter() - t0:.1f}s (skipped: {skipped})")
