"""Whether the store answers: which failures mean "the database is away, try again", and a
watch that, once a failure is seen, probes the database until it answers again (ADR 11)."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import psycopg
import structlog
from eventsourcing.persistence import ApplicationRecorder, InterfaceError, OperationalError

from ledger.application.storage import is_postgres

log = structlog.get_logger(__name__)

# a lost or refused connection, a pool that gave no connection in time, a statement or a
# lock that timed out, an SQLite file locked or gone: nothing is wrong with the request
UNAVAILABLE: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
    sqlite3.OperationalError,
)


def is_unavailable(error: BaseException) -> bool:
    return isinstance(error, UNAVAILABLE)


def probe_for(recorder: ApplicationRecorder, timeout: int) -> Callable[[], None]:
    """A check that the database answers, on a connection of its own (not the pool's, which
    may still be waiting out a reconnection)."""
    datastore: Any = getattr(recorder, "datastore")  # noqa: B009
    if is_postgres(recorder):
        conninfo = {
            k: v for k, v in dict(datastore.pool.kwargs).items() if k not in ("row_factory",)
        }

        def probe_postgres() -> None:
            with psycopg.connect(**{**conninfo, "connect_timeout": timeout}) as conn:
                conn.execute("SELECT 1")
            datastore.pool.check()  # drop the pool's broken connections now

        return probe_postgres
    path = str(datastore.pool.db_name)

    def probe_sqlite() -> None:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=timeout)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()

    return probe_sqlite


class DatabaseWatch:
    """The database's availability as the probe last found it. A failure seen elsewhere
    wakes the probe; while the database is away the probe runs every ``interval`` seconds,
    so its return is noticed within that time."""

    def __init__(
        self,
        probe: Callable[[], None],
        *,
        interval: float = 0.25,
        on_change: Callable[[bool], None] | None = None,
    ) -> None:
        self.probe = probe
        self.interval = interval
        self.on_change = on_change
        self.available = True
        self.changed_at = time.monotonic()
        self.last_error: str | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="database-watch", daemon=True)
        self._thread.start()

    def suspect(self) -> None:
        """A call failed as if the database were away: probe it now."""
        self._wake.set()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self.available:
                self._wake.wait()
                self._wake.clear()
                if self._stop.is_set():
                    return
            self._probe_once()
            if not self.available:
                self._stop.wait(self.interval)

    def _probe_once(self) -> None:
        try:
            self.probe()
        except Exception as error:
            self.last_error = f"{type(error).__name__}: {error}".strip()
            self._set(False)
        else:
            self._set(True)

    def _set(self, available: bool) -> None:
        if available == self.available:
            return
        now = time.monotonic()
        if available:
            log.warning("database_back", after_seconds=round(now - self.changed_at, 3))
        else:
            log.warning("database_unavailable", error=self.last_error)
        self.available, self.changed_at = available, now
        if self.on_change is not None:
            self.on_change(available)
