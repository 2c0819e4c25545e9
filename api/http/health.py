"""What the service tells about its own health (ADR 11): whether the database answers, whether
its background workers run, and whether the read models keep up with the log. /readyz
answers from it, /metrics shows it, and requests are refused at once while the database is
away."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from api.http.observability import Metrics
from ledger.application.availability import DatabaseWatch, probe_for
from ledger.application.service import Ledger
from ledger.application.settings import Settings
from ledger.application.storage import events_after
from projections.progress import Progress
from projections.projector import Projector
from projections.supervisor import Supervisor, Work


@dataclass
class Readiness:
    ready: bool
    reasons: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)


class ServiceHealth:
    def __init__(
        self,
        settings: Settings,
        ledger: Ledger,
        projector: Projector,
        metrics: Metrics,
        stop: threading.Event,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        self.projector = projector
        self.metrics = metrics
        self.stop = stop
        self.workers: dict[str, Supervisor] = {}
        self.progress = Progress()
        outage = getattr(ledger.factory, "outage", None)  # PostgreSQL's (ADR 11)

        def changed(up: bool) -> None:
            metrics.database_up.set(1 if up else 0)
            if outage is not None:
                outage.set(not up)

        self.database = DatabaseWatch(
            probe_for(ledger.recorder, settings.db_connect_timeout_seconds), on_change=changed
        )
        if outage is not None:
            outage.on_failure = self.database.suspect
        self.database.start()

    def supervise(self, name: str, work: Work) -> Supervisor:
        """Run ``work`` in the background under a supervisor: restarted after any failure."""

        def failed(worker: Supervisor, error: BaseException) -> None:
            self.metrics.worker_restarts.labels(name).inc()
            self.metrics.worker_last_error.labels(name).set(worker.last_error_at or 0)

        self.metrics.worker_restarts.labels(name)
        worker = Supervisor(
            name,
            work,
            self.stop,
            max_pause=self.settings.restart_backoff_max_seconds,
            on_failure=failed,
        )
        self.workers[name] = worker
        return worker.start()

    def readiness(self) -> Readiness:
        """Ready when the database answers, the projector (if it runs in the background) is
        running, and the read models are neither too far behind nor standing still while
        the log grows."""
        for name, worker in self.workers.items():
            self.metrics.worker_running.labels(name).set(1 if worker.running else 0)
        if not self.database.available:
            return Readiness(False, [f"the database does not answer ({self.database.last_error})"])
        try:
            head = self.ledger.recorder.max_notification_id() or 0
            projected = self.projector.views.position()
            behind = events_after(self.ledger.recorder, projected) if head > projected else 0
        except Exception as error:
            self.database.suspect()
            return Readiness(False, [f"the database does not answer ({error})"])
        stalled = self.progress.stalled_for(projected, head)
        self.metrics.lag.set(head - projected)
        self.metrics.lag_events.set(behind)
        self.metrics.stalled.set(stalled)
        detail = {"projection_lag": behind, "position": head, "projected_position": projected}
        reasons = []
        projector = self.workers.get("projector")
        if projector is not None and not projector.running:
            reasons.append(
                f"the projector is not running (restarted {projector.restarts} times; last "
                f"error: {projector.last_error})"
            )
        if stalled >= self.settings.ready_stall_seconds:
            reasons.append(
                f"the read models have stood at position {projected} for {stalled:.0f} s "
                f"while the log is at {head}"
            )
        if behind > self.settings.ready_max_lag:
            reasons.append(f"the read models are {behind} events behind the log")
        return Readiness(not reasons, reasons, detail)

    def close(self) -> None:
        self.stop.set()
        for worker in self.workers.values():
            worker.join(timeout=10)
        self.database.close()
