"""The dashboard's FastAPI app, mounted by the Airflow plugin at ``/kalshi-edge`` on the API server.

Routes (all behind Airflow's login: the same JWT, from the ``Authorization: Bearer`` header or the
UI's ``_token`` cookie, that Airflow's own API routes accept, validated by the configured auth
manager, which must also grant the ``WEBSITE`` view):

* ``GET /kalshi-edge/`` — the page (HTML; without a valid login it redirects to Airflow's login);
* ``GET /kalshi-edge/api/summary`` — the JSON, one object per family (``?ledger=<file>`` picks
  another ledger under ``data/ledger/``);
* ``GET /kalshi-edge/api/equity/{family}.png`` — the equity curve, rendered server-side;
* ``GET /kalshi-edge/icon.svg`` — the navigation icon (public).

This and the plugin file are the only dashboard code that imports Airflow, lazily, inside the
auth dependency: :func:`create_app` with ``authenticate=`` swapped runs without an API server.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from kalshi_edge.trading.strategy import FAMILIES

URL_PREFIX = "/kalshi-edge"
ICON_SVG = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="currentColor" '
            'stroke-width="2"><polyline points="3 17 9 11 13 15 21 7"/><polyline points="15 7 21 7 21 13"/></svg>')


async def airflow_user(request: Request) -> Any:
    """The logged-in Airflow user, validated exactly as Airflow's API does; 401/403 otherwise."""
    from airflow.api_fastapi.app import get_auth_manager
    from airflow.api_fastapi.auth.managers.base_auth_manager import COOKIE_NAME_JWT_TOKEN
    from airflow.api_fastapi.auth.managers.models.resource_details import AccessView
    from airflow.api_fastapi.core_api import security

    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = await security.resolve_user_from_token(header[7:].strip())
    else:
        user = getattr(request.state, "user", None)
        marker = getattr(security, "USER_INJECTED_BY_TRUSTED_MIDDLEWARE", object())
        if not (user and getattr(request.state, "user_authenticated_via", None) is marker):
            user = await security.resolve_user_from_token(request.cookies.get(COOKIE_NAME_JWT_TOKEN))
    if not get_auth_manager().is_authorized_view(access_view=AccessView.WEBSITE, user=user):
        raise HTTPException(status_code=403, detail="Forbidden")
    return user


def _login_url(next_path: str) -> str:
    try:
        from airflow.api_fastapi.app import get_auth_manager

        return get_auth_manager().get_url_login(next_url=next_path)
    except Exception:  # noqa: BLE001 - no auth manager (tests): Airflow's default login route
        return f"/auth/login?next={next_path}"


def _settings() -> Any:
    from kalshi_edge.config import get_settings

    return get_settings()


def _ledger(settings: Any, name: str | None) -> Path | None:
    if not name:
        return None
    path = Path(settings.data_dir) / "ledger" / name
    if "/" in name or "\\" in name or not name.endswith(".jsonl") or not path.exists():
        raise HTTPException(status_code=404, detail=f"no ledger {name!r} under data/ledger/")
    return path


def create_app(*, authenticate: Callable[[Request], Awaitable[Any]] = airflow_user,
               settings: Callable[[], Any] = _settings) -> FastAPI:
    """The dashboard app. ``authenticate`` resolves the user (raises HTTPException when none)."""
    from kalshi_edge.dashboard.summary import build_summary

    app = FastAPI(title="kalshi-edge dashboard", docs_url=None, redoc_url=None, openapi_url=None)
    page = resources.files("kalshi_edge.dashboard").joinpath("dashboard.html").read_text()

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    async def index(request: Request) -> Response:
        try:
            await authenticate(request)
        except HTTPException:
            return RedirectResponse(_login_url(f"{URL_PREFIX}/"), status_code=303)
        return HTMLResponse(page, headers={"Cache-Control": "no-store"})

    @app.get("/icon.svg", include_in_schema=False)
    async def icon() -> Response:  # the navigation icon (public: the UI loads it before any page)
        return Response(ICON_SVG, media_type="image/svg+xml")

    @app.get("/api/summary")
    async def summary(ledger: str | None = None, _user: Any = Depends(authenticate)) -> JSONResponse:
        s = settings()
        data = await run_in_threadpool(build_summary, s, ledger_path=_ledger(s, ledger))
        return JSONResponse(data, headers={"Cache-Control": "no-store"})

    @app.get("/api/equity/{family}.png")
    async def equity(family: str, ledger: str | None = None, _user: Any = Depends(authenticate)) -> Response:
        from kalshi_edge.dashboard.plots import equity_png

        if family not in FAMILIES:
            raise HTTPException(status_code=404, detail=f"unknown family {family!r}")
        s = settings()
        data = await run_in_threadpool(build_summary, s, ledger_path=_ledger(s, ledger), families=[family],
                                       with_readiness=False)
        fam = data["families"][family]
        png = await run_in_threadpool(equity_png, fam["equity_curve"], family=family,
                                      unrealized=fam["pnl"]["unrealized"] if fam["positions"] else None)
        return Response(png, media_type="image/png", headers={"Cache-Control": "no-store"})

    return app
