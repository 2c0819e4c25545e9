"""The HTTP service: every act and every view over /v1.

Writes are signed command envelopes (docs/FORMATS.md §3) sent to one route,
``POST /v1/commands``; the signature is the authentication. Reads need a short-lived
bearer token that a person gets by signing a server challenge with their enrolled key,
except the transparency log, the published results, their annex and bundles, and the
ranking of a finalised campaign, which are public. Errors are RFC 9457 problems."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import psycopg
from eventsourcing.persistence import PersistenceError
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException

from api.http import failures, problems
from api.http.command_schema import describe_commands
from api.http.observability import Metrics, RequestLog, configure_logging
from api.http.routes import (
    auth,
    commands,
    documents,
    evidence,
    log,
    operations,
    publications,
    reads,
    surveys,
)
from api.http.service import Service
from api.web.install import install_web
from ledger.application.settings import Settings
from ledger.core.clock import Clock
from ledger.core.errors import LedgerError


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, follow: bool = False
) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_json)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service(settings, metrics, clock, follow=follow)
        app.state.service = service
        if follow:
            service.follow()
        service.checkpoint_regularly()
        service.tick_regularly()
        yield
        service.close()

    app = FastAPI(
        title="parledger",
        version="1",
        description=(
            "A signed, verifiable ledger of PAR INDEX scoring. Writes are signed command "
            "envelopes to POST /v1/commands; reads need a bearer token from "
            "POST /v1/auth/challenge and POST /v1/auth/token. Errors are RFC 9457 problems."
        ),
        lifespan=lifespan,
    )
    app.add_exception_handler(LedgerError, problems.ledger_error)
    app.add_exception_handler(RequestValidationError, problems.request_validation_error)
    app.add_exception_handler(HTTPException, problems.http_error)
    for store_error in (PersistenceError, psycopg.Error, sqlite3.Error):
        app.add_exception_handler(store_error, failures.database_error)
    app.add_exception_handler(Exception, problems.unexpected_error)
    # innermost first: nothing escapes to the server; then the outage gate; then logs and
    # metrics of every answer, the gate's included
    app.add_middleware(failures.CatchAll)
    app.add_middleware(failures.OutageGate)
    app.add_middleware(RequestLog, metrics=metrics)
    for module in (
        operations,
        commands,
        evidence,
        auth,
        log,
        publications,
        reads,
        documents,
        surveys,
    ):
        app.include_router(module.router)
    generated = app.openapi

    def openapi() -> dict[str, Any]:
        return describe_commands(generated())

    app.openapi = openapi  # type: ignore[method-assign]
    install_web(app)
    return app
