"""Aggregates as the log stood at a position, kept between commands.

A command reads each aggregate it needs once. The cache is valid while the log has moved
only by this process's own saves, which put their aggregates back. When another writer has
recorded something since, the aggregates it changed are evicted (one read of the log's new
notifications), so a command never acts on an aggregate older than the log it saw."""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import Any
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, Recording

MAX_NEW_NOTIFICATIONS = 1000


class AggregateCache:
    def __init__(self, recorder: ApplicationRecorder, maxsize: int = 5000) -> None:
        self.recorder = recorder
        self.maxsize = maxsize
        self.position = -1
        self._items: OrderedDict[UUID, Any] = OrderedDict()
        self._lock = threading.Lock()

    def refresh(self) -> None:
        """Bring the cache up to the log's latest position, evicting what others changed."""
        latest = self.recorder.max_notification_id() or 0
        with self._lock:
            since = self.position
        if latest == since:
            return
        if since < 0 or latest < since or latest - since > MAX_NEW_NOTIFICATIONS:
            changed: set[UUID] | None = None
        else:
            changed = {
                UUID(str(n.originator_id))
                for n in self.recorder.select_notifications(
                    since, latest - since, stop=latest, inclusive_of_start=False
                )
            }
        with self._lock:
            if self.position != since:
                return  # someone else refreshed meanwhile
            if changed is None:
                self._items.clear()
            else:
                for aggregate_id in changed:
                    self._items.pop(aggregate_id, None)
            self.position = latest

    def get(self, aggregate_id: UUID, load: Callable[[UUID], Any]) -> Any:
        """The aggregate, shared: callers must not change it."""
        with self._lock:
            found = self._items.get(aggregate_id)
            if found is not None:
                self._items.move_to_end(aggregate_id)
                return found
        loaded = load(aggregate_id)
        if loaded is not None:
            self._put(aggregate_id, loaded)
        return loaded

    def for_change(self, aggregate_id: UUID, load: Callable[[UUID], Any]) -> Any:
        """A copy of the aggregate that the caller may change and save."""
        found = self.get(aggregate_id, load)
        return None if found is None else copy.deepcopy(found)

    def saved(self, recordings: Sequence[Recording[UUID]], aggregates: Sequence[Any]) -> None:
        """Keep what this process just saved; move the position on if nothing else was
        recorded in between."""
        positions = sorted(r.notification.id for r in recordings)
        with self._lock:
            for aggregate in aggregates:
                self._put_locked(aggregate.id, aggregate)
            if positions and positions[0] == self.position + 1:
                contiguous = all(b == a + 1 for a, b in pairwise(positions))
                if contiguous:
                    self.position = positions[-1]

    def evict(self, aggregate_id: UUID) -> None:
        with self._lock:
            self._items.pop(aggregate_id, None)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.position = -1

    def _put(self, aggregate_id: UUID, aggregate: Any) -> None:
        with self._lock:
            self._put_locked(aggregate_id, aggregate)

    def _put_locked(self, aggregate_id: UUID, aggregate: Any) -> None:
        held = self._items.get(aggregate_id)
        if held is not None and held.version > aggregate.version:
            return  # a load that raced a save of this process: keep the newer
        self._items[aggregate_id] = aggregate
        self._items.move_to_end(aggregate_id)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)
