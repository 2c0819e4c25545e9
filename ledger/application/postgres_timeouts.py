"""PostgreSQL that fails fast and recovers fast (ADR 11).

The library's defaults suit a database that is always there: a caller waits up to 30 s for a
pooled connection, each read and write is tried ten times, and a lost connection is
re-established with a back-off that grows to minutes. During an outage every request then
hangs for tens of seconds, and after it the pool may take many seconds more to notice the
database is back. Here, as ``persistence_env`` configures it:

* a new connection gives up after ``POSTGRES_CONNECT_TIMEOUT_SECONDS`` (libpq
  ``connect_timeout``), a statement after ``POSTGRES_STATEMENT_TIMEOUT_SECONDS``, and a dead
  peer is noticed by TCP keep-alives;
* a caller waits at most ``POSTGRES_WAIT_SECONDS`` for a pooled connection, and retries a
  read or write that lost its connection only while that much time has not passed since it
  began (a broken pooled connection is replaced without the caller seeing it);
* the pool stops re-connecting in the background after the same time, so that the next
  caller starts a fresh attempt at once instead of waiting out a long back-off;
* a failed call wakes a probe (``ledger.application.availability``), and while the probe
  finds the database away every call fails at once."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from eventsourcing.persistence import InterfaceError, OperationalError
from eventsourcing.postgres import (
    PostgresAggregateRecorder,
    PostgresApplicationRecorder,
    PostgresFactory,
    PostgresTrackingRecorder,
)
from eventsourcing.utils import Environment, EnvType

from ledger.application.postgres_insert import OneStatementInsert

F = TypeVar("F", bound=Callable[..., Any])
RETRY_PAUSE = 0.05
APPLICATION = "parledger"  # as pg_stat_activity names the ledger's connections
WAIT = "POSTGRES_WAIT_SECONDS"
CONNECT_TIMEOUT = "POSTGRES_CONNECT_TIMEOUT_SECONDS"
STATEMENT_TIMEOUT = "POSTGRES_STATEMENT_TIMEOUT_SECONDS"
KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 10,
    "keepalives_interval": 5,
    "keepalives_count": 3,
}


class Outage:
    """Whether a probe found the database away. While it is, a call fails at once instead of
    waiting for a connection: a request already admitted (or queued behind another, such as
    on the library's per-aggregate lock) then answers within the wait, not a multiple of it."""

    AWAY_WAIT = 0.01

    def __init__(self, pool: Any, wait: float) -> None:
        self.pool = pool
        self.wait = wait
        self.away = False
        # told of every failed call at once (a probe, so that it finds out soon)
        self.on_failure: Callable[[], None] | None = None

    def set(self, away: bool) -> None:
        self.away = away
        self.pool.timeout = self.AWAY_WAIT if away else self.wait

    def check(self) -> None:
        if self.away:
            raise OperationalError("the database is away (a probe found it so)")

    def failed(self) -> None:
        if self.on_failure is not None:
            self.on_failure()


def within_budget(method: F) -> F:
    """The library's ``method`` without its ten attempts: tried again after a lost connection
    only while the recorder's ``retry_budget`` seconds have not passed since the first try,
    and not at all while the database is known to be away."""
    inner = cast(Callable[..., Any], getattr(method, "__wrapped__", method))

    @functools.wraps(inner)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        deadline = time.monotonic() + self.retry_budget
        while True:
            self.outage.check()
            try:
                return inner(self, *args, **kwargs)
            except (InterfaceError, OperationalError):
                self.outage.failed()
                if time.monotonic() + RETRY_PAUSE >= deadline:
                    raise
                time.sleep(RETRY_PAUSE)

    return cast(F, call)


class FailFastApplicationRecorder(OneStatementInsert):
    retry_budget = 3.0
    outage = Outage(None, 3.0)  # replaced by the factory's
    insert_events = within_budget(OneStatementInsert.insert_events)
    entries_after = within_budget(OneStatementInsert.entries_after)
    select_notifications = within_budget(PostgresApplicationRecorder.select_notifications)
    max_notification_id = within_budget(PostgresApplicationRecorder.max_notification_id)
    select_events = within_budget(PostgresAggregateRecorder.select_events)


class FailFastTracking(PostgresTrackingRecorder):
    """A tracking recorder whose reads and writes keep within the same budget."""

    retry_budget = 3.0
    outage = Outage(None, 3.0)  # replaced by the factory's
    insert_tracking = within_budget(PostgresTrackingRecorder.insert_tracking)
    max_tracking_id = within_budget(PostgresTrackingRecorder.max_tracking_id)
    has_tracking_id = within_budget(PostgresTrackingRecorder.has_tracking_id)


class FailFastPostgresFactory(PostgresFactory):
    application_recorder_class = FailFastApplicationRecorder

    def __init__(self, env: Environment | EnvType | None):
        super().__init__(env)
        self.wait = float(self.env.get(WAIT) or 3)
        statement_ms = int(float(self.env.get(STATEMENT_TIMEOUT) or 30) * 1000)
        pool = self.datastore.pool
        pool.timeout = self.wait
        self.outage = Outage(pool, self.wait)
        pool.reconnect_timeout = max(1.0, self.wait)
        kwargs = cast(dict[str, Any], pool.kwargs)
        kwargs.update(
            application_name=APPLICATION,
            connect_timeout=int(self.env.get(CONNECT_TIMEOUT) or 2),
            options=f"-c statement_timeout={statement_ms}",
            **KEEPALIVES,
        )

    def application_recorder(self) -> PostgresApplicationRecorder:
        recorder = super().application_recorder()
        cast(Any, recorder).retry_budget = self.wait
        cast(Any, recorder).outage = self.outage
        return cast(PostgresApplicationRecorder, recorder)

    def tracking_recorder(self, tracking_recorder_class: Any = None) -> Any:
        recorder = super().tracking_recorder(tracking_recorder_class)
        recorder.retry_budget = self.wait
        recorder.outage = self.outage
        return recorder

    def conninfo(self) -> dict[str, Any]:
        """How to open a connection of one's own to the same database (a probe, a dump)."""
        return dict(cast(dict[str, Any], self.datastore.pool.kwargs))
