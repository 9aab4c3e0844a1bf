"""Alerts to SMTP and a generic JSON webhook (Slack-compatible), and the hooks that raise them.

Channels are configured from the environment (``KALSHI_EDGE_ALERT_WEBHOOK_URL``,
``KALSHI_EDGE_ALERT_SMTP_HOST`` / ``_PORT`` / ``_USER`` / ``_PASSWORD`` / ``_STARTTLS``,
``KALSHI_EDGE_ALERT_EMAIL_FROM`` / ``_TO``) or from Airflow connections
``kalshi_edge_alert_webhook`` (type http: host, port, schema, extra ``{"endpoint": ...}`` or the
full URL in ``host``) and ``kalshi_edge_alert_smtp`` (type smtp: host, port, login, password,
extra ``{"to": "a@x,b@y", "from": ..., "starttls": true}``), looked up only when the environment
names no channel. The webhook receives ``{"text": "<one line>", "kind", "title", "details"}``:
Slack's incoming webhooks show ``text``; any JSON receiver gets the structured fields.

Raised on: task failure (:func:`on_task_failure`, every DAG's ``on_failure_callback`` via
``dag_defaults``), kill-switch trips (:func:`notify_kill_switch`, called by
:meth:`~kalshi_edge.trading.risk.KillSwitch.trip`), stale data beyond the guards and unknown order
outcomes (:func:`check_and_alert`, the ``ops_monitor`` DAG), readiness changes
(:func:`~kalshi_edge.ops.readiness.run_daily_readiness`).

:func:`send_alert` never raises: an alert that cannot be delivered is logged, and must not hide
the failure it reports. Secrets (webhook URL, SMTP password) are never logged.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

log = logging.getLogger(__name__)

WEBHOOK_CONN_ID = "kalshi_edge_alert_webhook"
SMTP_CONN_ID = "kalshi_edge_alert_smtp"
KINDS = ("task_failure", "kill_switch", "stale_data", "unknown_order", "readiness_change", "test")


@dataclass(frozen=True, slots=True)
class SmtpTarget:
    host: str
    port: int
    to: tuple[str, ...]
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False


def _conn_from_env(conn_id: str) -> dict[str, Any] | None:
    """An Airflow connection defined as ``AIRFLOW_CONN_<ID>`` (URI or JSON form), without Airflow."""
    raw = os.environ.get(f"AIRFLOW_CONN_{conn_id.upper()}")
    if not raw:
        return None
    if raw.lstrip().startswith("{"):
        try:
            return json.loads(raw)
        except ValueError:
            return None
    u = urlparse(raw)
    extra: dict[str, Any] = {}
    if u.query:
        from urllib.parse import parse_qsl

        extra = dict(parse_qsl(u.query))
    return {"conn_type": u.scheme, "host": u.hostname or "", "port": u.port, "login": unquote(u.username or "") or None,
            "password": unquote(u.password or "") or None, "schema": u.path.lstrip("/"), "extra": extra}


def _conn(conn_id: str) -> dict[str, Any] | None:
    """The connection from the environment, else (inside Airflow) from Airflow's secrets backends."""
    found = _conn_from_env(conn_id)
    if found is not None:
        return found
    if "AIRFLOW_CTX_DAG_ID" not in os.environ and "AIRFLOW__CORE__EXECUTION_API_SERVER_URL" not in os.environ:
        return None  # not inside an Airflow task: no metadata DB lookups from the CLI or tests
    try:  # lazy: this module must import without Airflow
        from airflow.sdk import Connection

        c = Connection.get(conn_id)
    except Exception:  # noqa: BLE001 - no such connection (or no Airflow): channel not configured
        return None
    return {"conn_type": c.conn_type, "host": c.host or "", "port": c.port, "login": c.login, "password": c.password,
            "schema": c.schema or "", "extra": c.extra_dejson}


def webhook_url(settings: Any) -> str | None:
    if settings.alert_webhook_url is not None:
        return settings.alert_webhook_url.get_secret_value()
    c = _conn(WEBHOOK_CONN_ID)
    if not c or not c.get("host"):
        return None
    host = str(c["host"])
    if "://" in host:
        return host
    scheme = c.get("schema") or "https"
    port = f":{c['port']}" if c.get("port") else ""
    endpoint = str((c.get("extra") or {}).get("endpoint", "")).lstrip("/")
    return f"{scheme}://{host}{port}/{endpoint}"


