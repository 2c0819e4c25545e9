"""Aggregates as the log stood at a position, kept between commands.

A command reads each aggregate it needs once, and not at all while the cache holds it and
the log has not recorded a newer version of it. Before each command the cache reads the
log's entries after the position it has seen (one read: positions, aggregates and versions,
without the events) and drops every aggregate held at an older version than the log shows:
so a command never acts on an aggregate older than the log it saw, whether the newer
version was recorded by another thread, another process or by itself. A command takes the
aggregate it changes out of the cache (no copy) and puts it back as it saved it, where it
stays valid when the cache reads the entries of that save."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder

from ledger.application.storage import changes_after

MAX_NEW_NOTIFICATIONS = 1000


class AggregateCache:
    def __init__(self, recorder: ApplicationRecorder, maxsize: int = 5000) -> None:
        self.recorder = recorder
        self.maxsize = maxsize
        self.position = -1
        self._items: OrderedDict[UUID, Any] = OrderedDict()
        # the newest version of each aggregate the log has shown since the cache was
        # emptied: nothing older is put in (a load that raced a newer event)
        self._logged: dict[UUID, int] = {}
        self._generation = 0
        self._lock = threading.Lock()
        self.loads = 0  # how many times an aggregate was read from the store

    def refresh(self) -> None:
        """Bring the cache up to the log's latest position, dropping what is older."""
        with self._lock:
            since = self.position
        if since < 0:
            entries = None
        else:
            entries = changes_after(self.recorder, since, MAX_NEW_NOTIFICATIONS + 1)
            if not entries:
                return
        with self._lock:
            if entries is None or len(entries) > MAX_NEW_NOTIFICATIONS:
                if self.position == since:  # else another thread has read the log since
                    self._clear_locked()
                    self.position = self.recorder.max_notification_id() or 0
                return
            # entries another thread has applied meanwhile change nothing when applied again
            for _, aggregate_id, version in entries:
                if version > self._logged.get(aggregate_id, -1):
                    self._logged[aggregate_id] = version
                held = self._items.get(aggregate_id)
                if held is not None and held.version < version:
                    del self._items[aggregate_id]
            self.position = max(self.position, entries[-1][0])
            if len(self._logged) > 20 * self.maxsize:
                position = self.position
                self._clear_locked()
                self.position = position

    def get(self, aggregate_id: UUID, load: Callable[[UUID], Any]) -> Any:
        """The aggregate, shared: callers must not change it."""
        with self._lock:
            found = self._items.get(aggregate_id)
            if found is not None:
                self._items.move_to_end(aggregate_id)
                return found
            generation = self._generation
            self.loads += 1
        loaded = load(aggregate_id)
        if loaded is not None:
            with self._lock:
                if generation == self._generation:
                    self._put_locked(aggregate_id, loaded)
        return loaded

    @property
    def generation(self) -> int:
        """Changes whenever the cache is emptied: what was read before may not be put back."""
        with self._lock:
            return self._generation

    def take(self, aggregate_id: UUID, load: Callable[[UUID], Any]) -> Any:
        """The aggregate for the caller alone to change and save: taken out of the cache
        (so no copy is made and no reader sees it half changed) until :meth:`keep` puts it
        back. One that a refused command changed is never put back: the next command reads
        the aggregate again."""
        with self._lock:
            found = self._items.pop(aggregate_id, None)
            if found is not None:
                return found
            self.loads += 1
        return load(aggregate_id)

    def keep(self, aggregates: Sequence[Any], generation: int) -> None:
        """Put back aggregates as this process saved them (or took them and left them
        unchanged), unless the cache was emptied since ``generation`` or the log has shown
        a newer version of one meanwhile."""
        with self._lock:
            if generation != self._generation:
                return
            for aggregate in aggregates:
                self._put_locked(aggregate.id, aggregate)

    def evict(self, aggregate_id: UUID) -> None:
        with self._lock:
            self._items.pop(aggregate_id, None)

    def clear(self) -> None:
        with self._lock:
            self._clear_locked()
            self.position = -1

    def _clear_locked(self) -> None:
        self._items.clear()
        self._logged.clear()
        self._generation += 1

    def _put_locked(self, aggregate_id: UUID, aggregate: Any) -> None:
        held = self._items.get(aggregate_id)
        if held is not None and held.version > aggregate.version:
            return  # a load that raced a save of this process: keep the newer
        if aggregate.version < self._logged.get(aggregate_id, -1):
            return  # the log has shown a newer version since this one was read
        self._items[aggregate_id] = aggregate
        self._items.move_to_end(aggregate_id)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)
