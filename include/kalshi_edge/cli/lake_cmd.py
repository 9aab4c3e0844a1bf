"""`kalshi-edge lake ...`: look into the lake."""

from __future__ import annotations

import json

import typer

from kalshi_edge.cli.common import UserError, out, print_table


def register(app: typer.Typer) -> None:
    lake_app = typer.Typer(help="Inspect the Parquet lake and its DuckDB catalog.", no_args_is_help=True)
    app.add_typer(lake_app, name="lake")

    @lake_app.command("ls")
    def ls(
        dataset: str = typer.Argument(None, help="Show this dataset's partitions (default: every dataset)"),
        as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table"),
    ) -> None:
        """Datasets, partitions and row counts (from Parquet footers; no full scan)."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.lake import Lake, load_all_datasets

        lake = Lake.from_settings(get_settings())
        registry = load_all_datasets()
        if dataset:
            if dataset not in registry:
                raise UserError(f"unknown dataset {dataset!r}; known: {', '.join(sorted(registry))}")
            parts = lake.partitions(registry[dataset])
            if as_json:
                out.print_json(json.dumps(parts))
                return
            print_table(f"{dataset} ({lake.dataset_dir(dataset)})", ["partition", "rows", "bytes"],
                        [(p["partition"], p["rows"], p["bytes"]) for p in parts])
            return
        rows = []
        for name, ds in sorted(registry.items()):
            parts = lake.partitions(ds)
            rows.append({"dataset": name, "partitions": len(parts), "rows": sum(p["rows"] for p in parts),
                         "partitioned_by": ",".join(ds.partition_by) or "-", "description": ds.description[:60]})
        if as_json:
            out.print_json(json.dumps(rows))
            return
        print_table(f"lake at {lake.root}", ["dataset", "partitions", "rows", "partitioned by", "description"],
                    [tuple(r.values()) for r in rows])

    @lake_app.command("refresh")
    def refresh() -> None:
        """Rebuild the DuckDB catalog's views over the lake."""
        from kalshi_edge.config import get_settings
        from kalshi_edge.lake import Lake
        from kalshi_edge.lake.catalog import refresh_catalog

        lake = Lake.from_settings(get_settings())
        views = refresh_catalog(lake)
        out.print(f"{len(views)} views in {lake.warehouse}: {', '.join(views) or '(none: the lake is empty)'}")

    @lake_app.command("query")
    def query_cmd(sql: str = typer.Argument(..., help="A read-only SQL query over the catalog's views")) -> None:
        """Run a read-only SQL query against the DuckDB catalog."""
        import duckdb

        from kalshi_edge.config import get_settings
        from kalshi_edge.lake import Lake
        from kalshi_edge.lake.catalog import query

        try:
            df = query(Lake.from_settings(get_settings()), sql)
        except duckdb.Error as exc:
            raise UserError(f"query failed: {str(exc).splitlines()[0]}") from None
        print_table(sql[:60], list(df.columns), df.astype(str).values.tolist())
