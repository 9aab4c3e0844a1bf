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
        forecasts: Path | None = typer.Option(None, "--forecasts", help="forecast CSV: score the forecast-driven "
                                              "model against today's model and climatology"),
        actuals: Path | None = typer.Option(None, "--actuals", help="more observed highs (TMAX or cli_actuals "
                                            "layout), e.g. the days the forecasts cover"),
        candles: Path | None = typer.Option(None, "--candles", help="with --forecasts: KXHIGH trade candles, to "
                                            "score the market on the same days"),
        book: list[Path] | None = typer.Option(None, "--book", help="with --forecasts: recorded top-of-book CSV(s)"),
        report: Path | None = typer.Option(None, "--report", help="HTML report (default: <out>_report.html)"),
        settled: Path | None = typer.Option(None, "--settled", help="without --forecasts: settled KXHIGH contracts "
                                            "CSV whose last prices are scored as the market on the same days "
                                            "(default: the shipped data/sample/kalshi_history file)"),
        more_books: list[Path] | None = typer.Argument(None, help="more book files after --book"),
    ) -> None:
        """Walk-forward day-ahead evaluation: issue each day's distribution from earlier rows only,
        write it, and print RPS and 2 °F-bracket Brier for the model and climatology."""
        import pandas as pd

        if forecasts is not None:
            _evaluate_forecasts(tmax, station, from_, out_path, params, forecasts, actuals, candles,
                                [*(book or []), *(more_books or [])], report)
            return

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
        import numpy as np

        from kalshi_edge.families.weather.evaluate import (
            settled_market_scores,
            settled_sample_path,
            write_evaluation_report,
        )
        from kalshi_edge.families.weather.model import daily_series
        from kalshi_edge.lake.errors import LakeError
        from kalshi_edge.sources.kalshi_history import read_settled_csv

        spath = settled or settled_sample_path()
        try:
            sdf = read_settled_csv(spath)
            price = pd.to_numeric(sdf["last_price_cents"], errors="coerce")
            bad = price.isna() | (price < 0) | (price > 100)
            if bad.any():
                i = int(np.argmax(bad.to_numpy()))
                raise UserError(f"{spath}: row {i + 1} field last_price_cents: {sdf['last_price_cents'].iloc[i]!r} "
                                "is not a price in cents (0..100)")
            market, market_note = settled_market_scores(sdf, station, result.per_day)
        except (LakeError, ValueError, FileNotFoundError) as exc:
            if settled is not None:
                raise UserError(str(exc)) from None
            market, market_note = None, f"the shipped settled-contracts file could not be read ({exc})"
        write_rows(result.rows, out_path)  # after every input was read: a bad file writes nothing
        per_day = result.per_day
        if market is not None and len(market):
            per_day = per_day.merge(market, on="date", how="left")
        per_day_path = out_path.with_name(out_path.stem + "_per_day.csv")
        per_day.to_csv(per_day_path, index=False, float_format="%.6g")
        report_path = report or out_path.with_name(out_path.stem + "_report.html")
        rep = write_evaluation_report(
            result, report_path, history=daily_series(frame[frame["station"] == station]), tmax_name=tmax.name,
            config=cfg, market=market, market_note=f"{market_note} ({spath.name})",
            outputs=f"{out_path} (distributions), {per_day_path} (per-day scores)")
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
        if market is not None and len(market):
            sub = result.per_day.merge(market, on="date")
            print_table(f"{station}: the {len(sub)} days with settled-contract last prices (same days; the last "
                        "trade is taken late in the day, see the report)",
                        ["forecast", "RPS (°F)", "Brier 2°F brackets"],
                        [[name, f"{sub[f'{k}_rps'].mean():.4f}", f"{sub[f'{k}_brier2'].mean():.4f}"]
                         for name, k in (("model", "model"), ("climatology", "clim"), ("market", "market"))])
        else:
            out.print(f"market: no prices for these days: {market_note}")
        out.print(f"wrote {len(result.rows)} rows to {out_path}, per-day scores to {per_day_path}")
        out.print(f"report: {rep}", soft_wrap=True)

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
        out.print(res.describe(), soft_wrap=True)

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

    @grp.command("import-forecasts")
    def import_forecasts_cmd(
        csv: Path = typer.Option(..., "--csv", help="forecast CSV: issued_at,station,target_date,forecast_high_f,source,detail"),
    ) -> None:
        """Validate a forecast CSV and merge it into the `forecasts` dataset (bad rows to quarantine)."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.families.weather.forecasts import import_forecasts
        from kalshi_edge.lake import Lake
        from kalshi_edge.lake.errors import LakeError

        try:
            res = import_forecasts(csv, Lake.from_settings(get_settings()))
        except (ValueError, FileNotFoundError, LakeError) as exc:
            raise UserError(str(exc)) from None
        out.print(f"forecasts: {res.rows_written} rows written, {res.rows_quarantined} quarantined"
                  + (f" ({res.quarantine_file})" if res.quarantine_file else ""))

    @grp.command("vs-market")
    def vs_market_cmd(
        station: str = typer.Option("KNYC", "--station", help="settlement station (registry key), e.g. KNYC"),
        candles: Path | None = typer.Option(None, "--candles", help="KXHIGH 5-minute trade candles CSV (last trade)"),
        book: list[Path] | None = typer.Option(None, "--book", help="recorded top-of-book CSV(s) (mid)"),
        forecasts: Path = typer.Option(..., "--forecasts", help="forecast CSV (documented layout)"),
        actuals: Path = typer.Option(..., "--actuals", help="observed highs: TMAX layout or cli_actuals layout"),
        at: str = typer.Option("11:00,16:00,19:00", "--at", help="decision times, local station time HH:MM,..."),
        same_day: bool = typer.Option(False, "--same-day", help="decide on the climate day itself, not the day before"),
        tmax: Path | None = typer.Option(None, "--tmax", help="TMAX history for the fallback model and climatology "
                                                                "(default: the shipped sample of the station)"),
        out_dir: Path = typer.Option(..., "--out", help="output directory: pmf.csv, scores.csv, report.html"),
        more_books: list[Path] | None = typer.Argument(
            None, help="more book files: `--book a.csv.gz b.csv.gz` works like `--book a --book b`"),
    ) -> None:
        """Model vs market vs fused on every event day and decision time: pmf.csv, scores.csv, report.html."""

        from kalshi_edge.families.weather.evaluate import TmaxFileError, read_tmax_csv
        from kalshi_edge.families.weather.forecasts import (
            ForecastFileError,
            read_actuals_csv,
            read_forecasts_csv,
            with_actuals,
        )
        from kalshi_edge.families.weather.model import daily_series
        from kalshi_edge.families.weather.stations import load_registry
        from kalshi_edge.families.weather.tasks import sample_dir
        from kalshi_edge.families.weather.vs_market import (
            QuoteFileError,
            parse_at,
            read_books,
            read_candles,
            run_vs_market,
            write_outputs,
        )
        from kalshi_edge.kalshi.top_of_book import BookFormatError

        book = [*(book or []), *(more_books or [])]
        if (candles is None) == (not book):
            raise UserError("give exactly one of --candles CSV or --book FILES...")
        try:
            st = load_registry().get(station)
        except KeyError as exc:
            raise UserError(str(exc.args[0])) from None
        try:
            times = parse_at(at)
            quotes = read_candles(candles) if candles is not None else read_books(book or [])
            fc = read_forecasts_csv(forecasts)
            act = read_actuals_csv(actuals, st.icao)
            tpath = tmax or sample_dir() / f"tmax_{st.icao}.csv.gz"
            tm = read_tmax_csv(tpath)
            tm = daily_series(tm[tm["station"] == st.icao])
            hist = with_actuals(tm.dropna(), act)
            res = run_vs_market(quotes, fc, act, hist, station=st.icao, series=st.series, at=times,
                                same_day=same_day, tz=st.tz,
                                std_offset_hours=st.std_utc_offset_hours)
        except (ForecastFileError, QuoteFileError, BookFormatError, TmaxFileError, FileNotFoundError, ValueError) as exc:
            raise UserError(str(exc)) from None
        paths = write_outputs(res, out_dir, title=f"{st.icao} ({st.series}) model vs market")
        sc = res.scores[res.scores["clock"] != "all"]
        print_table(
            f"{st.icao} vs market: {res.rows['date'].nunique()} days ({'same day' if same_day else 'day before'})",
            ["decision", "source", "days", "RPS [95% CI]", "RPS − market [95% CI]", "Brier/bracket", "log loss", "RMSE mean"],
            [[r.clock, r.source, r.n_days, f"{r.rps:.3f} [{r.rps_lo:.3f}, {r.rps_hi:.3f}]",
              "" if r.source == "market" else f"{r.d_rps_vs_market:+.3f} [{r.d_lo:+.3f}, {r.d_hi:+.3f}]",
              f"{r.brier:.4f}", f"{r.log_loss:.3f}", f"{r.rmse_mean_f:.2f}"] for r in sc.itertuples()],
        )
        if res.skipped:
            out.print(f"skipped {len(res.skipped)} decision(s); see {paths['report']}")
        out.print(f"wrote {paths['pmf']}, {paths['scores']}, {paths['report']}")


def _evaluate_forecasts(tmax: Path, station: str, from_: str, out_path: Path, params: Path | None,
                        forecasts: Path, actuals: Path | None, candles: Path | None = None,
                        book: list[Path] | None = None, report: Path | None = None) -> None:
    """`weather evaluate --forecasts`: forecast model vs today's model vs climatology, same days."""
    import pandas as pd

    from kalshi_edge.families.weather.evaluate import (
        TmaxFileError,
        evaluate_with_forecasts,
        read_tmax_csv,
        write_forecast_report,
        write_rows,
    )
    from kalshi_edge.families.weather.forecasts import (
        ForecastFileError,
        read_actuals_csv,
        read_forecasts_csv,
        with_actuals,
    )
    from kalshi_edge.families.weather.model import daily_series
    from kalshi_edge.families.weather.stations import load_registry
    from kalshi_edge.families.weather.tuning import WeatherParamsError, load_config

    start = parse_date(from_, "--from")
    try:
        cfg = load_config(params) if params else None
        frame = read_tmax_csv(tmax)
        hist = daily_series(frame[frame["station"] == station]).dropna()
        hist = with_actuals(hist, *([read_actuals_csv(actuals, station)] if actuals is not None else []))
        fc = read_forecasts_csv(forecasts)
        try:
            offset = load_registry().get(station).std_utc_offset_hours
        except KeyError:
            offset = -5
        quotes = None
        if candles is not None or book:
            from kalshi_edge.families.weather.vs_market import read_books, read_candles

            quotes = read_candles(candles) if candles is not None else read_books(book or [])
        total = max((hist.index.max() - pd.Timestamp(start)).days + 1, 0)
        with progress(f"{station} day-ahead", total) as advance:
            res = evaluate_with_forecasts(hist, fc, station, start, std_offset_hours=offset, config=cfg,
                                          progress=advance, quotes=quotes)
    except (TmaxFileError, ForecastFileError, WeatherParamsError, FileNotFoundError, ValueError) as exc:
        raise UserError(str(exc)) from None
    write_rows(res.rows, out_path)
    per_day_path = out_path.with_name(out_path.stem + "_per_day.csv")
    res.per_day.to_csv(per_day_path, index=False, float_format="%.6g")
    used = res.per_day["used"].value_counts().to_dict()
    s = res.summary
    print_table(
        f"{station} day-ahead at local standard midnight from {start} ({int(s['days'].iloc[0])} days scored; "
        f"inputs {used})",
        ["forecast", "RPS (°F) [95% CI]", "Brier 2°F", "RMSE of mean (°F)", "RPS / today's model"],
        [[r.forecast, f"{r.rps:.4f} [{r.rps_lo:.4f}, {r.rps_hi:.4f}]", f"{r.brier2:.4f}", f"{r.rmse_mean_f:.2f}",
          f"{r.ratio_vs_today:.4f}"] for r in s.itertuples()],
    )
    r0 = s.iloc[0]
    verdict = "contains 0: no clear difference" if r0["d_lo"] <= 0 <= r0["d_hi"] else (
        "below 0: the forecast model is better" if r0["d_hi"] < 0 else "above 0: today's model is better")
    out.print(f"forecast − today's model RPS: {r0['d_vs_today']:+.4f} [{r0['d_lo']:+.4f}, {r0['d_hi']:+.4f}] ({verdict})")
    if res.market_summary is not None:
        m = res.market_summary
        print_table(f"{station}: the {int(m['days'].iloc[0])} days with market prices (same instant, same rows)",
                    ["forecast", "RPS (°F) [95% CI]", "Brier 2°F", "RMSE of mean (°F)"],
                    [[r.forecast, f"{r.rps:.4f} [{r.rps_lo:.4f}, {r.rps_hi:.4f}]", f"{r.brier2:.4f}",
                      f"{r.rmse_mean_f:.2f}"] for r in m.itertuples()])
    rep = write_forecast_report(res, report or out_path.with_name(out_path.stem + "_report.html"),
                                quotes_given=quotes is not None, forecasts_name=forecasts.name, history=hist,
                                outputs=f"{out_path} (distributions), {per_day_path} (per-day scores)")
    if res.market_summary is None:
        out.print("market: no prices for these days" + (" in the --candles/--book files given" if quotes is not None
                                                        else " (no --candles/--book given)"))
    out.print(f"wrote {len(res.rows)} rows to {out_path}, per-day scores to {per_day_path}, report {rep}")
