"""Logs (structlog, JSON) and Prometheus metrics for the service."""

from __future__ import annotations

import logging
import sys
import time
import uuid

import structlog
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = structlog.get_logger("parledger.api")


def configure_logging(json: bool) -> None:
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            renderer,
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=False,
    )


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "parledger_http_requests_total",
            "HTTP requests",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "parledger_http_request_seconds",
            "HTTP request latency",
            ["method", "route"],
            registry=self.registry,
        )
        self.commands = Counter(
            "parledger_commands_total",
            "Signed commands by type and outcome",
            ["type", "outcome"],
            registry=self.registry,
        )
        self.lag = Gauge(
            "parledger_projection_lag",
            "Log positions the read models are behind",
            registry=self.registry,
        )
        self.lag_events = Gauge(
            "parledger_projection_lag_events",
            "Events recorded in the log that the read models have not applied yet",
            registry=self.registry,
        )
        self.stalled = Gauge(
            "parledger_projection_stalled_seconds",
            "How long the read models have stood still while the log was ahead of them",
            registry=self.registry,
        )
        self.worker_running = Gauge(
            "parledger_worker_running",
            "1 while a background worker (projector, checkpoints) runs, 0 while it waits to "
            "restart after a failure",
            ["worker"],
            registry=self.registry,
        )
        self.worker_restarts = Counter(
            "parledger_worker_restarts_total",
            "Restarts of a background worker after a failure",
            ["worker"],
            registry=self.registry,
        )
        self.worker_last_error = Gauge(
            "parledger_worker_last_error_timestamp_seconds",
            "When a background worker last failed (Unix time)",
            ["worker"],
            registry=self.registry,
        )
        self.database_up = Gauge(
            "parledger_database_available",
            "1 while the database answers, 0 while it is away (requests answer 503)",
            registry=self.registry,
        )
        self.database_up.set(1)


class RequestLog:
    """Logs and metrics of every answer, the outage gate's included, and its request id
    (the client's ``x-request-id``, or a new one) in the answer's headers. A plain ASGI
    middleware: the request and its answer pass through without another task or stream."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = Headers(scope=scope).get("x-request-id") or uuid.uuid4().hex
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        method = scope["method"]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                elapsed = time.perf_counter() - started
                status = message["status"]
                route = getattr(scope.get("route"), "path", "unmatched")
                self.metrics.requests.labels(method, route, str(status)).inc()
                self.metrics.latency.labels(method, route).observe(elapsed)
                MutableHeaders(scope=message)["x-request-id"] = request_id
                log.info(
                    "request",
                    method=method,
                    route=route,
                    status=status,
                    ms=round(elapsed * 1000, 2),
                )
            await send(message)

        await self.app(scope, receive, sending)
