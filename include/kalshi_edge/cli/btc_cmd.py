"""``kalshi-edge btc ...``: evaluate the model, import bars, backfill from Coinbase, train, record ticks."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from kalshi_edge.cli.common import UserError, console, parse_date, parse_datetime, print_table


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
        warmup_hours: float = typer.Option(0.0, "--warmup-hours", help="Extra history before the first forecast (hours)"),
        report: Path | None = typer.Option(None, "--report", help="HTML report (default: <out>_report.html)"),
    ) -> None:
        """Honest walk-forward evaluation of the model vs the GBM+EWMA baseline on the same rows."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.families.btc.bars import BarsError, BarsReport, read_bars_csv
        from kalshi_edge.families.btc.evaluate import evaluate, write_report, write_rows
        from kalshi_edge.families.btc.model import ModelParams, load_model

        if horizon_minutes <= 0 or strikes <= 0 or strike_step <= 0:
            raise UserError("--horizon-minutes, --strikes and --strike-step must be positive")
        start = parse_datetime(from_, "--from") if from_ else None
        t0 = time.perf_counter()
        rep = BarsReport()
        try:
            frame = read_bars_csv(bars, report=rep)
        except BarsError as exc:
            raise UserError(str(exc)) from None
        if rep.bad_rows or rep.gaps:
            console.print(f"{bars}: ignored {len(rep.bad_rows)} bad row(s) (duplicate/non-positive/out-of-order; "
                          f"first rows {rep.bad_rows[:5]}), {len(rep.gaps)} gap(s) in the bars")
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
        from kalshi_edge.families.btc.model import save_model

        meta = {"kind": "evaluate", "bars": str(bars), "horizon_minutes": horizon_minutes, "strike_step": strike_step,
                "strikes": strikes, "from": from_, "model": res.model, "baseline": res.baseline, "skipped": res.skipped,
                "rows_csv": str(out)}
        art = save_model(get_settings().models_dir / "btc" / f"evaluate_{bars.name.split('.')[0]}.json",
                         res.last_state, res.params, meta)
        console.print(f"parameters + metadata: {art}")
        rep = write_report(res, report or out.with_name(out.stem + "_report.html"), bars_name=bars.name,
                           rows_csv=str(out), metadata=str(art))
        console.print(f"report: {rep}", soft_wrap=True)

    @grp.command("train")
    def train_cmd(
        bars: Path = typer.Option(..., "--bars", help="Bars CSV (documented layout)"),
        as_of: str | None = typer.Option(None, "--as-of", help="Train on bars before this time (default: after the last bar)"),
        trials: int = typer.Option(12, "--trials", help="Optuna trials"),
        train_days: int = typer.Option(42, "--train-days"),
        test_days: int = typer.Option(7, "--test-days"),
        horizon_minutes: int = typer.Option(60, "--horizon-minutes"),
    ) -> None:
        """Walk-forward tuning (train/test folds) and fit; writes models/btc/latest.json."""
        import pandas as pd

        from kalshi_edge.config import get_settings
        from kalshi_edge.families.btc.bars import BarsError, read_bars_csv
        from kalshi_edge.families.btc.train import train

        try:
            frame = read_bars_csv(bars)
        except BarsError as exc:
            raise UserError(str(exc)) from None
        t = parse_datetime(as_of, "--as-of") if as_of else (frame["ts"].iloc[-1] + pd.Timedelta(seconds=1)).to_pydatetime()
        try:
            out = train(frame, t, get_settings().models_dir, n_trials=trials, train_days=train_days,
                        test_days=test_days, horizon_minutes=horizon_minutes)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        sc = out["scores"] or {}
        print_table("btc train", ["folds", "log loss", "Brier", "ECE", "baseline Brier", "artifact"],
                    [[out["folds"], _f(sc.get("log_loss")), _f(sc.get("brier")), _f(sc.get("ece")),
                      _f(sc.get("baseline_brier")), out["path"]]])
        if out["note"]:
            console.print(out["note"])

    @grp.command("edge")
    def edge_cmd(
        as_of: str = typer.Option(..., "--as-of", help="Logical time of the snapshot (ISO-8601, UTC)"),
        offline: bool = typer.Option(True, "--offline/--online", help="Sample bars + sample ladders (synthetic quotes)"),
    ) -> None:
        """Run the hourly edge job for one logical time and print the selected opportunities."""
        from kalshi_edge.families.btc.datasets import BTC_OPPORTUNITIES
        from kalshi_edge.families.btc.pricing import StaleSpotError
        from kalshi_edge.families.btc.tasks import hourly_edge
        from kalshi_edge.lake import Lake

        t = parse_datetime(as_of, "--as-of")
        try:
            out = hourly_edge(t, {"offline": offline})
        except (StaleSpotError, ValueError) as exc:
            raise UserError(str(exc)) from None
        opps = Lake.from_settings().read(BTC_OPPORTUNITIES)
        if len(opps):
            import pandas as pd

            opps = opps[pd.to_datetime(opps["as_of"], utc=True) == pd.Timestamp(t)].sort_values("ev", ascending=False)
        print_table(f"btc edge {t.isoformat()}: {out.get('markets', 0)} markets, {out.get('selected', 0)} selected",
                    ["market", "side", "action", "price", "fee", "EV/contract"],
                    [[r.market_ticker, r.side, r.action, f"{float(r.price):.2f}", f"{float(r.fee):.2f}", f"{float(r.ev):.4f}"]
                     for r in opps.head(20).itertuples()])


    @grp.command("import")
    def import_cmd(
        bars: Path = typer.Option(..., "--bars", help="Bars CSV: timestamp,open,high,low,close,volume (UTC, fixed interval)"),
    ) -> None:
        """Import a bars CSV into the lake (btc_bars); bad rows are quarantined, gaps reported."""
        from kalshi_edge.families.btc.bars import BarsError
        from kalshi_edge.families.btc.ingest import gaps_summary, import_bars_csv
        from kalshi_edge.lake import Lake

        try:
            res = import_bars_csv(Lake.from_settings(), bars)
        except BarsError as exc:
            raise UserError(str(exc)) from None
        print_table(f"btc import {bars.name}", ["rows in", "written", "quarantined", "interval", "partitions"],
                    [[res.rows_in, res.rows_written, res.rows_quarantined, res.interval, len(res.partitions)]])
        console.print(res.stored, soft_wrap=True)
        console.print(gaps_summary(res.gaps))
        if res.quarantine_file:
            console.print(f"quarantined rows: {res.quarantine_file}")

    @grp.command("backfill")
    def backfill_cmd(
        from_: str = typer.Option(..., "--from", help="First UTC day (YYYY-MM-DD)"),
        to: str = typer.Option(..., "--to", help="Last UTC day (YYYY-MM-DD), inclusive"),
        product: str = typer.Option("BTC-USD", "--product"),
        granularity: int = typer.Option(60, "--granularity", help="Candle seconds: 60, 300, 900, 3600, ..."),
        base_url: str | None = typer.Option(None, "--base-url", help="Coinbase Exchange REST base (tests: a stub)"),
    ) -> None:
        """Backfill Coinbase Exchange candles into the lake (paginated, rate-limited)."""
        from kalshi_edge.families.btc.ingest import backfill_coinbase, gaps_summary
        from kalshi_edge.lake import Lake
        from kalshi_edge.sources.coinbase import CoinbaseError

        start, end = parse_date(from_, "--from"), parse_date(to, "--to")
        if end < start:
            raise UserError(f"--to {end} is before --from {start}")
        pages = ((end - start).days + 1) * -(-86400 // (granularity * 300))
        from kalshi_edge.cli.common import progress

        try:
            with progress("coinbase candles", pages) as advance:
                results = backfill_coinbase(Lake.from_settings(), start, end, product=product,
                                            granularity=granularity, base_url=base_url, on_page=advance)
        except (CoinbaseError, ValueError) as exc:
            raise UserError(str(exc)) from None
        print_table("btc backfill", ["rows written", "quarantined", "days"],
                    [[sum(r.rows_written for r in results), sum(r.rows_quarantined for r in results), len(results)]])
        console.print(f"each of the {len(results)} day(s) replaced by the fetched bars (a re-ingest of whole days)")
        console.print(gaps_summary([g for r in results for g in r.gaps]))

    @grp.command("record")
    def record_cmd(
        seconds: float = typer.Option(60.0, "--seconds", help="How long to record"),
        product: str = typer.Option("BTC-USD", "--product"),
        url: str | None = typer.Option(None, "--url", help="WebSocket URL (default Coinbase Exchange feed)"),
    ) -> None:
        """Record the Coinbase WebSocket ticker into the lake (btc_ticks) for a while."""
        import asyncio

        from kalshi_edge.families.btc.ingest import write_ticks
        from kalshi_edge.lake import Lake
        from kalshi_edge.sources.coinbase import WS_URL, CoinbaseError, record_ticker

        try:
            rows = asyncio.run(record_ticker(url=url or WS_URL, product_ids=(product,), duration_s=seconds))
        except (CoinbaseError, OSError) as exc:
            raise UserError(f"ticker recorder: {exc}") from None
        n = write_ticks(Lake.from_settings(), rows)
        console.print(f"recorded {len(rows)} ticker messages, wrote {n} rows to btc_ticks")


    @grp.command("vs-market")
    def vs_market_cmd(
        snapshots: list[Path] = typer.Option(..., "--snapshots", help="15-minute market snapshots JSONL (.gz ok); repeatable"),
        out_dir: Path = typer.Option(..., "--out", help="output directory: rows.csv, scores.csv, markets.csv, report.html"),
    ) -> None:
        """Score the model's P(up) against the market mid and the GBM baseline on KX*15M markets, by time to expiry."""
        import pandas as pd

        from kalshi_edge.families.btc.vs_market import (
            SnapshotFileError,
            read_snapshots,
            run_btc_vs_market,
            write_outputs,
        )

        try:
            snaps = pd.concat([read_snapshots(p) for p in snapshots], ignore_index=True)
            snaps = snaps.sort_values("ts", kind="stable").reset_index(drop=True)
            res = run_btc_vs_market(snaps)
        except (SnapshotFileError, FileNotFoundError, ValueError) as exc:
            raise UserError(str(exc)) from None
        paths = write_outputs(res, out_dir)
        print_table(
            f"15-minute markets: {res.rows['ticker'].nunique()} markets, {len(res.rows)} decisions",
            ["time to expiry", "source", "rows", "Brier [95% CI]", "log loss [95% CI]"],
            [[r.bucket, r.source, r.n_rows, f"{r.brier:.4f} [{r.brier_lo:.4f}, {r.brier_hi:.4f}]",
              f"{r.log_loss:.4f} [{r.log_loss_lo:.4f}, {r.log_loss_hi:.4f}]"] for r in res.scores.itertuples()],
        )
        console.print(f"skipped: {res.skipped}")
        console.print(f"wrote {paths['scores']}, {paths['report']}")


def _f(v: object) -> str:
    return "" if v is None else f"{float(v):.5f}"  # type: ignore[arg-type]
