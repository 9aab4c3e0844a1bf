"""Spec conformance: every endpoint the simulator implements answers per kalshi-openapi-3.13.0.yaml.

Two layers: (1) schemathesis generates inputs from the spec for every implemented operation
and checks that no response is a 5xx and every documented response validates against its
schema; (2) each operation is also called with real identifiers (a real market, a real order)
so the *successful* bodies, which random inputs rarely reach, are validated too.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from kalshi_edge.exchange.simulator import run_simulator_in_thread

SPEC = Path(__file__).resolve().parents[1] / "fixtures" / "simulator" / "kalshi-openapi-3.13.0.yaml"
SCHEMA = schemathesis.openapi.from_path(str(SPEC))

#: (METHOD, spec path) of every spec operation the simulator implements.
IMPLEMENTED = [
    ("GET", "/exchange/status"),
    ("GET", "/series"),
    ("GET", "/series/{series_ticker}"),
    ("GET", "/events"),
    ("GET", "/events/{event_ticker}"),
    ("GET", "/markets"),
    ("GET", "/markets/{ticker}"),
    ("GET", "/markets/{ticker}/orderbook"),
    ("GET", "/markets/orderbooks"),
    ("GET", "/markets/trades"),
    ("GET", "/series/{series_ticker}/markets/{ticker}/candlesticks"),
    ("GET", "/markets/candlesticks"),
    ("GET", "/portfolio/balance"),
    ("GET", "/portfolio/positions"),
    ("GET", "/portfolio/orders"),
    ("POST", "/portfolio/orders"),
    ("GET", "/portfolio/orders/{order_id}"),
    ("DELETE", "/portfolio/orders/{order_id}"),
    ("POST", "/portfolio/orders/{order_id}/decrease"),
    ("GET", "/portfolio/orders/{order_id}/queue_position"),
    ("GET", "/portfolio/fills"),
    ("GET", "/portfolio/settlements"),
    # added after 3.13 in the simulator, already in the 3.13 spec (issue #17)
    ("GET", "/exchange/schedule"),
    ("GET", "/series/fee_changes"),
    ("GET", "/series/{series_ticker}/events/{ticker}/forecast_percentile_history"),
    ("GET", "/account/limits"),
    ("GET", "/portfolio/orders/queue_positions"),
    ("POST", "/portfolio/orders/{order_id}/amend"),
    ("GET", "/portfolio/summary/total_resting_order_value"),
    ("GET", "/portfolio/order_groups"),
    ("POST", "/portfolio/order_groups/create"),
    ("GET", "/portfolio/order_groups/{order_group_id}"),
    ("DELETE", "/portfolio/order_groups/{order_group_id}"),
    ("PUT", "/portfolio/order_groups/{order_group_id}/limit"),
    ("PUT", "/portfolio/order_groups/{order_group_id}/trigger"),
    ("PUT", "/portfolio/order_groups/{order_group_id}/reset"),
    ("GET", "/historical/cutoff"),
    ("GET", "/historical/markets"),
    ("GET", "/historical/markets/{ticker}"),
    ("GET", "/historical/markets/{ticker}/candlesticks"),
    ("GET", "/historical/trades"),
    ("GET", "/historical/fills"),
    ("GET", "/historical/orders"),
    ("GET", "/events/{event_ticker}/metadata"),
    ("GET", "/events/multivariate"),
    ("GET", "/series/{series_ticker}/events/{ticker}/candlesticks"),
    ("GET", "/exchange/user_data_timestamp"),
    ("GET", "/portfolio/subaccounts/balances"),
    ("GET", "/portfolio/subaccounts/netting"),
    ("GET", "/portfolio/subaccounts/transfers"),
]
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
T = "KXHIGHNY-26JUL12-T82"


def _operation(method: str, path: str):
    for res in SCHEMA.get_all_operations():
        op = res.ok()
        if op.method.upper() == method and op.path == path:
            return op
    raise AssertionError(f"{method} {path} is not in the spec copy")


@pytest.fixture(scope="module")
def sim():
    with run_simulator_in_thread(seed=3) as handle:
        yield handle


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), IMPLEMENTED, ids=[f"{m} {p}" for m, p in IMPLEMENTED])
def test_generated_inputs_no_5xx_and_schema_valid(sim, method, path):
    op = _operation(method, path)
    session = requests.Session()

    @settings(max_examples=12, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy())
    def run(case):
        response = case.call(base_url=sim.base_url, session=session, timeout=10)
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.slow
@pytest.mark.parametrize(("method", "path"), IMPLEMENTED, ids=[f"{m} {p}" for m, p in IMPLEMENTED])
def test_invalid_generated_inputs_never_5xx(sim, method, path):
    """Inputs that violate the spec (wrong types, out-of-range limits) are refused, never crash."""
    op = _operation(method, path)
    session = requests.Session()

    @settings(max_examples=8, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(case=op.as_strategy(generation_mode=GenerationMode.NEGATIVE))
    def run(case):
        response = case.call(base_url=sim.base_url, session=session, timeout=10)
        case.validate_response(response, checks=[not_a_server_error])

    try:
        run()
    except Unsatisfiable:  # operations without parameters have no invalid input to generate
        pass


def _validate(method: str, path: str, response: requests.Response) -> None:
    op = _operation(method, path)
    assert response.status_code < 500, response.text
    op.validate_response(response)


def test_real_identifiers_validate_against_the_spec(sim):
    b = sim.base_url
    calls = [
        ("GET", "/exchange/status", "/exchange/status", {}),
        ("GET", "/series", "/series", {"include_volume": "true"}),
        ("GET", "/series/{series_ticker}", "/series/KXHIGHNY", {}),
        ("GET", "/events", "/events", {"with_nested_markets": "true", "limit": 2}),
        ("GET", "/events/{event_ticker}", "/events/KXHIGHNY-26JUL12", {"with_nested_markets": "true"}),
        ("GET", "/markets", "/markets", {"series_ticker": "KXBTCD", "status": "open"}),
        ("GET", "/markets/{ticker}", f"/markets/{T}", {}),
        ("GET", "/markets/{ticker}/orderbook", f"/markets/{T}/orderbook", {"depth": 2}),
        ("GET", "/markets/orderbooks", "/markets/orderbooks", {"tickers": [T, "KXHIGHNY-26JUL12-T89"]}),
        ("GET", "/series/{series_ticker}/markets/{ticker}/candlesticks",
         f"/series/KXHIGHNY/markets/{T}/candlesticks", {"start_ts": 0, "end_ts": 2**40, "period_interval": 60}),
        ("GET", "/markets/candlesticks", "/markets/candlesticks",
         {"market_tickers": T, "start_ts": 0, "end_ts": 2**40, "period_interval": 60}),
    ]
    for method, spec_path, path, params in calls:
        r = requests.request(method, b + path, params=params, timeout=10)
        assert r.status_code == 200, (path, r.text)
        _validate(method, spec_path, r)
    # a trade, then every portfolio endpoint with real content
    r = requests.post(b + "/portfolio/orders", json={"ticker": T, "side": "yes", "action": "buy", "count": 3,
                                                   "yes_price": 20, "client_order_id": "schema-1"}, timeout=10)
    assert r.status_code == 201, r.text
    _validate("POST", "/portfolio/orders", r)
    r = requests.post(b + "/portfolio/orders", json={"ticker": T, "side": "no", "action": "buy", "count_fp": "2.00",
                                                   "no_price_dollars": "0.5000", "client_order_id": "schema-2"}, timeout=10)
    oid = r.json()["order"]["order_id"]
    assert r.json()["order"]["status"] == "resting"
    _validate("GET", "/portfolio/orders/{order_id}", requests.get(b + f"/portfolio/orders/{oid}", timeout=10))
    r = requests.get(b + f"/portfolio/orders/{oid}/queue_position", timeout=10)
    assert r.status_code == 200
    _validate("GET", "/portfolio/orders/{order_id}/queue_position", r)
    r = requests.post(b + f"/portfolio/orders/{oid}/decrease", json={"reduce_by": 1}, timeout=10)
    assert r.status_code == 200 and r.json()["order"]["remaining_count_fp"] == "1.00"
    _validate("POST", "/portfolio/orders/{order_id}/decrease", r)
    _validate("DELETE", "/portfolio/orders/{order_id}", requests.delete(b + f"/portfolio/orders/{oid}", timeout=10))
    sim.settle(T, "no")
    for path in ("/portfolio/balance", "/portfolio/positions", "/portfolio/orders", "/portfolio/fills",
                 "/portfolio/settlements"):
        r = requests.get(b + path, timeout=10)
        assert r.status_code == 200
        _validate("GET", path, r)
    assert requests.get(b + "/portfolio/settlements", timeout=10).json()["settlements"]
    r = requests.get(b + "/markets/trades", params={"ticker": T}, timeout=10)
    assert r.json()["trades"]
    _validate("GET", "/markets/trades", r)


def test_real_identifiers_of_the_3x_operations_validate(sim):
    """The 3.13-spec operations the simulator gained with #17, called with real ids so success bodies are checked."""
    b = sim.base_url
    t = "KXHIGHNY-26JUL12-B84.5"
    r = requests.post(b + "/portfolio/order_groups/create", json={"contracts_limit": 5}, timeout=10)
    assert r.status_code == 201, r.text
    _validate("POST", "/portfolio/order_groups/create", r)
    gid = r.json()["order_group_id"]
    r = requests.post(b + "/portfolio/orders", json={"ticker": t, "side": "yes", "action": "buy", "count": 2,
                                                   "yes_price": 5, "order_group_id": gid}, timeout=10)
    assert r.status_code == 201, r.text
    oid = r.json()["order"]["order_id"]
    r = requests.post(b + f"/portfolio/orders/{oid}/amend", timeout=10,
                      json={"ticker": t, "side": "yes", "action": "buy", "yes_price": 6, "count": 3})
    assert r.status_code == 200, r.text
    assert r.json()["order"]["initial_count_fp"] == "3.00" and r.json()["old_order"]["yes_price_dollars"] == "0.0500"
    _validate("POST", "/portfolio/orders/{order_id}/amend", r)
    ok = [
        ("GET", "/portfolio/orders/queue_positions", "/portfolio/orders/queue_positions", {"market_tickers": t}),
        ("GET", "/portfolio/summary/total_resting_order_value", "/portfolio/summary/total_resting_order_value", {}),
        ("GET", "/portfolio/order_groups", "/portfolio/order_groups", {}),
        ("GET", "/portfolio/order_groups/{order_group_id}", f"/portfolio/order_groups/{gid}", {}),
        ("GET", "/account/limits", "/account/limits", {}),
        ("GET", "/exchange/schedule", "/exchange/schedule", {}),
        ("GET", "/series/fee_changes", "/series/fee_changes", {"show_historical": "true"}),
        ("GET", "/events/{event_ticker}/metadata", "/events/KXHIGHNY-26JUL12/metadata", {}),
        ("GET", "/events/multivariate", "/events/multivariate", {}),
        ("GET", "/series/{series_ticker}/events/{ticker}/candlesticks",
         "/series/KXHIGHNY/events/KXHIGHNY-26JUL12/candlesticks", {"start_ts": 0, "end_ts": 2**40, "period_interval": 60}),
        ("GET", "/exchange/user_data_timestamp", "/exchange/user_data_timestamp", {}),
        ("GET", "/portfolio/subaccounts/balances", "/portfolio/subaccounts/balances", {}),
        ("GET", "/portfolio/subaccounts/netting", "/portfolio/subaccounts/netting", {}),
        ("GET", "/portfolio/subaccounts/transfers", "/portfolio/subaccounts/transfers", {}),
        ("GET", "/series/{series_ticker}/events/{ticker}/forecast_percentile_history",
         "/series/KXHIGHNY/events/KXHIGHNY-26JUL12/forecast_percentile_history",
         {"percentiles": [2500, 5000, 7500], "start_ts": 0, "end_ts": 2**40, "period_interval": 60}),
    ]
    for method, spec_path, path, params in ok:
        r = requests.request(method, b + path, params=params, timeout=10)
        assert r.status_code == 200, (path, r.text)
        _validate(method, spec_path, r)
    assert requests.get(b + "/portfolio/orders/queue_positions", params={"market_tickers": t},
                        timeout=10).json()["queue_positions"][0]["order_id"] == oid
    for action in ("limit", "trigger", "reset"):
        r = requests.put(b + f"/portfolio/order_groups/{gid}/{action}", json={"contracts_limit": 9}, timeout=10)
        assert r.status_code == 200, r.text
        _validate("PUT", f"/portfolio/order_groups/{{order_group_id}}/{action}", r)
    r = requests.delete(b + f"/portfolio/order_groups/{gid}", timeout=10)
    _validate("DELETE", "/portfolio/order_groups/{order_group_id}", r)
    # archive a settled market, then the historical family answers with rows
    m = "KXHIGHNY-26JUL12-B86.5"
    r = requests.post(b + "/portfolio/orders", json={"ticker": m, "side": "yes", "action": "buy", "count": 1,
                                                   "yes_price": 99, "time_in_force": "immediate_or_cancel"}, timeout=10)
    assert r.json()["order"]["fill_count_fp"] == "1.00", r.text
    sim.settle(m, "yes")
    sim.exchange.set_historical_cutoff(sim.exchange.now() + timedelta(seconds=1))
    sim.exchange.clock.advance(2)
    hist = [
        ("GET", "/historical/cutoff", "/historical/cutoff", {}),
        ("GET", "/historical/markets", "/historical/markets", {}),
        ("GET", "/historical/markets/{ticker}", f"/historical/markets/{m}", {}),
        ("GET", "/historical/markets/{ticker}/candlesticks", f"/historical/markets/{m}/candlesticks",
         {"start_ts": 0, "end_ts": 2**40, "period_interval": 60}),
        ("GET", "/historical/trades", "/historical/trades", {}),
        ("GET", "/historical/fills", "/historical/fills", {}),
        ("GET", "/historical/orders", "/historical/orders", {}),
    ]
    for method, spec_path, path, params in hist:
        r = requests.request(method, b + path, params=params, timeout=10)
        assert r.status_code == 200, (path, r.text)
        _validate(method, spec_path, r)
    assert requests.get(b + "/historical/fills", timeout=10).json()["fills"]
    assert m in {x["ticker"] for x in requests.get(b + "/historical/markets", timeout=10).json()["markets"]}