def smtp_target(settings: Any) -> SmtpTarget | None:
    s = settings
    if s.alert_smtp_host and s.alert_email_to:
        return SmtpTarget(host=s.alert_smtp_host, port=int(s.alert_smtp_port),
                          to=tuple(a.strip() for a in s.alert_email_to.split(",") if a.strip()),
                          sender=s.alert_email_from, user=s.alert_smtp_user,
                          password=s.alert_smtp_password.get_secret_value() if s.alert_smtp_password else None,
                          starttls=bool(s.alert_smtp_starttls))
    c = _conn(SMTP_CONN_ID)
    if not c or not c.get("host"):
        return None
    extra = c.get("extra") or {}
    to = tuple(a.strip() for a in str(extra.get("to", "")).split(",") if a.strip())
    if not to:
        return None
    return SmtpTarget(host=str(c["host"]), port=int(c.get("port") or 25), to=to,
                      sender=str(extra.get("from", s.alert_email_from)), user=c.get("login"),
                      password=c.get("password"), starttls=str(extra.get("starttls", "")).lower() in ("1", "true"))


def configured_channels(settings: Any) -> list[str]:
    """Names of the configured alert channels ("webhook", "smtp")."""
    out = []
    if webhook_url(settings):
        out.append("webhook")
    if smtp_target(settings):
        out.append("smtp")
    return out


def _text(kind: str, title: str, details: dict[str, Any]) -> str:
    extra = ", ".join(f"{k}={v}" for k, v in details.items() if v not in (None, ""))
    return f"[kalshi-edge {kind}] {title}" + (f" ({extra})" if extra else "")


def send_alert(settings: Any, kind: str, title: str, details: dict[str, Any] | None = None, *,
               timeout_s: float = 10.0) -> dict[str, str]:
    """Send one alert to every configured channel. Returns channel → "sent" | "failed: <why>".
    Never raises."""
    import requests

    details = {k: (v if isinstance(v, (int, float, bool)) or v is None else str(v)) for k, v in (details or {}).items()}
    text = _text(kind, title, details)
    result: dict[str, str] = {}
    try:
        url = webhook_url(settings)
        smtp = smtp_target(settings)
    except Exception as exc:  # noqa: BLE001 - a broken channel config must not raise from an alert
        log.warning("alert %s: channel configuration unreadable: %s", kind, exc)
        return {"config": f"failed: {exc}"}
    if url:
        try:
            r = requests.post(url, json={"text": text, "kind": kind, "title": title, "details": details,
                                         "sent_at": datetime.now(UTC).isoformat()}, timeout=timeout_s)
            result["webhook"] = "sent" if r.status_code < 300 else f"failed: HTTP {r.status_code}"
        except requests.RequestException as exc:
            result["webhook"] = f"failed: {type(exc).__name__}"
    if smtp:
        msg = EmailMessage()
        msg["Subject"] = text[:200]
        msg["From"] = smtp.sender
        msg["To"] = ", ".join(smtp.to)
        msg.set_content(text + "\n\n" + json.dumps(details, indent=2, sort_keys=True) + "\n")
        try:
            with smtplib.SMTP(smtp.host, smtp.port, timeout=timeout_s) as conn:
                if smtp.starttls:
                    conn.starttls()
                if smtp.user:
                    conn.login(smtp.user, smtp.password or "")
                conn.send_message(msg)
            result["smtp"] = "sent"
        except (OSError, smtplib.SMTPException) as exc:
            result["smtp"] = f"failed: {type(exc).__name__}: {exc}"[:200]
    for ch, st in result.items():
        if st != "sent":
            log.warning("alert %s via %s %s", kind, ch, st)
    if not result:
        log.info("alert %s not sent (no channel configured): %s", kind, text)
    return result


