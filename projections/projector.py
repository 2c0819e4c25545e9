"""Follows the ledger's notification log and keeps the read models up to date.

Events are applied in log order, in batches. Each batch is written in one transaction
together with the position of its last event (exactly-once: a batch is applied
completely or not at all, and never twice). In-memory state is a cache of what the
tables hold at the tracked position; it is dropped whenever that might not be true, for
example after a failed batch or when another projector has moved the position on."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from eventsourcing.persistence import IntegrityError, Notification

from ledger.application.storage import Storage, is_postgres
from ledger.core.canonical import format_time
from ledger.domain.campaign import Campaign
from ledger.domain.indicators import IndicatorTree, build_tree
from ledger.domain.keyring import Keyring, key_from_json
from ledger.domain.results import final_totals
from ledger.domain.scorecard import Scorecard
from ledger.domain.unit import UnitRecord
from projections.decoding import LoggedEvent, decode, dumps
from projections.read_models.replaying import campaign_from_doc, replay_card
from projections.read_models.scorecard_view import summary
from projections.read_models.trace import trace_rows
from projections.store import Changes, PostgresViews, SQLiteViews, ViewStore
from projections.transparency_log.merkle_log import Frontier, leaf_hash_of

log = structlog.get_logger(__name__)


def open_views(storage: Storage) -> ViewStore:
    """The read-model store in the ledger's own database (tables created if missing)."""
    view_class = PostgresViews if storage.postgres else SQLiteViews
    views = storage.factory.tracking_recorder(view_class)
    assert isinstance(views, ViewStore)
    return views


@dataclass
class Cache:
    """The read models' state at ``position``, as far as the projector needs it."""

    position: int
    keyring: Keyring | None = None
    units: dict[str, dict[str, Any]] | None = None
    sets: dict[tuple[str, int], dict[str, Any]] | None = None
    campaigns: dict[str, dict[str, Any]] | None = None
    cards: dict[tuple[str, str], Scorecard] | None = None
    campaign_objects: dict[str, Campaign] = field(default_factory=dict)
    frontier: Frontier | None = None
    signers: dict[str, str] = field(default_factory=dict)


