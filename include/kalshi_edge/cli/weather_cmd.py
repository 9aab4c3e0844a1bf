"""CLI commands for the weather family: ``kalshi-edge weather evaluate|cli-report``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from kalshi_edge.cli.common import UserError, out, parse_date, print_table, progress


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    grp = typer.Typer(help="Daily high temperature markets (KXHIGH*).", no_args_is_help=True)
    app.add_typer(grp, name="weather")

    @grp.command("evaluate")
    def evaluate(
        tmax: Path = typer.Option(..., "--tmax", help="TMAX CSV: date,station,ghcn_id,tmax_f (gzip ok)"),
        station: str = typer.Option(..., "--station", help="station id as in the CSV, e.g. KNYC"),
        from_: str = typer.Option(..., "--from", help="first day to issue (YYYY-MM-DD)"),
        out_path: Path = typer.Option(..., "--out", help="output CSV: date,station,temp_f,p"),
        params: Path | None = typer.Option(None, "--params", help="model config JSON from `weather tune`"),
    ) -> None:
        """Walk-forward day-ahead evaluation: issue each day's distribution from earlier rows only,
        write it, and print RPS and 2 °F-bracket Brier for the model and climatology."""
        import pandas as pd

        from kalshi_edge.families.weather.evaluate import (
            TmaxFileError,
            evaluate_station,
            read_tmax_csv,
            write_rows,
        )
        from kalshi_edge.families.weather.tuning import WeatherParamsError, load_config

        start = parse_date(from_, "--from")
        try:
            cfg = load_config(params) if params else None
            frame = read_tmax_csv(tmax)
            last = pd.to_datetime(frame.loc[frame["station"] == station, "date"]).max()
            total = max((last - pd.Timestamp(start)).days + 1, 0) if pd.notna(last) else None
            with progress(f"{station} day-ahead", total) as advance:
                result = evaluate_station(frame, station, start, config=cfg, progress=advance)
        except (TmaxFileError, WeatherParamsError, ValueError) as exc:
            raise UserError(str(exc)) from None
        write_rows(result.rows, out_path)
        print_table(
            f"{station} day-ahead from {start} ({result.days_scored} days scored)",
            ["forecast", "RPS (°F)", "Brier 2°F brackets"],
            [
                ["model", f"{result.model_rps:.4f}", f"{result.model_brier2:.4f}"],
                ["climatology", f"{result.clim_rps:.4f}", f"{result.clim_brier2:.4f}"],
                ["model / climatology", f"{result.rps_ratio:.4f}", f"{result.model_brier2 / result.clim_brier2:.4f}"],
            ],
        )
        years = result.by_year()
        if len(years) > 1:  # the skill varies a lot from year to year: show it
            print_table(
                f"{station} by year",
                ["year", "days", "model RPS", "climatology RPS", "ratio", "model Brier", "clim. Brier"],
                [[r.year, r.days, f"{r.model_rps:.4f}", f"{r.clim_rps:.4f}", f"{r.rps_ratio:.4f}",
                  f"{r.model_brier2:.4f}", f"{r.clim_brier2:.4f}"] for r in years.itertuples()],
            )
        out.print(f"wrote {len(result.rows)} rows to {out_path}")

    @grp.command("tune")
    def tune_cmd(
        tmax: Path = typer.Option(..., "--tmax", help="TMAX CSV: date,station,ghcn_id,tmax_f (gzip ok)"),
        station: str = typer.Option(..., "--station", help="station id as in the CSV, e.g. KNYC"),
        before: str = typer.Option(..., "--before", help="tune on days before this date only (YYYY-MM-DD)"),
        trials: int = typer.Option(20, "--trials", min=1, help="Optuna trials"),
        val_days: int = typer.Option(365, "--val-days", min=7, help="validation days just before --before"),
        seed: int = typer.Option(7, "--seed", help="sampler seed (same seed, same result)"),
        out_path: Path = typer.Option(..., "--out", help="config JSON for `evaluate --params`"),
    ) -> None:
        """Optuna search of the day-ahead model's knobs on walk-forward days before --before only;
        keeps the defaults unless a trial beats them on the same days."""
        from kalshi_edge.families.weather.evaluate import TmaxFileError, read_tmax_csv
        from kalshi_edge.families.weather.tuning import save_config, tune

        cut = parse_date(before, "--before")
        try:
            frame = read_tmax_csv(tmax)
            with progress(f"{station} tune", trials) as advance:
                cfg, info = tune(frame, station, cut, trials=trials, val_days=val_days, seed=seed,
                                 progress=lambda *_: advance())
        except (TmaxFileError, ValueError) as exc:
            raise UserError(str(exc)) from None
        save_config(cfg, out_path, info)
        print_table(
            f"{station} tuned on {info['validation'][0]}..{info['validation'][1]} ({trials} trials)",
            ["config", "RPS ratio (model / climatology)"],
            [["default", f"{info['default_rps_ratio']:.4f}"], ["best", f"{info['best_rps_ratio']:.4f}"]],
        )
        out.print(f"chosen: {info['chosen']}; wrote {out_path}")

    @grp.command("import")
    def import_(
        tmax: Path = typer.Option(..., "--tmax", help="TMAX CSV: date,station,ghcn_id,tmax_f (gzip ok)"),
    ) -> None:
        """Validate a GHCN TMAX CSV and write it to the lake (bad rows go to quarantine)."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.families.weather.ingest import import_tmax
        from kalshi_edge.lake import Lake

        try:
            res = import_tmax(tmax, Lake.from_settings(get_settings()))
        except ValueError as exc:
            raise UserError(str(exc)) from None
        out.print(f"weather_tmax: {res.rows_written} rows written, {res.rows_quarantined} quarantined"
                  + (f" ({res.quarantine_file})" if res.quarantine_file else ""))

    @grp.command("backfill")
    def backfill(
        station: str = typer.Option(..., "--station", help="ICAO, CLI id or series (KMDW)"),
        from_: str = typer.Option(..., "--from", help="first climate day YYYY-MM-DD"),
        to: str = typer.Option(..., "--to", help="last climate day YYYY-MM-DD"),
        sample: str = typer.Option("1min", "--sample", help="1min or 5min"),
        base_url: str = typer.Option("https://mesonet.agron.iastate.edu", "--base-url", hidden=True),
    ) -> None:
        """Download IEM ASOS minute temperatures for climate days FROM..TO into the lake."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.families.weather.ingest import backfill_iem
        from kalshi_edge.lake import Lake

        start, end = parse_date(from_, "--from"), parse_date(to, "--to")
        if sample not in ("1min", "5min"):
            raise UserError("--sample must be 1min or 5min")
        try:
            summary = backfill_iem(station, start, end, Lake.from_settings(get_settings()), sample=sample,
                                   base_url=base_url)
        except KeyError as exc:
            raise UserError(str(exc.args[0])) from None
        except ValueError as exc:
            raise UserError(str(exc)) from None
        print_table(
            f"{summary['station']} IEM {sample}: {summary['rows_written']} rows written, "
            f"{summary['rows_quarantined']} quarantined",
            ["climate day", "rows", "largest gap (min)", "missing share"],
            [[d["climate_date"], d["rows"], f"{d['max_gap_min']:.0f}", f"{d['missing_share']:.1%}"] for d in summary["days"]],
        )

    @grp.command("cli-report")
    def cli_report(
        file: Path | None = typer.Argument(None, help="a saved NWS CLI product text"),
        station: str | None = typer.Option(None, "--station", help="ICAO (KMDW) or CLI id (CLIMDW)"),
        date_: str | None = typer.Option(None, "--date", help="climate day YYYY-MM-DD (with --station)"),
        base_url: str = typer.Option("https://mesonet.agron.iastate.edu", "--base-url", hidden=True),
    ) -> None:
        """Parse an NWS daily climate report (file, or fetched from IEM) and print it as JSON."""
        from kalshi_edge.sources.nws_cli import CliParseError, parse_cli_text

        if file is not None:
            if station or date_:
                raise UserError("give either FILE or --station/--date, not both")
            if not file.exists():
                raise UserError(f"{file}: no such file")
            try:
                report = parse_cli_text(file.read_text(errors="replace"), source=str(file))
            except CliParseError as exc:
                raise UserError(str(exc)) from None
        else:
            if not (station and date_):
                raise UserError("give FILE, or both --station and --date")
            from kalshi_edge.families.weather.stations import load_registry
            from kalshi_edge.sources.nws_cli import fetch_cli_report

            day = parse_date(date_, "--date")
            try:
                st = load_registry().get(station)
            except KeyError as exc:
                raise UserError(str(exc.args[0])) from None
            try:
                report = fetch_cli_report(st.cli_id, day, base_url=base_url)
            except CliParseError as exc:
                raise UserError(str(exc)) from None
        out.print_json(json.dumps(report.to_dict()))
