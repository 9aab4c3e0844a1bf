"""Typed settings for the whole system, read once from the environment and `.env`.

Every variable is prefixed ``KALSHI_EDGE_`` except the well-known third-party ones
(``TRADE_MODE`` is accepted bare as well, because the execution layer documents it that way).
Validation happens at construction: a wrong value raises :class:`ConfigError` naming the
variable. Secrets are :class:`pydantic.SecretStr` and never appear in ``repr``/``str``/logs.

Paths default to folders inside the project checkout, so a fresh clone works with no
configuration at all (paper trading against the local simulator).
"""

from __future__ import annotations

import os
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The project root: two levels above ``include/kalshi_edge``. Overridable with KALSHI_EDGE_HOME.
PROJECT_ROOT = Path(os.environ.get("KALSHI_EDGE_HOME", Path(__file__).resolve().parents[2]))

ENV_PREFIX = "KALSHI_EDGE_"

#: Sample data shipped with the project (tracked in git), for the offline demo and tests.
SAMPLE_DIR = PROJECT_ROOT / "data" / "sample"


class ConfigError(ValueError):
    """A configuration value is missing or invalid. The message names the variable."""


class KalshiEnv(StrEnum):
    PROD = "prod"
    DEMO = "demo"
    LOCAL = "local"


class TradeMode(StrEnum):
    PAPER = "paper"
    LIVE = "live"


class RateTier(StrEnum):
    BASIC = "basic"
    ADVANCED = "advanced"
    PREMIER = "premier"
    PRIME = "prime"


#: REST base URLs per environment (KALSHI_API.md "Hosts"). ``local`` is the project's simulator.
REST_HOSTS: dict[KalshiEnv, str] = {
    KalshiEnv.PROD: "https://external-api.kalshi.com/trade-api/v2",
    KalshiEnv.DEMO: "https://external-api.demo.kalshi.co/trade-api/v2",
    KalshiEnv.LOCAL: "http://127.0.0.1:8765/trade-api/v2",
}
WS_HOSTS: dict[KalshiEnv, str] = {
    KalshiEnv.PROD: "wss://external-api-ws.kalshi.com/trade-api/ws/v2",
    KalshiEnv.DEMO: "wss://external-api-ws.demo.kalshi.co/trade-api/ws/v2",
    KalshiEnv.LOCAL: "ws://127.0.0.1:8765/trade-api/ws/v2",
}


