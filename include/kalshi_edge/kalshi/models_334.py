"""Typed models of the shapes Kalshi added after spec 3.13 (to 3.34): exact, and each parser names the bad field.

REST: ``AmendResult`` (V2 amend), ``BatchCreateResult``/``BatchCancelResult`` (one per order of a
batch, with the refusal when there is one), ``OrderGroup``, ``QueuePosition``, ``HistoricalCutoff``,
``SeriesFeeChange``/``EventFeeChange``, ``ForecastPoint``, ``WeatherIndexPoint``, ``AccountLimits``.
WebSocket: ``OrderGroupUpdate`` (``order_group_updates``) and ``EventFeeUpdate`` (``event_fee_update``);
``user_orders`` carries an ``Order`` and ``market_positions`` a ``Position`` (parsed by
:mod:`kalshi_edge.kalshi.models`). Shapes follow the official SDK 3.34 models and KALSHI_API.md
"Changes after 3.13" (no recorded payload of these exists in the reference set).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from kalshi_edge.kalshi.errors import KalshiSchemaError
from kalshi_edge.kalshi.fees import FeeSchedule
from kalshi_edge.kalshi.money import MoneyError, parse_count, parse_price, to_decimal


def _req(d: Mapping[str, Any], key: str, ctx: str) -> Any:
    v = d.get(key)
    if v is None:
        raise KalshiSchemaError(f"{ctx}.{key}: missing")
    return v


def _count(d: Mapping[str, Any], key: str, ctx: str, *, required: bool = True) -> Decimal | None:
    v = d.get(key)
    if v is None:
        if required:
            raise KalshiSchemaError(f"{ctx}.{key}: missing")
        return None
    try:
        return parse_count(v, f"{ctx}.{key}")
    except MoneyError as exc:
        raise KalshiSchemaError(str(exc)) from None


def _price(d: Mapping[str, Any], key: str, ctx: str) -> Decimal | None:
    v = d.get(key)
    if v in (None, ""):
        return None
    try:
        return parse_price(v, f"{ctx}.{key}")
    except MoneyError as exc:
        raise KalshiSchemaError(str(exc)) from None


def _number(d: Mapping[str, Any], key: str, ctx: str, *, required: bool = True) -> Decimal | None:
    v = d.get(key)
    if v is None:
        if required:
            raise KalshiSchemaError(f"{ctx}.{key}: missing")
        return None
    try:
        return to_decimal(repr(v) if isinstance(v, float) else v, f"{ctx}.{key}")
    except MoneyError as exc:
        raise KalshiSchemaError(str(exc)) from None


def _time(d: Mapping[str, Any], key: str, ctx: str) -> datetime:
    v = _req(d, key, ctx)
    try:
        if isinstance(v, int | float) and not isinstance(v, bool):
            return datetime.fromtimestamp(v, tz=UTC)
        dt = datetime.fromisoformat(str(v).replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise KalshiSchemaError(f"{ctx}.{key}: {v!r} is not a time") from None
    if dt.tzinfo is None:
        raise KalshiSchemaError(f"{ctx}.{key}: {v!r} has no time zone")
    return dt.astimezone(UTC)


# ---------------------------------------------------------------------------------------------
# orders


@dataclass(frozen=True, slots=True)
class FillSummary:
    """What a V2 create/amend reports: counts after it, average fill price and fee (dollars)."""

    order_id: str
    client_order_id: str
    fill_count: Decimal
    remaining_count: Decimal
    average_fill_price: Decimal | None
    average_fee_paid: Decimal | None
    ts_ms: int | None


def parse_fill_summary(d: Mapping[str, Any], ctx: str = "order") -> FillSummary:
    oid = str(_req(d, "order_id", ctx))
    c = f"{ctx}[{oid}]"
    return FillSummary(order_id=oid, client_order_id=str(d.get("client_order_id") or ""),
                       fill_count=_count(d, "fill_count", c, required=False) or Decimal(0),
                       remaining_count=_count(d, "remaining_count", c, required=False) or Decimal(0),
                       average_fill_price=_price(d, "average_fill_price", c),
                       average_fee_paid=_number(d, "average_fee_paid", c, required=False),
                       ts_ms=d.get("ts_ms"))


AmendResult = FillSummary


@dataclass(frozen=True, slots=True)
class BatchError:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class BatchCreateResult:
    """One order of a batched create: ``ok`` with its summary, or refused with ``error``."""

    index: int
    client_order_id: str
    summary: FillSummary | None
    error: BatchError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def _batch_error(d: Mapping[str, Any]) -> BatchError | None:
    e = d.get("error")
    if not e:
        return None
    if not isinstance(e, Mapping):
        raise KalshiSchemaError(f"batch.error: expected an object, got {e!r}")
    return BatchError(code=str(e.get("code") or ""), message=str(e.get("message") or ""))


def parse_batch_create(payload: Mapping[str, Any]) -> list[BatchCreateResult]:
    rows = _req(payload, "orders", "batch_create")
    out = []
    for i, d in enumerate(rows):
        err = _batch_error(d)
        out.append(BatchCreateResult(index=i, client_order_id=str(d.get("client_order_id") or ""),
                                     summary=None if err else parse_fill_summary(d, f"batch_create.orders[{i}]"),
                                     error=err))
    return out


@dataclass(frozen=True, slots=True)
class BatchCancelResult:
    index: int
    order_id: str
    reduced_by: Decimal
    error: BatchError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def parse_batch_cancel(payload: Mapping[str, Any]) -> list[BatchCancelResult]:
    rows = _req(payload, "orders", "batch_cancel")
    return [BatchCancelResult(index=i, order_id=str(d.get("order_id") or ""),
                              reduced_by=_count(d, "reduced_by", f"batch_cancel.orders[{i}]", required=False) or Decimal(0),
                              error=_batch_error(d)) for i, d in enumerate(rows)]


@dataclass(frozen=True, slots=True)
class QueuePosition:
    order_id: str
    market_ticker: str
    ahead: Decimal  # contracts ahead of the order at its price


def parse_queue_position(d: Mapping[str, Any], ctx: str = "queue_position") -> QueuePosition:
    return QueuePosition(order_id=str(d.get("order_id") or ""), market_ticker=str(d.get("market_ticker") or ""),
                         ahead=_count(d, "queue_position_fp", ctx) or Decimal(0))


@dataclass(frozen=True, slots=True)
class OrderGroup:
    group_id: str
    contracts_limit: Decimal | None
    auto_cancel: bool
    #: The simulator says whether the group has tripped; Kalshi's payload does not (None then).
    triggered: bool | None = None
    order_ids: tuple[str, ...] = ()


def parse_order_group(d: Mapping[str, Any], group_id: str | None = None) -> OrderGroup:
    gid = str(d.get("id") or d.get("order_group_id") or group_id or "")
    if not gid:
        raise KalshiSchemaError("order_group.id: missing")
    ctx = f"order_group[{gid}]"
    return OrderGroup(group_id=gid, contracts_limit=_count(d, "contracts_limit_fp", ctx, required=False),
                      auto_cancel=bool(d.get("is_auto_cancel_enabled")),
                      triggered=d.get("is_triggered") if isinstance(d.get("is_triggered"), bool) else None,
                      order_ids=tuple(str(x) for x in d.get("orders") or ()))


# ---------------------------------------------------------------------------------------------
# historical, account


@dataclass(frozen=True, slots=True)
class HistoricalCutoff:
    market_settled: datetime
    trades_created: datetime
    orders_updated: datetime


def parse_cutoff(d: Mapping[str, Any]) -> HistoricalCutoff:
    return HistoricalCutoff(market_settled=_time(d, "market_settled_ts", "cutoff"),
                            trades_created=_time(d, "trades_created_ts", "cutoff"),
                            orders_updated=_time(d, "orders_updated_ts", "cutoff"))


@dataclass(frozen=True, slots=True)
class AccountLimits:
    tier: str
    read_rate: int
    read_capacity: int
    write_rate: int
    write_capacity: int

    def batch_size(self, tokens_per_order: float = 10.0) -> int:
        """Orders one batched call may carry: the write bucket over one order's cost (at least 1)."""
        return max(1, int(self.write_capacity // tokens_per_order))


def parse_account_limits(d: Mapping[str, Any]) -> AccountLimits:
    r, w = _req(d, "read", "account_limits"), _req(d, "write", "account_limits")
    return AccountLimits(tier=str(d.get("usage_tier") or ""), read_rate=int(_req(r, "refill_rate", "read")),
                         read_capacity=int(_req(r, "bucket_capacity", "read")),
                         write_rate=int(_req(w, "refill_rate", "write")),
                         write_capacity=int(_req(w, "bucket_capacity", "write")))


# ---------------------------------------------------------------------------------------------
# event data: fees, forecasts, weather


@dataclass(frozen=True, slots=True)
class SeriesFeeChange:
    change_id: str
    series_ticker: str
    fee_type: str
    fee_multiplier: Decimal
    scheduled: datetime


def parse_series_fee_change(d: Mapping[str, Any]) -> SeriesFeeChange:
    ctx = f"series_fee_change[{d.get('id')}]"
    return SeriesFeeChange(change_id=str(_req(d, "id", ctx)), series_ticker=str(_req(d, "series_ticker", ctx)),
                           fee_type=str(_req(d, "fee_type", ctx)),
                           fee_multiplier=_number(d, "fee_multiplier", ctx) or Decimal(1),
                           scheduled=_time(d, "scheduled_ts", ctx))


@dataclass(frozen=True, slots=True)
class EventFeeChange:
    change_id: str
    event_ticker: str
    series_ticker: str
    fee_type_override: str | None
    fee_multiplier_override: Decimal | None
    scheduled: datetime


def parse_event_fee_change(d: Mapping[str, Any]) -> EventFeeChange:
    ctx = f"event_fee_change[{d.get('id')}]"
    return EventFeeChange(change_id=str(_req(d, "id", ctx)), event_ticker=str(_req(d, "event_ticker", ctx)),
                          series_ticker=str(d.get("series_ticker") or ""),
                          fee_type_override=d.get("fee_type_override") or None,
                          fee_multiplier_override=_number(d, "fee_multiplier_override", ctx, required=False),
                          scheduled=_time(d, "scheduled_ts", ctx))


@dataclass(frozen=True, slots=True)
class EventFeeUpdate:
    """WebSocket ``event_fee_update``: an event's fee override changed (now or at ``ts_ms``)."""

    event_ticker: str
    fee_type_override: str | None
    fee_multiplier_override: Decimal | None
    ts_ms: int | None


def decode_event_fee_update(m: Mapping[str, Any]) -> EventFeeUpdate:
    ev = m.get("event_ticker")
    if not ev:
        raise KalshiSchemaError("event_fee_update.msg.event_ticker: missing")
    return EventFeeUpdate(event_ticker=str(ev), fee_type_override=m.get("fee_type_override") or None,
                          fee_multiplier_override=_number(m, "fee_multiplier_override", "event_fee_update", required=False),
                          ts_ms=m.get("ts_ms"))


def fee_schedule_at(when: datetime, *, series_fee_type: str | None, series_multiplier: Decimal | str | None,
                    series_changes: Sequence[SeriesFeeChange] = (), event_changes: Sequence[EventFeeChange] = (),
                    event_fee_type_override: str | None = None, event_multiplier_override: Decimal | str | None = None,
                    market_waiver_expiration: datetime | None = None) -> FeeSchedule:
    """The fee schedule in force at ``when``: the last series change and event change scheduled at or before it win.

    Fees follow schedule changes: a series fee change (``/series/fee_changes``) replaces the
    series' ``fee_type``/``fee_multiplier`` from its ``scheduled_ts``; an event fee change
    (``/events/fee_changes``, WS ``event_fee_update``) replaces the event's overrides.
    """
    ft, mult = series_fee_type, series_multiplier
    for c in sorted((c for c in series_changes if c.scheduled <= when), key=lambda c: c.scheduled):
        ft, mult = c.fee_type, c.fee_multiplier
    eft, emult = event_fee_type_override, event_multiplier_override
    for e in sorted((e for e in event_changes if e.scheduled <= when), key=lambda e: e.scheduled):
        eft, emult = e.fee_type_override, e.fee_multiplier_override
    return FeeSchedule.resolve(series_fee_type=ft, series_multiplier=str(mult if mult is not None else "1"),
                               event_fee_type_override=eft,
                               event_multiplier_override=str(emult) if emult is not None else None,
                               market_waiver_expiration=market_waiver_expiration)


@dataclass(frozen=True, slots=True)
class ForecastPoint:
    """One period of ``forecast_percentile_history``: percentile (basis points) → forecast value."""

    event_ticker: str
    end_period_ts: int
    period_interval: int
    values: dict[int, Decimal]
    formatted: dict[int, str]


def parse_forecast_history(payload: Mapping[str, Any]) -> list[ForecastPoint]:
    out = []
    for i, p in enumerate(_req(payload, "forecast_history", "forecast_percentile_history")):
        ctx = f"forecast_history[{i}]"
        vals, fmt = {}, {}
        for j, pp in enumerate(_req(p, "percentile_points", ctx)):
            pc = int(_req(pp, "percentile", f"{ctx}.percentile_points[{j}]"))
            vals[pc] = _number(pp, "numerical_forecast", f"{ctx}.percentile_points[{j}]") or Decimal(0)
            fmt[pc] = str(pp.get("formatted_forecast") or "")
        out.append(ForecastPoint(event_ticker=str(_req(p, "event_ticker", ctx)), end_period_ts=int(_req(p, "end_period_ts", ctx)),
                                 period_interval=int(_req(p, "period_interval", ctx)), values=vals, formatted=fmt))
    return out


@dataclass(frozen=True, slots=True)
class WeatherIndexPoint:
    city: str
    t: int  # unix seconds
    value: Decimal | None
    status: str
    units: str


def parse_weather_index(payload: Mapping[str, Any]) -> list[WeatherIndexPoint]:
    city = str(_req(payload, "city", "weather_index"))
    units = str(payload.get("units") or "")
    out = []
    for i, p in enumerate(_req(payload, "timeseries", "weather_index")):
        ctx = f"weather_index[{city}].timeseries[{i}]"
        out.append(WeatherIndexPoint(city=city, t=int(_req(p, "t", ctx)), value=_number(p, "v", ctx, required=False),
                                     status=str(p.get("status") or ""), units=units))
    return out


@dataclass(frozen=True, slots=True)
class OrderGroupUpdate:
    """WebSocket ``order_group_updates``: created | limit_updated | triggered | reset | deleted."""

    order_group_id: str
    event_type: str
    contracts_limit: Decimal | None
    ts_ms: int | None


def decode_order_group_update(m: Mapping[str, Any]) -> OrderGroupUpdate:
    gid = m.get("order_group_id")
    if not gid:
        raise KalshiSchemaError("order_group_update.msg.order_group_id: missing")
    return OrderGroupUpdate(order_group_id=str(gid), event_type=str(m.get("event_type") or ""),
                            contracts_limit=_count(m, "contracts_limit_fp", "order_group_update", required=False),
                            ts_ms=m.get("ts_ms"))