class Projector:
    def __init__(self, storage: Storage, views: ViewStore | None = None) -> None:
        self.storage = storage
        self.recorder = storage.recorder
        self.views = views or open_views(storage)
        self._cache: Cache | None = None
        self._trees: dict[tuple[str, int], IndicatorTree] = {}
        self._lock = threading.Lock()
        # the log position the read models were at after the last catch-up
        self.projected = 0

    # -- state, loaded lazily from the tables --------------------------------------------

    def _state(self) -> Cache:
        position = self.views.position()
        if self._cache is None or self._cache.position != position:
            self._cache = Cache(position)
        return self._cache

    def _keyring(self, cache: Cache) -> Keyring:
        if cache.keyring is None:
            keyring = Keyring()
            for row in self.views.rows("SELECT doc FROM {pv_keys}"):
                record = key_from_json(json.loads(row["doc"]))
                keyring.keys[record.key_id] = record
            cache.keyring = keyring
        return cache.keyring

    def _units(self, cache: Cache) -> dict[str, dict[str, Any]]:
        if cache.units is None:
            cache.units = {
                r["code"]: json.loads(r["doc"]) for r in self.views.rows("SELECT * FROM {pv_units}")
            }
        return cache.units

    def _sets(self, cache: Cache) -> dict[tuple[str, int], dict[str, Any]]:
        if cache.sets is None:
            cache.sets = {
                (r["code"], r["version"]): json.loads(r["doc"])
                for r in self.views.rows("SELECT * FROM {pv_sets}")
            }
        return cache.sets

    def _campaigns(self, cache: Cache) -> dict[str, dict[str, Any]]:
        if cache.campaigns is None:
            cache.campaigns = {
                r["code"]: json.loads(r["doc"])
                for r in self.views.rows("SELECT * FROM {pv_campaigns}")
            }
        return cache.campaigns

    def _card(self, cache: Cache, campaign: str, unit: str) -> Scorecard:
        if cache.cards is None:
            cache.cards = {}
        card = cache.cards.get((campaign, unit))
        if card is None:
            card = replay_card(
                self.views.rows(
                    "SELECT * FROM {pv_card_events} WHERE campaign = ? AND unit = ? "
                    "ORDER BY position",
                    (campaign, unit),
                )
            )
            cache.cards[(campaign, unit)] = card
        return card

    def tree(self, code: str, version: int, cache: Cache | None = None) -> IndicatorTree:
        tree = self._trees.get((code, version))
        if tree is None:
            doc = self._sets(cache or self._state())[(code, version)]
            tree = build_tree(doc["definition"])
            if doc["frozen_by"]:
                self._trees[(code, version)] = tree
        return tree

    # -- applying events -----------------------------------------------------------------

    def catch_up(
        self,
        batch_size: int = 500,
        limit: int | None = None,
        stop: threading.Event | None = None,
    ) -> int:
        """Apply every event recorded after the tracked position; the number applied. When
        ``stop`` is set it returns after the batch in progress (each batch is committed with
        its position, so a long catch-up stopped half-way resumes from there)."""
        applied = 0
        with self._lock:
            while (limit is None or applied < limit) and not (stop is not None and stop.is_set()):
                size = batch_size if limit is None else min(batch_size, limit - applied)
                cache = self._state()
                notifications = self.recorder.select_notifications(
                    cache.position, size, inclusive_of_start=False
                )
                if not notifications:
                    break
                try:
                    self._apply(cache, notifications)
                except IntegrityError:
                    # another projector applied these first: start again from its position
                    self._cache = None
                    continue
                except BaseException:
                    self._cache = None
                    raise
                applied += len(notifications)
            self.projected = self._cache.position if self._cache is not None else 0
        return applied

    def _apply(self, cache: Cache, notifications: Sequence[Notification]) -> None:
        changes = Changes()
        dirty: dict[tuple[str, str], int] = {}
        for notification in notifications:
            self._event(cache, decode(notification), changes, dirty)
        for (campaign, unit), position in dirty.items():
            self._write_card(cache, campaign, unit, position, changes)
        last = notifications[-1].id
        self.views.write(changes, last)
        cache.position = last

    def _event(
        self,
        cache: Cache,
        event: LoggedEvent,
        changes: Changes,
        dirty: dict[tuple[str, str], int],
    ) -> None:
        position, aggregate_type = event.position, event.aggregate_type
        event_type, body, at = event.event_type, event.body, event.recorded_at
        if cache.frontier is None:
            cache.frontier = Frontier.load(self.views)
        cache.frontier.append(position, leaf_hash_of(event), changes)
        changes.append(
            "pv_log",
            (
                position,
                aggregate_type,
                event.aggregate_id,
                event.version,
                event_type,
                event.event_hash,
                format_time(at),
            ),
        )
        if aggregate_type == "KeyRegistry":
            keyring = self._keyring(cache)
            cache.signers.clear()
            for key_id in keyring.apply(event_type, body, at):
                changes.upsert("pv_keys", (key_id, dumps(keyring.keys[key_id].as_json())))
        elif aggregate_type == "Unit":
            units = self._units(cache)
            before = units.get(body["code"])
            doc = UnitRecord.of(body).as_json()
            units[body["code"]] = doc
            changes.upsert("pv_units", (doc["code"], dumps(doc)))
            if before is not None and before["ranking_group"] != doc["ranking_group"]:
                changes.group_moves.append((doc["code"], doc["ranking_group"]))
        elif aggregate_type == "IndicatorSet":
            sets = self._sets(cache)
            key = (body["code"], body["version"])
            if event_type == "IndicatorSetFrozen":
                doc = {**sets[key], "frozen_by": [*sets[key]["frozen_by"], body["campaign"]]}
            else:
                doc = {"definition": body, "frozen_by": [], "defined_at": format_time(at)}
                self._trees.pop(key, None)
            sets[key] = doc
            changes.upsert("pv_sets", (key[0], key[1], dumps(doc)))
        elif aggregate_type == "Campaign":
            campaigns = self._campaigns(cache)
            if event_type == "ResultsPublished":
                doc = {**body, "event_id": f"{event.aggregate_id}/{event.version}"}
                changes.append(
                    "pv_publications",
                    (body["campaign"], body["sequence"], position, format_time(at), dumps(doc)),
                )
                return
            if event_type == "CampaignFinalised":
                code = body["campaign"]
                doc = {**campaigns[code], "finalised_at": format_time(at)}
            else:
                code = body["code"]
                doc = {**body, "created_at": format_time(at), "finalised_at": None}
            campaigns[code] = doc
            cache.campaign_objects.pop(code, None)
            changes.upsert("pv_campaigns", (code, doc["year"], dumps(doc)))
        elif aggregate_type == "Scorecard":
            self._scorecard_event(cache, event, changes)
            dirty[(body["campaign"], body["unit"])] = position

    def _scorecard_event(self, cache: Cache, event: LoggedEvent, changes: Changes) -> None:
        position, body, event_type, at = (
            event.position,
            event.body,
            event.event_type,
            event.recorded_at,
        )
        campaign, unit = body["campaign"], body["unit"]
        if event_type == "ScorecardOpened":
            card = replay_card([])
            if cache.cards is None:
                cache.cards = {}
            cache.cards[(campaign, unit)] = card
        else:
            card = self._card(cache, campaign, unit)
        command = event.command["command"]
        signer = self._keyring(cache).get(command["key_id"])
        rows = trace_rows(card, event_type, body, command, signer)
        card.when(event_type, body, at)
        recorded_at = format_time(at)
        changes.append(
            "pv_card_events", (position, campaign, unit, recorded_at, event_type, dumps(body))
        )
        signer_json = cache.signers.get(command["key_id"])
        if signer_json is None and rows:
            signer_json = cache.signers[command["key_id"]] = dumps(rows[0]["signer"])
        for seq, row in enumerate(rows):
            changes.append(
                "pv_trace",
                (
                    position,
                    seq,
                    campaign,
                    unit,
                    row["criterion"],
                    recorded_at,
                    event_type,
                    row["key_id"],
                    signer_json,
                    row["role"],
                    row["from"],
                    row["to"],
                    row["why"],
                    dumps(row["evidence"]),
                    event.event_hash,
                ),
            )

    def _write_card(
        self, cache: Cache, campaign_code: str, unit: str, position: int, changes: Changes
    ) -> None:
        card = self._card(cache, campaign_code, unit)
        tree = self.tree(card.indicator_set, card.indicator_set_version, cache)
        campaign = cache.campaign_objects.get(campaign_code)
        if campaign is None:
            doc = self._campaigns(cache).get(campaign_code)
            if doc is not None:
                campaign = cache.campaign_objects[campaign_code] = campaign_from_doc(doc)
        changes.upsert("pv_cards", (campaign_code, unit, position, dumps(summary(card, tree))))
        result = final_totals(card, tree, campaign)
        group = self._units(cache).get(unit, {}).get("ranking_group", card.unit_kind)
        changes.upsert(
            "pv_totals",
            (
                campaign_code,
                unit,
                group,
                card.unit_kind,
                str(result.total),
                str(result.max_total),
                str(result.index),
            ),
        )

    # -- whole-log operations --------------------------------------------------------

    def rebuild(self, batch_size: int = 2000) -> int:
        """Drop every read model and build it again from the first event."""
        with self._lock:
            self.views.reset()
            self._cache = None
            self._trees.clear()
        return self.catch_up(batch_size=batch_size)

    def lag(self) -> int:
        """How many log positions the read models are behind the log."""
        return max(0, (self.recorder.max_notification_id() or 0) - self.views.position())

    def follow(self, stop: threading.Event, batch_size: int = 500, poll: float = 0.5) -> None:
        """Keep up with the log until ``stop`` is set: by subscription on PostgreSQL, by
        polling on SQLite; it returns within a batch of ``stop`` being set. A failure is
        raised to the caller (projections.supervisor runs this again), and nothing of a
        batch it interrupted is kept. Run it in a daemon thread (``Supervisor.start``): the
        library's subscription threads are created like the calling thread, and a
        non-daemon one left behind keeps the process from exiting."""
        if not is_postgres(self.recorder):
            while not stop.is_set():
                self.catch_up(batch_size, stop=stop)
                stop.wait(poll)
            return
        while not stop.is_set():
            self.catch_up(batch_size, stop=stop)
            if stop.is_set():
                return
            with self.recorder.subscribe(gt=self.views.position()) as subscription:
                ended = threading.Event()

                def wake(subscription: Any = subscription, ended: threading.Event = ended) -> None:
                    while not ended.wait(0.2):
                        if stop.is_set():
                            subscription.stop()
                            return

                threading.Thread(target=wake, name="projector-waker", daemon=True).start()
                try:
                    for notification in subscription:
                        if notification.id > self.projected:
                            self.catch_up(batch_size, stop=stop)
                        if stop.is_set():
                            break
                finally:
                    ended.set()
