"""``kalshi-edge billboard ...``: chart import/backfill, walk-forward backtest, weekly prediction."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from kalshi_edge.cli.common import UserError, console, parse_date, print_table, progress


def _read_charts(path: Path):  # noqa: ANN202 - pandas frame
    from kalshi_edge.sources.charts import ChartFormatError, read_charts_csv

    try:
        return read_charts_csv(path)
    except ChartFormatError as exc:
        raise UserError(str(exc)) from None


def _config(top_n: int | None, window: str | None, train_days: int | None, params: Path | None = None):  # noqa: ANN202
    from kalshi_edge.families.billboard.model import BillboardModelError, ModelConfig, with_overrides
    from kalshi_edge.families.billboard.tuning import load_config

    try:
        base = load_config(params) if params else ModelConfig()
        return with_overrides(base, top_n=top_n, window=window, train_days=train_days)
    except BillboardModelError as exc:
        raise UserError(str(exc)) from None


def register(app: typer.Typer) -> None:
    """Add the ``billboard`` command group to the root app."""
    grp = typer.Typer(help="Billboard Hot 100 family: chart history, #1 model, KXTOPSONG edge.",
                      no_args_is_help=True)
    app.add_typer(grp, name="billboard")

    @grp.command("backtest")
    def backtest_cmd(
        charts: Path = typer.Option(..., "--charts", help="Chart CSV: chart_date,this_week,song,artist,last_week,peak_position,weeks_on_chart"),
        from_: str = typer.Option(..., "--from", help="First chart week to predict (YYYY-MM-DD)"),
        to: str | None = typer.Option(None, "--to", help="Last chart week to predict (YYYY-MM-DD)"),
        out: Path = typer.Option(..., "--out", help="Output CSV: chart_date,song,artist,p_number_one"),
        top_n: int | None = typer.Option(None, "--top-n", help="Contenders: last week's top N (default 20)"),
        window: str | None = typer.Option(None, "--window", help="expanding (default) or rolling"),
        train_days: int | None = typer.Option(None, "--train-days", help="Rolling window length in days (default 42)"),
        params: Path | None = typer.Option(None, "--params", help="Model config JSON from `billboard tune`"),
        jobs: int = typer.Option(2, "--jobs", help="Worker processes (results do not depend on it)"),
    ) -> None:
        """Walk-forward: for each week W from --from, train only on charts dated before W and predict W."""
        from kalshi_edge.families.billboard.evaluate import run_backtest
        from kalshi_edge.families.billboard.model import BillboardModelError, write_output

        start = parse_date(from_, "--from")
        end = parse_date(to, "--to") if to else None
        if end is not None and end < start:
            raise UserError("--to is before --from")
        cfg = _config(top_n, window, train_days, params)
        t0 = time.perf_counter()
        frame = _read_charts(charts)
        n_total = int((frame["chart_date"].drop_duplicates().between(start.isoformat(),
                                                                    (end or start.replace(year=9999)).isoformat())).sum())
        try:
            with progress("billboard backtest", n_total) as advance:
                res = run_backtest(frame, start, end, cfg, on_week=advance, n_jobs=max(1, jobs) if n_total >= 40 else 1)  # workers cost ~2 s to start
        except BillboardModelError as exc:
            raise UserError(f"{charts}: {exc}") from None
        out.parent.mkdir(parents=True, exist_ok=True)
        write_output(res.predictions, str(out))
        rows = [[r["metric"], f"{r['model']:.5f}", f"{r['baseline']:.5f}",
                 "tie" if r["model"] == r["baseline"] else ("model" if r["model_better"] else "baseline")]
                for r in res.summary_rows()]
        print_table(f"Billboard backtest: {res.n_weeks} weeks, top {cfg.top_n} + __OTHER__, {cfg.window} window",
                    ["metric", "model", "rank-prior baseline", "better"], rows)
        console.print(f"wrote {len(res.predictions)} rows to {out} in {time.perf_counter() - t0:.1f}s")

    @grp.command("predict")
    def predict_cmd(
        charts: Path = typer.Option(..., "--charts", help="Chart CSV in the documented layout"),
        week: str = typer.Option(..., "--week", help="Chart week to predict (YYYY-MM-DD); uses charts dated before it"),
        out: Path = typer.Option(..., "--out", help="Output CSV: chart_date,song,artist,p_number_one"),
        top_n: int | None = typer.Option(None, "--top-n", help="Contenders: last week's top N (default 20)"),
        window: str | None = typer.Option(None, "--window", help="expanding (default) or rolling"),
        train_days: int | None = typer.Option(None, "--train-days", help="Rolling window length in days (default 42)"),
        params: Path | None = typer.Option(None, "--params", help="Model config JSON from `billboard tune`"),
    ) -> None:
        """Probabilities of #1 for one chart week from charts dated strictly before it."""
        from kalshi_edge.families.billboard.model import BillboardModelError, predict_for_week, write_output

        wk = parse_date(week, "--week")
        cfg = _config(top_n, window, train_days, params)
        frame = _read_charts(charts)
        try:
            pred = predict_for_week(frame, wk, cfg)
        except BillboardModelError as exc:
            raise UserError(f"{charts}: {exc}") from None
        out.parent.mkdir(parents=True, exist_ok=True)
        write_output(pred, str(out))
        top = pred.sort_values("p_number_one", ascending=False).head(10)
        print_table(f"Billboard #1 probabilities for {wk.isoformat()}", ["song", "artist", "last week", "p(#1)"],
                    [[r.song, r.artist, r.last_rank or "", f"{r.p_number_one:.3f}"] for r in top.itertuples()])
        console.print(f"wrote {len(pred)} rows to {out}")

    @grp.command("import")
    def import_cmd(
        charts: Path = typer.Option(..., "--charts", help="Chart CSV in the documented layout (.csv or .csv.gz)"),
    ) -> None:
        """Import chart history into the lake dataset billboard_charts (bad rows quarantined)."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.families.billboard.ingest import import_charts_csv
        from kalshi_edge.lake import Lake
        from kalshi_edge.sources.charts import ChartFormatError

        try:
            res = import_charts_csv(Lake.from_settings(get_settings()), charts)
        except ChartFormatError as exc:
            raise UserError(str(exc)) from None
        console.print(f"billboard_charts: {res['rows_written']} rows ({res['weeks']} weeks) written, "
                      f"{res['rows_quarantined']} quarantined" + (f" to {res['quarantine_file']}" if res["quarantine_file"] else ""))
        console.print(res["stored"], soft_wrap=True)

    @grp.command("backfill")
    def backfill_cmd(
        from_: str = typer.Option(..., "--from", help="First chart date to fetch (YYYY-MM-DD)"),
        to: str | None = typer.Option(None, "--to", help="Last chart date (default: today, UTC)"),
        url: str | None = typer.Option(None, "--url", help="Archive URL template with {date} (default: the public GitHub archive)"),
    ) -> None:
        """Fetch weekly charts from the public JSON archive into billboard_charts."""
        from datetime import UTC, datetime

        import requests

        from kalshi_edge.config import get_settings
        from kalshi_edge.families.billboard.ingest import backfill
        from kalshi_edge.lake import Lake
        from kalshi_edge.sources.charts import DEFAULT_ARCHIVE_URL, ChartFormatError, chart_saturdays

        start = parse_date(from_, "--from")
        end = parse_date(to, "--to") if to else datetime.now(UTC).date()
        if end < start:
            raise UserError("--to is before --from")
        template = url or DEFAULT_ARCHIVE_URL
        if "{date}" not in template:
            raise UserError("--url must contain {date}")
        missing: list[str] = []
        try:
            with progress("billboard backfill", len(chart_saturdays(start, end))) as advance:
                def on_week(day, found):  # noqa: ANN001, ANN202
                    if not found:
                        missing.append(day.isoformat())
                    advance()

                res = backfill(Lake.from_settings(get_settings()), start, end, url_template=template, on_week=on_week)
        except (requests.RequestException, ChartFormatError) as exc:
            raise UserError(f"backfill from {template}: {exc}") from None
        console.print(f"billboard_charts: {res['weeks']} weeks, {res['rows_written']} rows written, "
                      f"{res['rows_quarantined']} quarantined; not in archive: {len(missing)}"
                      + (f" (first {missing[0]})" if missing else ""))

    @grp.command("tune")
    def tune_cmd(
        charts: Path = typer.Option(..., "--charts", help="Chart CSV in the documented layout"),
        before: str = typer.Option(..., "--before", help="Tune on the weeks before this date only (YYYY-MM-DD)"),
        out: Path = typer.Option(..., "--out", help="Params JSON for backtest/predict --params"),
        trials: int = typer.Option(20, "--trials", help="Optuna trials (one model fit each)"),
        val_weeks: int = typer.Option(52, "--val-weeks", help="Validation weeks just before --before"),
    ) -> None:
        """Optuna search of the LightGBM settings on validation weeks strictly before --before."""
        from kalshi_edge.families.billboard.model import BillboardModelError
        from kalshi_edge.families.billboard.tuning import save_config, tune

        if trials < 1 or val_weeks < 4:
            raise UserError("--trials must be >= 1 and --val-weeks >= 4")
        frame = _read_charts(charts)
        try:
            cfg, info = tune(frame, parse_date(before, "--before"), trials=trials, val_weeks=val_weeks)
        except BillboardModelError as exc:
            raise UserError(f"{charts}: {exc}") from None
        out.parent.mkdir(parents=True, exist_ok=True)
        save_config(cfg, out, info)
        console.print(f"validation log loss: default {info['default_log_loss']:.5f}, best {info['best_log_loss']:.5f} "
                      f"({info['chosen']}); wrote {out}")

    @grp.command("import-spotify")
    def import_spotify_cmd(
        csv: Path = typer.Option(..., "--csv", help="Spotify Charts export (rank,uri,artist_names,track_name,...,streams)"),
        day: str = typer.Option(..., "--date", help="The chart's date (YYYY-MM-DD)"),
    ) -> None:
        """Import a Spotify Charts daily/weekly CSV export into billboard_signals (streams and rank)."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.families.billboard.signals import import_spotify_chart
        from kalshi_edge.lake import Lake

        d = parse_date(day, "--date")
        if not csv.exists():
            raise UserError(f"--csv: {csv} not found")
        try:
            res = import_spotify_chart(Lake.from_settings(get_settings()), str(csv), d)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        console.print(f"billboard_signals: {res.get('rows_written', 0)} rows written from {csv}")
