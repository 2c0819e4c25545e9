"""Background work that never stops silently (ADR 11).

A worker is a loop that runs until it is told to stop: the projector following the log,
the checkpoint signer. Whatever fails inside it (a lost connection, a database restart, a
bug on one event) is logged; after a pause that doubles up to a bound the worker runs
again, and it resumes from what the store has recorded (the projector from its tracked
position). A worker that returns without being told to stop is a failure too."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType

import structlog

from ledger.application.availability import is_unavailable

log = structlog.get_logger(__name__)

Work = Callable[[threading.Event], None]
FIRST_PAUSE = 0.1
# a worker that ran this long before failing starts its back-off again from the first pause
HEALTHY_RUN = 30.0
# how long a process told to stop waits for its worker to finish the batch in progress
STOP_GRACE = 2.0


class Supervisor:
    def __init__(
        self,
        name: str,
        work: Work,
        stop: threading.Event,
        *,
        max_pause: float = 2.0,
        on_failure: Callable[[Supervisor, BaseException], None] | None = None,
    ) -> None:
        self.name = name
        self.work = work
        self.stop = stop
        self.max_pause = max_pause
        self.on_failure = on_failure
        self.running = False
        self.restarts = 0
        self.last_error: str | None = None
        self.last_error_at: float | None = None  # seconds since the epoch
        self._thread: threading.Thread | None = None

    def start(self) -> Supervisor:
        self._thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self._thread.start()
        return self

    def join(self, timeout: float | None = None) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        """Do the work until told to stop, again after every failure (in this thread)."""
        pause = FIRST_PAUSE
        while not self.stop.is_set():
            began = time.monotonic()
            failure = self._attempt()
            if failure is None:
                return
            if time.monotonic() - began >= HEALTHY_RUN:
                pause = FIRST_PAUSE
            self._failed(failure, pause)
            if self.stop.wait(pause):
                return
            pause = min(pause * 2, self.max_pause)

    def _attempt(self) -> BaseException | None:
        """Run the work once: the failure, or None when it stopped because it was told to."""
        self.running = True
        try:
            self.work(self.stop)
        except Exception as error:
            return error
        finally:
            self.running = False
        if self.stop.is_set():
            return None
        return RuntimeError(f"the {self.name} worker returned without being told to stop")

    def _failed(self, failure: BaseException, pause: float) -> None:
        self.restarts += 1
        self.last_error = f"{type(failure).__name__}: {failure}".strip()
        self.last_error_at = time.time()
        # the database being away is expected news, told in one line; anything else is a
        # bug to look into, told with its traceback
        log.error(
            "worker_failed",
            worker=self.name,
            error=self.last_error,
            restarts=self.restarts,
            restart_in_seconds=pause,
            exc_info=None if is_unavailable(failure) else failure,
        )
        if self.on_failure is not None:
            self.on_failure(self, failure)


def until_signalled(
    work: Callable[[], None], stop: threading.Event, grace: float = STOP_GRACE
) -> bool:
    """Run ``work`` in a daemon thread until it returns or SIGINT or SIGTERM comes; then set
    ``stop`` and wait at most ``grace`` seconds for it to return: whether it did (a failure
    in it is raised here). A second signal ends the process at once.

    The signals only set the flag. Python's own SIGINT raises KeyboardInterrupt wherever
    the main thread happens to be, which can leave the work half-built: a subscription
    interrupted while starting its threads leaves them waiting for ever, and the process
    never exits. Threads the work starts are daemons like it, so none of them can keep the
    process alive; a batch still running after the grace is dropped with the process (its
    transaction is rolled back and the next start resumes from the recorded position)."""
    failure: list[BaseException] = []

    def target() -> None:
        try:
            work()
        except BaseException as error:
            failure.append(error)

    def on_signal(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            os._exit(128 + signum)
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        thread = threading.Thread(target=target, name="worker", daemon=True)
        thread.start()
        # polled, not waited on: the handler sets the event, and must not find its lock
        # held by the thread it interrupted
        while thread.is_alive() and not stop.is_set():
            time.sleep(0.05)
        thread.join(grace)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if failure:
        raise failure[0]
    return not thread.is_alive()
