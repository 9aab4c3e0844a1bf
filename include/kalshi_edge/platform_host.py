"""The host name Airflow records for a task (``[core] hostname_callable``).

Several Celery workers on one machine share its host name, so task instances could not say
which worker ran them. ``scripts/airflow_celery.sh`` sets ``KALSHI_EDGE_NODE_NAME`` per process
(``worker1``, ``worker2``, ...) and ``AIRFLOW__CORE__HOSTNAME_CALLABLE`` to this function; without
the variable it is the machine's fully qualified name, as Airflow's default.
"""

from __future__ import annotations

import os
import socket


def node_name() -> str:
    """``$KALSHI_EDGE_NODE_NAME`` if set, else the fully qualified host name."""
    return os.environ.get("KALSHI_EDGE_NODE_NAME") or socket.getfqdn()