class Settings(BaseSettings):
    """All configuration. Construct with :func:`get_settings` (cached) or ``Settings()``."""

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        # KALSHI_EDGE_ENV_FILE lets tests (and users with several setups) choose the file.
        env_file=(os.environ.get("KALSHI_EDGE_ENV_FILE", str(PROJECT_ROOT / ".env")),),
        env_file_encoding="utf-8",
        extra="ignore",
        frozen=True,
        validate_default=True,
    )

    # -- storage -------------------------------------------------------------------------
    data_dir: Path = Field(default=PROJECT_ROOT / "data", description="Root of lake, quarantine, reports")
    sample_dir: Path = Field(default=SAMPLE_DIR, description="Shipped sample data (offline demo)")
    lake_dir: Path | None = Field(default=None, description="Parquet lake: path or file:// URI (default data/lake)")
    duckdb_path: Path | None = Field(default=None, description="DuckDB catalog (default data/warehouse.duckdb)")
    models_dir: Path = Field(default=PROJECT_ROOT / "models", description="Trained artifacts")
    max_bad_fraction: float = Field(
        default=0.05, ge=0.0, le=1.0, description="Fail a write when more rows than this fraction fail validation"
    )

    # -- Kalshi --------------------------------------------------------------------------
    kalshi_env: KalshiEnv = Field(default=KalshiEnv.LOCAL, description="prod | demo | local (simulator)")
    kalshi_rest_url: str | None = Field(default=None, description="Override the REST base URL")
    kalshi_ws_url: str | None = Field(default=None, description="Override the WebSocket URL")
    kalshi_key_id: str | None = Field(default=None, description="API key id (KALSHI-ACCESS-KEY)")
    kalshi_private_key_path: Path | None = Field(default=None, description="PEM private key (RSA or Ed25519)")
    kalshi_rate_tier: RateTier = Field(default=RateTier.BASIC, description="Account rate-limit tier")
    fee_rounding_tick: Decimal = Field(default=Decimal("0.01"), description="Fees round up to this, dollars")

    # -- trading & risk ------------------------------------------------------------------
    trade_mode: TradeMode = Field(
        default=TradeMode.PAPER,
        validation_alias=AliasChoices(f"{ENV_PREFIX}TRADE_MODE", "TRADE_MODE"),
        description="paper (default) | live; live also needs --live on the command line",
    )
    risk_max_contracts_per_market: Decimal = Field(default=Decimal("50"), gt=0)
    risk_max_dollars_per_event: Decimal = Field(default=Decimal("50"), gt=0)
    risk_max_dollars_per_family: Decimal = Field(default=Decimal("150"), gt=0)
    risk_max_dollars_total: Decimal = Field(default=Decimal("300"), gt=0)
    risk_daily_loss_cap: Decimal = Field(default=Decimal("50"), gt=0)
    risk_max_drawdown: Decimal = Field(default=Decimal("100"), gt=0)
    risk_kelly_fraction: Decimal = Field(default=Decimal("0.25"), gt=0, le=1)
    risk_max_orders_per_second: float = Field(default=5.0, gt=0)
    min_edge_dollars: Decimal = Field(default=Decimal("0.02"), ge=0, description="Minimum EV per contract after fees")
    max_quote_age_seconds: float = Field(default=30.0, gt=0)
    maker_fill_prob: float | None = Field(default=None, ge=0, le=1, description=(
        "Override the measured maker-fill table with the old heuristic base/sqrt(spread ticks) (None = measured)"))
    max_spot_age_seconds: float = Field(default=120.0, gt=0, description="BTC staleness guard")
    # -- scheduled jobs (issue 13) --------------------------------------------------------
    airflow_url: str = Field(default="http://127.0.0.1:8080", description="Airflow API server (doctor checks it)")
    stale_inputs: str = Field(default="fail", pattern="^(fail|warn)$",
                              description="fail | warn: a job whose newest input is older than its stated age")

    # -- live readiness gate (defaults: the weather seed's go-live criteria) ---------------
    readiness_min_clean_days: int = Field(default=30, ge=0, description="Days of clean data a series needs")
    readiness_max_gap_days: int = Field(
        default=1, ge=0, description="Missing days a daily dataset may skip without breaking its clean run")
    readiness_max_quarantine_fraction: float = Field(
        default=0.01, ge=0.0, le=1.0, description="Quarantined share of rows tolerated in the clean window")
    readiness_min_backtest_sharpe: float = Field(default=1.0, description="Backtest Sharpe must exceed this")
    readiness_min_win_rate: float = Field(default=0.55, ge=0.0, le=1.0, description="Paper win rate must exceed this")
    readiness_min_settled_trades: int = Field(default=30, ge=1, description="Settled paper trades the win rate needs")
    readiness_max_drawdown: float = Field(
        default=0.15, gt=0.0, le=1.0, description="Paper max drawdown (fraction of peak equity) must stay below")
    readiness_min_sensor_uptime: float = Field(default=0.99, ge=0.0, le=1.0, description="Sensor uptime, 30 days")
    readiness_uptime_days: int = Field(default=30, ge=1, description="Trailing window of the uptime criterion")
    sensor_heartbeat_seconds: int = Field(default=300, gt=0, description="Expected gap between sensor heartbeats")

    # -- alerts (SMTP and/or a JSON webhook; Airflow connections work too, see ops/alerts) ---
    alert_webhook_url: SecretStr | None = Field(default=None, description="Slack-compatible JSON webhook URL")
    alert_smtp_host: str | None = Field(default=None, description="SMTP relay for alert mail")
    alert_smtp_port: int = Field(default=25, gt=0, lt=65536)
    alert_smtp_user: str | None = Field(default=None)
    alert_smtp_password: SecretStr | None = Field(default=None)
    alert_smtp_starttls: bool = Field(default=False)
    alert_email_from: str = Field(default="kalshi-edge@localhost")
    alert_email_to: str | None = Field(default=None, description="Comma-separated recipients")
    alert_stale_hours: float = Field(default=36.0, gt=0, description="A daily dataset older than this alerts")

    # -- third-party keys (all optional: a missing key disables that signal, loudly) -------
    spotify_client_id: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices(f"{ENV_PREFIX}SPOTIFY_CLIENT_ID", "SPOTIPY_CLIENT_ID")
    )
    spotify_client_secret: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices(f"{ENV_PREFIX}SPOTIFY_CLIENT_SECRET", "SPOTIPY_CLIENT_SECRET")
    )
    youtube_api_key: SecretStr | None = Field(default=None)
    visual_crossing_api_key: SecretStr | None = Field(default=None)

    @field_validator("kalshi_private_key_path")
    @classmethod
    def _key_must_exist(cls, v: Path | None) -> Path | None:
        if v is not None and not v.expanduser().is_file():
            raise ValueError(f"file not found: {v}")
        return v.expanduser() if v is not None else None

    @field_validator("lake_dir", mode="before")
    @classmethod
    def _lake_dir_uri(cls, v: object) -> object:
        # #18: the lake root may be a filesystem URI (file:///path); see kalshi_edge.lake.fs
        if isinstance(v, str) and "://" in v:
            from kalshi_edge.lake.errors import LakeError
            from kalshi_edge.lake.fs import local_path_of

            try:
                return local_path_of(v)
            except LakeError as exc:
                raise ValueError(str(exc)) from None
        return v

    @field_validator("fee_rounding_tick")
    @classmethod
    def _tick_positive(cls, v: Decimal) -> Decimal:
        if v <= 0 or v > 1:
            raise ValueError("must be in (0, 1] dollars")
        return v

    @model_validator(mode="after")
    def _live_needs_keys(self) -> Settings:
        if self.trade_mode is TradeMode.LIVE and self.kalshi_env is KalshiEnv.LOCAL:
            raise ValueError("TRADE_MODE=live needs KALSHI_EDGE_KALSHI_ENV=demo or prod "
                             "(it is local: the simulator); set TRADE_MODE=paper to trade on the simulator")
        return self

    # -- derived -------------------------------------------------------------------------
    @property
    def lake_root(self) -> Path:
        return self.lake_dir or self.data_dir / "lake"

    @property
    def lake_location(self) -> Any:
        """The lake root through pyarrow's filesystem interface (a ``kalshi_edge.lake.fs.LakeLocation``)."""
        from kalshi_edge.lake.fs import resolve

        return resolve(self.lake_root)

    @property
    def warehouse_path(self) -> Path:
        return self.duckdb_path or self.data_dir / "warehouse.duckdb"

    @property
    def quarantine_root(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def rest_base_url(self) -> str:
        return (self.kalshi_rest_url or REST_HOSTS[self.kalshi_env]).rstrip("/")

    @property
    def ws_url(self) -> str:
        return self.kalshi_ws_url or WS_HOSTS[self.kalshi_env]

    def describe(self) -> dict[str, Any]:
        """Every setting as printable strings, secrets masked (for ``doctor`` and logs)."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "**********"
            out[name] = "" if value is None else str(value)
        return out


def _env_name(field: str) -> str:
    """The environment variable behind ``field`` (a field name or one of its aliases), preferring
    the spelling that is actually set (``TRADE_MODE`` vs ``KALSHI_EDGE_TRADE_MODE``)."""
    info = Settings.model_fields.get(field)
    if info is None:  # pydantic reports the alias for aliased fields
        info = next((f for f in Settings.model_fields.values()
                     if isinstance(f.validation_alias, AliasChoices) and field in f.validation_alias.choices), None)
    names: list[str] = []
    if info is not None and isinstance(info.validation_alias, AliasChoices):
        names = [str(c) for c in info.validation_alias.choices]
    if not names:
        names = [field.upper() if field.upper().startswith(ENV_PREFIX) else f"{ENV_PREFIX}{field.upper()}"]
    return next((n for n in names if n in os.environ or n.lower() in os.environ), names[0])


def _explain(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        msg = str(e["msg"]).removeprefix("Value error, ")
        if e.get("loc"):
            name = _env_name(str(e["loc"][0]))
            got = e.get("input")
            shown = f"={got!r}" if isinstance(got, str) and "SECRET" not in name and "KEY" not in name else ""
            lines.append(f"{name}{shown}: {msg}")
        else:  # a check across several variables: its message names them
            lines.append(msg)
    return "invalid configuration: " + "; ".join(lines)


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning pydantic's error into a :class:`ConfigError` naming the variable."""
    try:
        return Settings(**overrides)
    except ValidationError as err:
        raise ConfigError(_explain(err)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (cached). Tests call ``get_settings.cache_clear()``."""
    return load_settings()
