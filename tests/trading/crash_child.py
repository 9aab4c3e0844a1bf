"""Child process for the crash test: one trading step against a running simulator.

``python crash_child.py BASE_URL DATA_DIR crash|normal``. In ``crash`` mode the process dies with
``os._exit`` right after the exchange accepted its first order and before the acknowledgement is
written to the ledger — the window the ledger must survive.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from kalshi_edge.config import load_settings
from kalshi_edge.trading.runner import open_session

PARAMS = {"longshot_fade": {"shrink": 0.3}}


def main() -> None:
    base_url, data_dir, mode = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
    settings = load_settings(data_dir=data_dir, kalshi_env="local", min_edge_dollars="0.01")
    from kalshi_edge.trading.strategy import get_strategy

    book_only = [get_strategy("ladder_consensus"), get_strategy("longshot_fade", PARAMS["longshot_fade"])]
    h = open_session(settings, base_url=base_url, strategies=book_only, cancel_on_shutdown=False,
                     client_kwargs={"backoff_base": 0.001, "backoff_max": 0.005, "rate_limit": False})
    if mode == "crash":
        api = h.session.broker.client.orders_api
        real = api.create

        def create_then_die(spec):
            real(spec)  # the exchange has the order now
            os._exit(17)  # killed before the ack reaches the ledger

        api.create = create_then_die
    h.session.step()
    print(json.dumps(h.session.summary()))
    h.close()


if __name__ == "__main__":
    main()