# ----------------------------------------------------------------------------- hooks
def on_task_failure(context: dict[str, Any]) -> None:
    """Airflow ``on_failure_callback``: one alert naming the DAG, task, run and the error."""
    from kalshi_edge.config import get_settings

    ti = context.get("task_instance") or context.get("ti")
    exc = context.get("exception")
    details = {
        "dag_id": getattr(ti, "dag_id", None) or getattr(context.get("dag"), "dag_id", None),
        "task_id": getattr(ti, "task_id", None),
        "run_id": getattr(ti, "run_id", None) or context.get("run_id"),
        "try_number": getattr(ti, "try_number", None),
        "error": f"{type(exc).__name__}: {exc}"[:300] if exc is not None else "",
    }
    try:
        settings = get_settings()
    except Exception as e:  # noqa: BLE001 - a config error must not stop the callback
        log.warning("alert task_failure: settings unreadable: %s", e)
        return
    send_alert(settings, "task_failure", f"task {details['dag_id']}.{details['task_id']} failed", details)


def notify_kill_switch(reason: str, at: str) -> None:
    """Called when the kill switch trips (never raises)."""
    try:
        from kalshi_edge.config import get_settings

        settings = get_settings()
        send_alert(settings, "kill_switch", "kill switch TRIPPED: trading stopped until a person resets it",
                   {"reason": reason, "tripped_at": at})
        _remember(settings, {f"kill:{at}"})  # the monitor must not alert this trip again
    except Exception as exc:  # noqa: BLE001 - the trip itself must succeed whatever the alert does
        log.warning("alert kill_switch failed: %s", exc)


def _state_path(settings: Any) -> Path:
    return Path(settings.data_dir) / "ops" / "alerted.json"


def _seen(settings: Any) -> set[str]:
    path = _state_path(settings)
    try:
        return set(json.loads(path.read_text())) if path.exists() else set()
    except (OSError, ValueError):
        return set()


def _remember(settings: Any, keys: set[str]) -> None:
    path = _state_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(sorted(_seen(settings) | keys)))
    os.replace(tmp, path)


def check_and_alert(settings: Any, *, now: datetime | None = None,
                    ledger_paths: list[Path] | None = None) -> dict[str, Any]:
    """The monitor task: alert once per stale dataset partition, per unknown order, per kill-switch
    trip. Already-alerted keys are kept in ``data/ops/alerted.json`` so a rerun does not repeat them."""
    from kalshi_edge.lake import Lake
    from kalshi_edge.ops.freshness import lake_freshness
    from kalshi_edge.trading.ledger import OrderLedger
    from kalshi_edge.trading.risk import KillSwitch

    now = now or datetime.now(UTC)  # a manual run has no logical date
    seen = _seen(settings)
    sent: list[str] = []

    def once(key: str, kind: str, title: str, details: dict[str, Any]) -> None:
        if key in seen:
            return
        send_alert(settings, kind, title, details)
        seen.add(key)
        sent.append(key)

    for f in lake_freshness(Lake.from_settings(settings), now=now, stale_hours=settings.alert_stale_hours):
        if f.stale:
            once(f"stale:{f.dataset}:{f.last_partition}", "stale_data",
                 f"{f.dataset} is stale: newest data {f.age_hours:.0f} h old (> {f.stale_after_hours:.0f} h)",
                 {"dataset": f.dataset, "last_partition": f.last_partition, "age_hours": f.age_hours})
    paths = ledger_paths if ledger_paths is not None else sorted((Path(settings.data_dir) / "ledger").glob("*.jsonl"))
    for p in paths:
        if not p.exists():
            continue
        with OrderLedger(p) as led:
            unknown = [r for r in led.open_orders() if r.state == "unknown"]
        for r in unknown:
            once(f"unknown:{p.name}:{r.client_order_id}", "unknown_order",
                 f"order outcome unknown on {r.ticker}: market blocked until reconciled",
                 {"ledger": p.name, "client_order_id": r.client_order_id, "ticker": r.ticker, "reason": r.reason})
    ks = KillSwitch.from_settings(settings)
    if ks.tripped:
        info = ks.info()
        once(f"kill:{info.get('tripped_at', '')}", "kill_switch", "kill switch is tripped", info)
    if sent:
        _remember(settings, set(sent))
    return {"alerted": sent, "channels": configured_channels(settings)}


def monitor(logical_date: datetime, params: dict | None = None, settings: Any = None) -> dict[str, Any]:
    """DAG task ``ops_monitor``: :func:`check_and_alert` as of ``logical_date``."""
    from kalshi_edge.config import get_settings

    return check_and_alert(settings or get_settings(), now=logical_date)
