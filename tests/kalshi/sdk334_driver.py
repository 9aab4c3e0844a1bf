"""Drive Kalshi's official SDK (kalshi-python-sync 3.34.0) against a running simulator; print JSON results.

Run by tests/kalshi/test_sdk_334_shapes.py with ``.venv-sdk/bin/python`` (the SDK lives in its own
venv, see requirements-sdk.txt and ``make sdk-venv``); not collected by pytest. Every call goes
through the SDK's pydantic models, which validate each response strictly: a call that returns is a
response shape the SDK accepts. Output: ``{"version": ..., "calls": [{"name", "ok", "error"}]}``.

    .venv-sdk/bin/python tests/kalshi/sdk334_driver.py BASE_URL KEY_ID PEM_FILE PLAN_JSON
"""

from __future__ import annotations

import json
import sys
import traceback
from typing import Any


def main(argv: list[str]) -> int:
    import kalshi_python_sync as k

    base_url, key_id, pem_file, plan_json = argv
    plan = json.loads(plan_json)
    cfg = k.Configuration(host=base_url)
    cfg.api_key_id = key_id
    with open(pem_file) as fh:
        cfg.private_key_pem = fh.read()
    c = k.KalshiClient(cfg)
    t, t2, series, event = plan["ticker"], plan["ticker2"], plan["series"], plan["event"]
    hist = plan["historical_ticker"]
    start, end = plan["start_ts"], plan["end_ts"]
    out: list[dict[str, Any]] = []
    state: dict[str, Any] = {}

    def call(name: str, fn: Any) -> Any:
        try:
            res = fn()
        except Exception as exc:  # the point: record what the SDK refused
            text = f"{type(exc).__name__}: {exc}"
            out.append({"name": name, "ok": False, "error": text[:1500],
                        "where": traceback.format_exc(limit=-2)[-600:]})
            return None
        out.append({"name": name, "ok": True, "error": ""})
        return res

    # -- market data, series, events ----------------------------------------------------------
    call("get_exchange_status", c.get_exchange_status)
    call("get_exchange_schedule", c.get_exchange_schedule)
    call("get_series_list", lambda: c.get_series_list(include_volume=True))
    call("get_series", lambda: c.get_series(series_ticker=series))
    call("get_series_fee_changes", lambda: c.get_series_fee_changes(series_ticker=series, show_historical=True))
    call("get_events", lambda: c.get_events(with_nested_markets=True, limit=5))
    call("get_event", lambda: c.get_event(event_ticker=event, with_nested_markets=True))
    call("get_event_fee_changes", lambda: c.get_event_fee_changes(limit=10))
    call("get_event_forecast_percentiles_history", lambda: c.get_event_forecast_percentiles_history(
        ticker=event, series_ticker=series, percentiles=[1000, 5000, 9000], start_ts=start, end_ts=end,
        period_interval=60))
    call("get_markets", lambda: c.get_markets(limit=50))
    call("get_market", lambda: c.get_market(ticker=t))
    call("get_market_orderbook", lambda: c.get_market_orderbook(ticker=t, depth=5))
    call("get_market_orderbooks", lambda: c.get_market_orderbooks(tickers=[t, t2]))
    call("get_trades", lambda: c.get_trades(limit=20))
    call("get_market_candlesticks", lambda: c.get_market_candlesticks(
        series_ticker=series, ticker=t, start_ts=start, end_ts=end, period_interval=60))
    call("batch_get_market_candlesticks", lambda: c.batch_get_market_candlesticks(
        market_tickers=",".join([t, t2]), start_ts=start, end_ts=end, period_interval=60))
    call("get_market_candlesticks_by_event", lambda: c.get_market_candlesticks_by_event(
        ticker=event, series_ticker=series, start_ts=start, end_ts=end, period_interval=60))
    call("get_event_metadata", lambda: c.get_event_metadata(event_ticker=event))
    call("get_multivariate_events", lambda: c.get_multivariate_events(limit=10))
    call("get_user_data_timestamp", c.get_user_data_timestamp)
    call("get_weather_index", lambda: c.get_weather_index(city=plan["city"]))
    call("get_account_api_limits", c.get_account_api_limits)

    # -- orders (V2) and queue positions -------------------------------------------------------
    resting = call("create_order_v2", lambda: c.create_order_v2(
        ticker=t, client_order_id="sdk-1", side="bid", count="5", price=plan["rest_price"],
        time_in_force="good_till_canceled", self_trade_prevention_type="taker_at_cross", post_only=True))
    oid = resting.order_id if resting is not None else "missing"
    state["rest_remaining"] = resting.remaining_count if resting is not None else None
    call("get_order", lambda: c.get_order(order_id=oid))
    call("get_orders", lambda: c.get_orders(ticker=t, limit=50))
    call("get_order_queue_position", lambda: c.get_order_queue_position(order_id=oid))
    call("get_order_queue_positions", lambda: c.get_order_queue_positions(market_tickers=t))
    amended = call("amend_order_v2", lambda: c.amend_order_v2(
        order_id=oid, ticker=t, side="bid", price=plan["rest_price"], count="8"))
    state["amended_remaining"] = amended.remaining_count if amended is not None else None
    call("decrease_order_v2", lambda: c.decrease_order_v2(order_id=oid, reduce_by="2"))
    call("cancel_order_v2", lambda: c.cancel_order_v2(order_id=oid))
    batch = call("batch_create_orders_v2", lambda: c.batch_create_orders_v2(orders=[
        k.CreateOrderV2Request(ticker=t, side="bid", count="1", price=plan["rest_price"],
                               time_in_force="good_till_canceled", self_trade_prevention_type="taker_at_cross"),
        k.CreateOrderV2Request(ticker=t2, side="bid", count="1", price=plan["rest_price"],
                               time_in_force="good_till_canceled", self_trade_prevention_type="taker_at_cross"),
    ]))
    ids = [o.order_id for o in (batch.orders if batch is not None else []) if o.order_id]
    call("batch_cancel_orders_v2", lambda: c.batch_cancel_orders_v2(
        orders=[k.BatchCancelOrdersV2RequestOrdersInner(order_id=i) for i in ids[:1]]))
    call("cancel_all_orders", c.cancel_all_orders)
    call("create_order_v2_taker", lambda: c.create_order_v2(
        ticker=t, side="bid", count="2", price=plan["take_price"], time_in_force="immediate_or_cancel",
        self_trade_prevention_type="taker_at_cross"))

    # -- order groups ----------------------------------------------------------------------------
    grp = call("create_order_group", lambda: c.create_order_group(contracts_limit=10))
    gid = grp.order_group_id if grp is not None else "missing"
    state["group"] = gid
    call("get_order_groups", c.get_order_groups)
    call("get_order_group", lambda: c.get_order_group(order_group_id=gid))
    call("update_order_group_limit", lambda: c.update_order_group_limit(order_group_id=gid, contracts_limit=20))
    call("trigger_order_group", lambda: c.trigger_order_group(order_group_id=gid))
    call("reset_order_group", lambda: c.reset_order_group(order_group_id=gid))
    call("delete_order_group", lambda: c.delete_order_group(order_group_id=gid))

    # -- portfolio reads ---------------------------------------------------------------------------
    call("get_balance", c.get_balance)
    call("get_positions", lambda: c.get_positions(limit=50))
    call("get_fills", lambda: c.get_fills(limit=50))
    call("get_settlements", lambda: c.get_settlements(limit=50))
    call("get_portfolio_resting_order_total_value", c.get_portfolio_resting_order_total_value)
    call("get_deposits", lambda: c.get_deposits(limit=10))
    call("get_withdrawals", lambda: c.get_withdrawals(limit=10))
    call("get_subaccount_balances", c.get_subaccount_balances)
    call("get_subaccount_netting", c.get_subaccount_netting)
    call("get_subaccount_transfers", lambda: c.get_subaccount_transfers(limit=10))
    call("get_intra_exchange_instance_transfers", lambda: c.get_intra_exchange_instance_transfers(limit=10))
    call("get_target_balance_allocation", c.get_target_balance_allocation)
    call("get_account_endpoint_costs", c.get_account_endpoint_costs)
    call("get_account_api_usage_level_volume_progress", c.get_account_api_usage_level_volume_progress)

    # -- historical ------------------------------------------------------------------------------
    call("get_historical_cutoff", c.get_historical_cutoff)
    hm = call("get_historical_markets", lambda: c.get_historical_markets(limit=50))
    state["historical_markets"] = [m.ticker for m in hm.markets] if hm is not None else None
    hf = call("get_fills_historical_probe", lambda: c.get_fills_historical(limit=50))
    state["historical_fills"] = len(hf.fills) if hf is not None else None
    call("get_historical_market", lambda: c.get_historical_market(ticker=hist))
    call("get_market_candlesticks_historical", lambda: c.get_market_candlesticks_historical(
        ticker=hist, start_ts=start, end_ts=end, period_interval=60))
    call("get_trades_historical", lambda: c.get_trades_historical(limit=50))
    call("get_fills_historical", lambda: c.get_fills_historical(limit=50))
    call("get_historical_orders", lambda: c.get_historical_orders(limit=50))
    call("get_historical_positions", lambda: c.get_historical_positions(limit=50))

    print(json.dumps({"version": k.__version__, "calls": out, "values": state}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
