"""How failures are answered (ADR 11): while the database is away, 503 with Retry-After,
at once; anything unexpected, a 500 problem without a traceback. Neither ever escapes to
the server, so the client's keep-alive connection stays usable for its next request."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import Request
from fastapi.responses import JSONResponse
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.http import problems
from ledger.application.availability import is_unavailable

log = structlog.get_logger("parledger.api")

DEFAULT_RETRY_AFTER = 2
# what answers while the database is away: the process's liveness, its metrics, its
# readiness (which says why it is not ready) and the API's description
NEEDS_NO_DATABASE = frozenset(
    {"/healthz", "/readyz", "/metrics", "/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}
)


def _service(scope: Scope) -> Any:
    app = scope.get("app")
    return getattr(getattr(app, "state", None), "service", None)


def _retry_after(service: Any) -> int:
    return int(getattr(getattr(service, "settings", None), "retry_after_seconds", 0)) or (
        DEFAULT_RETRY_AFTER
    )


def unavailable(service: Any, instance: str | None = None) -> JSONResponse:
    return problems.problem(
        503,
        "database_unavailable",
        "the database does not answer; try again after Retry-After seconds. A command sent "
        "now may or may not have been recorded: send the same envelope again, it is "
        "recorded once and answers with its receipt",
        instance=instance,
        headers={"Retry-After": str(_retry_after(service))},
    )


async def database_error(request: Request, error: Exception) -> JSONResponse:
    """The store's exceptions: 503 when the database is away (and the watch told to look),
    a 500 for anything else."""
    service = _service(request.scope)
    if is_unavailable(error):
        log.warning("database_error", error=f"{type(error).__name__}: {error}".strip())
        if service is not None:
            service.health.database.suspect()
        return unavailable(service, request.url.path)
    log.error("internal_error", exc_info=error)
    return problems.internal_error(request.url.path)


class CatchAll:
    """The innermost safety net: an exception no handler took becomes a problem response
    (if nothing was sent yet) instead of reaching the server, which would drop the
    connection. A client that went away mid-request is noted, not treated as an error."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def sending(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except ClientDisconnect:
            log.info("client_disconnected", path=scope.get("path"))
        except Exception as error:
            service = _service(scope)
            if is_unavailable(error):
                log.warning("database_error", error=f"{type(error).__name__}: {error}".strip())
                if service is not None:
                    service.health.database.suspect()
                response = unavailable(service, scope.get("path"))
            else:
                log.error("internal_error", path=scope.get("path"), exc_info=error)
                response = problems.internal_error(scope.get("path"))
            if not started:
                await response(scope, receive, send)


class OutageGate:
    """While the database is away, every request that needs it answers 503 at once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") not in NEEDS_NO_DATABASE:
            service = _service(scope)
            if service is not None and not service.health.database.available:
                await unavailable(service, scope.get("path"))(scope, receive, send)
                return
        await self.app(scope, receive, send)
