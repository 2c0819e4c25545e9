"""Read models built little by little equal read models built in one go.

Valid histories (random and fixed) are recorded through the ledger while a projector
follows them in batches of random size, is thrown away and started afresh, and crashes in
the middle of batches. Afterwards every read-model table, and what the queries answer,
must equal a rebuild from the first event; every event must have been applied exactly
once, whichever projector applied it."""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.core.crypto import SigningKey
from ledger.core.errors import LedgerError
from projections.projector import Projector
from projections.read_models.queries import AsOf, ReadModels
from projections.store import TABLES, ViewStore
from tests.world import SMALL_SET, START, World, build_world, schedule

SELF_CLOSES = START + timedelta(days=30)
PRELIMINARY_CLOSES = START + timedelta(days=45)
EXPLANATION_CLOSES = START + timedelta(days=52)
FINAL_CLOSES = START + timedelta(days=60)
# where "advance" moves the clock: inside each phase of the campaign, one after another
MOMENTS = (
    SELF_CLOSES + timedelta(hours=3),
    PRELIMINARY_CLOSES + timedelta(days=1),
    EXPLANATION_CLOSES + timedelta(days=1),
    FINAL_CLOSES + timedelta(days=1),
)

UNITS = ("D1", "D2", "S1")
UNIT_KINDS = {"D1": "district", "D2": "district", "S1": "department"}
STAFFED = ("D1", "D2")
STAFF = {"D1": "staff", "D2": "staff2"}
HEADS = {"D1": "head", "D2": "head2"}
LEAVES = ("1.1", "1.2")
POINTS = ("0", "0.25", "0.5", "1", "1.5", "2", "3")
# the keys a history uses, by the name of the role they play
ROLES: dict[str, list[dict[str, Any]]] = {
    "staff": [{"role": "unit_staff", "scope": ["D1"]}],
    "staff2": [{"role": "unit_staff", "scope": ["D2"]}],
    "head": [{"role": "unit_head", "scope": ["D1"]}],
    "head2": [{"role": "unit_head", "scope": ["D2"]}],
    "appraiser": [{"role": "appraiser", "scope": ["1"]}],
    "survey": [{"role": "survey_body", "scope": []}],
    "sec": [{"role": "secretariat", "scope": []}],
}
KEY_NAMES = tuple(ROLES)

# every kind of step: (kind, weight, the choices of each of its parameters)
STEPS: tuple[tuple[str, int, tuple[Sequence[Any], ...]], ...] = (
    # the ledger: acts of people (those the domain refuses are skipped)
    ("self_score", 2, (STAFFED, LEAVES, POINTS, (True, False))),
    ("evidence", 1, (STAFFED, LEAVES, range(4))),
    ("remove_evidence", 1, (STAFFED, LEAVES)),
    ("submit", 1, (STAFFED,)),
    ("later", 1, (range(1, 600), range(0, 1_000_000, 7919))),
    ("appraise", 2, (UNITS, LEAVES, POINTS, (True, False))),
    ("request", 1, (UNITS, LEAVES)),
    ("explain", 1, (STAFFED, LEAVES)),
    ("final", 2, (UNITS, LEAVES, ("confirm", "revise"), POINTS, (True, False))),
    ("survey", 1, (UNITS, ("0", "0.5", "1.25", "2", "2.5"))),
    ("accept", 1, (UNITS,)),
    ("finalise", 1, ()),
    ("close", 1, (("0.5", "1", "2"),)),
    ("correct", 1, (UNITS, ("1.1", "1.2", "2.1"), POINTS)),
    ("targets", 1, (UNITS, POINTS)),
    ("register", 1, (("district", "department"), (None, "G1"))),
    ("update_unit", 1, (UNITS, (None, "G1", "G2"))),
    ("enrol", 1, (KEY_NAMES,)),
    ("revoke", 1, (KEY_NAMES,)),
    ("rotate", 1, (KEY_NAMES,)),
    ("campaign", 1, (("C2022", "CADJ"),)),
    ("adjust", 1, (("D1", "S1"), ("T1", "P1", "X9"), ("0.5", "1", "1.5"))),
    ("define_set", 1, (range(3),)),
    # the projector
    ("catch_up", 5, (range(1, 9), (None, 1, 2, 3, 5, 8, 13))),
    ("restart", 2, ()),
    ("crash", 2, (("write", "commit", "apply"), range(1, 7), range(1, 6), (True, False))),
)
PROJECTOR_STEPS = {"catch_up", "restart", "crash"}

# a history runs through the phases of the campaign, the clock moved on between them; in
# each phase the acts it is for come up more often (any act may come up anywhere)
PHASES: tuple[dict[str, int], ...] = (
    {"self_score": 14, "evidence": 5, "remove_evidence": 1, "submit": 2},
    {"appraise": 10, "request": 4},
    {"explain": 6, "evidence": 3},
    {"final": 8},
    {"survey": 4, "accept": 3, "finalise": 1, "close": 2, "correct": 3, "targets": 1, "adjust": 2},
)
PHASE_STEPS = 12


def weights(phase: int) -> list[int]:
    return [weight + PHASES[phase].get(kind, 0) for kind, weight, _ in STEPS]


def phase_strategy(phase: int) -> st.SearchStrategy[tuple[Any, ...]]:
    return st.one_of(
        *(
            st.tuples(st.just(kind), *(st.sampled_from(choices) for choices in params))
            for (kind, _, params), weight in zip(STEPS, weights(phase), strict=True)
            for _ in range(weight)
        )
    )


def join_phases(phases: Sequence[Sequence[tuple[Any, ...]]]) -> list[tuple[Any, ...]]:
    steps: list[tuple[Any, ...]] = []
    for i, phase in enumerate(phases):
        if i:
            steps.append(("advance",))
        steps.extend(phase)
    return steps


HISTORIES = st.tuples(
    *(st.lists(phase_strategy(i), min_size=2, max_size=PHASE_STEPS) for i in range(len(PHASES)))
).map(join_phases)


def random_steps(rng: random.Random) -> list[tuple[Any, ...]]:
    """The same kind of history as the Hypothesis strategy, from a seeded generator."""
    phases = []
    for i in range(len(PHASES)):
        kinds = rng.choices(STEPS, weights=weights(i), k=rng.randint(PHASE_STEPS // 2, PHASE_STEPS))
        phases.append(
            [(kind, *(rng.choice(choices) for choices in params)) for kind, _, params in kinds]
        )
    return join_phases(phases)


# a whole cycle that the domain accepts step by step, with the projector left out
CYCLE: list[tuple[Any, ...]] = [
    ("self_score", "D1", "1.1", "1", True),
    ("self_score", "D1", "1.2", "2", False),
    ("evidence", "D1", "1.2", 0),
    ("self_score", "D2", "1.1", "0.5", True),
    ("submit", "D1"),
    ("appraise", "D1", "1.1", "0.5", True),
    ("rotate", "appraiser"),
    ("register", "district", "G1"),
    ("advance",),
    ("appraise", "D1", "1.2", "2", False),
    ("appraise", "D2", "1.1", "0.25", True),
    ("appraise", "S1", "1.1", "0", False),
    ("request", "D1", "1.2"),
    ("update_unit", "D2", "G1"),
    ("advance",),
    ("explain", "D1", "1.1"),
    ("evidence", "D1", "1.1", 1),
    ("explain", "D1", "1.2"),
    ("enrol", "sec"),
    ("advance",),
    ("final", "D1", "1.1", "revise", "1", True),
    ("final", "D1", "1.2", "confirm", "2", False),
    ("final", "D2", "1.1", "confirm", "0", False),
    ("advance",),
    ("close", "1"),
    ("correct", "D2", "2.1", "1.5"),
    ("targets", "D1", "1"),
    ("revoke", "staff2"),
]


class History:
    """Sends the acts of a history to the ledger; acts the domain refuses are skipped."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.keys: dict[str, SigningKey] = {
            name: key for name, key in world.keys.items() if name in ROLES
        }
        self.keys["head2"] = world.enrol("head2", ROLES["head2"])
        self.keys["sec"] = world.enrol("sec", ROLES["sec"])
        self.evidence: dict[tuple[str, str], list[str]] = {}
        self.new_units: list[str] = []
        self.accepted = 0
        self.refused = 0

    def run(self, steps: Sequence[tuple[Any, ...]]) -> None:
        for step in steps:
            self.do(step)

    def do(self, step: tuple[Any, ...]) -> None:
        kind, *params = step
        getattr(self, f"_{kind}")(*params)

    def send(self, signer: str, command_type: str, args: dict[str, Any]) -> bool:
        key = self.world.admin if signer == "admin" else self.keys[signer]
        try:
            self.world.send(key, command_type, args)
        except LedgerError:
            self.refused += 1
            return False
        self.accepted += 1
        return True

    @staticmethod
    def card(unit: str, campaign: str = "C2023") -> dict[str, str]:
        return {"campaign": campaign, "unit": unit}

    # -- self-assessment ------------------------------------------------------------------

    def _self_score(self, unit: str, criterion: str, points: str, explained: bool) -> None:
        args: dict[str, Any] = {
            **self.card(unit),
            "criterion": criterion,
            "inputs": {"points": points},
            "note": f"tự chấm {points}",
        }
        if explained:
            args["explanation"] = f"Giải trình {criterion}: văn bản số {points}"
        self.send(STAFF[unit], "record_self_score", args)

    def _evidence(self, unit: str, criterion: str, n: int) -> None:
        stored = self.world.ledger.evidence.put_bytes(f"%PDF-1.4 minh chứng {unit} {n}".encode())
        attached = self.send(
            STAFF[unit],
            "attach_evidence",
            {
                **self.card(unit),
                "criterion": criterion,
                "sha256": stored.sha256,
                "size": stored.size,
                "file_name": f"minh-chung-{n}.pdf",
                "media_type": "application/pdf",
            },
        )
        if attached:
            self.evidence.setdefault((unit, criterion), []).append(stored.sha256)

    def _remove_evidence(self, unit: str, criterion: str) -> None:
        files = self.evidence.get((unit, criterion))
        if files and self.send(
            STAFF[unit],
            "remove_evidence",
            {**self.card(unit), "criterion": criterion, "sha256": files[-1], "reason": "nhầm"},
        ):
            files.pop()

    def _submit(self, unit: str) -> None:
        self.send(HEADS[unit], "submit_self_assessment", self.card(unit))

    # -- time -----------------------------------------------------------------------------

    def _advance(self) -> None:
        clock = self.world.clock
        later = [moment for moment in MOMENTS if moment > clock.now()]
        clock.set(later[0] if later else clock.now() + timedelta(days=1))
        self.world.ledger.tick()

    def _later(self, minutes: int, microseconds: int) -> None:
        self.world.clock.advance(timedelta(minutes=minutes, microseconds=microseconds))
        self.world.ledger.tick()

    # -- appraisal ------------------------------------------------------------------------

    def _appraise(self, unit: str, criterion: str, points: str, reason: bool) -> None:
        args: dict[str, Any] = {
            **self.card(unit),
            "criterion": criterion,
            "inputs": {"points": points},
        }
        if reason:
            args["reason"] = "Minh chứng chưa đầy đủ"
        self.send("appraiser", "record_appraisal", args)

    def _request(self, unit: str, criterion: str) -> None:
        self.send(
            "appraiser",
            "request_explanation",
            {**self.card(unit), "criterion": criterion, "note": "Làm rõ số liệu"},
        )

    def _explain(self, unit: str, criterion: str) -> None:
        self.send(
            STAFF[unit],
            "submit_explanation",
            {**self.card(unit), "criterion": criterion, "explanation": "Xem văn bản kèm theo"},
        )

    def _final(self, unit: str, criterion: str, decision: str, points: str, reason: bool) -> None:
        args: dict[str, Any] = {**self.card(unit), "criterion": criterion, "decision": decision}
        if decision == "revise":
            args["inputs"] = {"points": points}
        if reason:
            args["reason"] = "Giải trình hợp lý"
        self.send("appraiser", "record_final_appraisal", args)

    # -- closing --------------------------------------------------------------------------

    def _survey(self, unit: str, points: str) -> None:
        self.send(
            "survey",
            "record_external_score",
            {
                **self.card(unit),
                "criterion": "2.1",
                "points": points,
                "source": "survey",
                "source_document": "Báo cáo điều tra XHH",
            },
        )

    def _accept(self, unit: str) -> None:
        self.send("sec", "accept_self_scores", self.card(unit))

    def _finalise(self) -> None:
        self.send("sec", "finalise_campaign", {"campaign": "C2023"})

    def _close(self, points: str) -> None:
        for unit in UNITS:
            self._survey(unit, points)
            self._accept(unit)
        self._finalise()

    def _correct(self, unit: str, criterion: str, points: str) -> None:
        self.send(
            "sec",
            "correct_score",
            {**self.card(unit), "criterion": criterion, "points": points, "reason": "Sai sót"},
        )

    def _targets(self, unit: str, points: str) -> None:
        self.send(
            HEADS.get(unit, "sec"),
            "record_targets",
            {**self.card(unit), "year": 2024, "targets": {"1.1": points}, "note": "Kế hoạch"},
        )

    # -- registries -----------------------------------------------------------------------

    def _register(self, kind: str, group: str | None) -> None:
        code = f"N{len(self.new_units) + 1}"
        args: dict[str, Any] = {"code": code, "name": f"Đơn vị mới {code}", "kind": kind}
        if group is not None:
            args["ranking_group"] = group
        if self.send("admin", "register_unit", args):
            self.new_units.append(code)

    def _update_unit(self, unit: str, group: str | None) -> None:
        args: dict[str, Any] = {
            "code": unit,
            "name": f"Đơn vị {unit} ({group or 'mặc định'})",
            "kind": UNIT_KINDS[unit],
        }
        if group is not None:
            args["ranking_group"] = group
        self.send("admin", "update_unit", args)

    def _enrol(self, name: str) -> None:
        key = SigningKey.generate()
        if self.send(
            "admin",
            "enrol_key",
            {
                "public_key": key.public_key,
                "name": f"{name} (mới)",
                "title": "Chuyên viên",
                "unit": "Sở",
                "roles": ROLES[name],
            },
        ):
            self.keys[name] = key

    def _revoke(self, name: str) -> None:
        """The key is revoked and someone else enrolled in the same role."""
        if self.send(
            "admin", "revoke_key", {"key_id": self.keys[name].key_id, "reason": "nghỉ việc"}
        ):
            self._enrol(name)

    def _rotate(self, name: str) -> None:
        old, new = self.keys[name], SigningKey.generate()
        if self.send(
            name,
            "rotate_key",
            {"key_id": old.key_id, "new_public_key": new.public_key, "reason": "định kỳ"},
        ):
            self.keys[name] = new

    def _campaign(self, code: str) -> None:
        args: dict[str, Any] = {
            "code": code,
            "title": f"Kỳ đánh giá {code}",
            "indicator_set": "T-SET",
            "indicator_set_version": 1,
            "schedule": schedule(),
        }
        if code == "C2022":
            args.update(year=2022, units=["D1", "D2", *self.new_units])
        else:
            args.update(
                year=2023,
                units=["D1", "S1"],
                adjustments=[
                    {"code": "T1", "title": "Sáng kiến", "kind": "bonus", "cap": "1"},
                    {"code": "P1", "title": "Chậm báo cáo", "kind": "penalty", "cap": "2"},
                ],
                grade_bands=[{"min": "0.5", "grade": "Tốt"}, {"min": "0", "grade": "Khá"}],
            )
        self.send("admin", "create_campaign", args)

    def _adjust(self, unit: str, code: str, points: str) -> None:
        self.send(
            "sec",
            "record_adjustment",
            {**self.card(unit, "CADJ"), "code": code, "points": points, "reason": "QĐ"},
        )

    def _define_set(self, variant: int) -> None:
        self.send(
            "admin", "define_indicator_set", {**SMALL_SET, "version": 2, "title": f"Bản {variant}"}
        )


# -- reading the read models --------------------------------------------------------------


def tables(views: ViewStore) -> dict[str, list[dict[str, Any]]]:
    """Every read-model table, row by row, in primary-key order."""
    return {
        name: views.rows(f"SELECT * FROM {{{name}}} ORDER BY {key}")
        for name, (_, key) in TABLES.items()
    }


def snapshot(views: ViewStore, world: World) -> dict[str, Any]:
    """The tables and what the queries answer from them."""
    models = ReadModels(views)
    top = world.ledger.recorder.max_notification_id() or 0
    answers: dict[str, Any] = {
        "ranking": models.ranking("C2023"),
        "trace": models.trace("C2023"),
        "scorecards": models.scorecards("C2023"),
        "progress": models.progress("C2023", world.clock.now()),
        "gaps": [models.gaps("C2023", unit) for unit in UNITS],
        "as_of": [models.scorecard("C2023", unit, AsOf(position=top // 2)) for unit in UNITS],
        "ranking_as_of": models.ranking("C2023", as_of=AsOf(at=SELF_CLOSES)),
        "other_rankings": {c["code"]: models.ranking(c["code"]) for c in models.campaigns()},
        "keys": models.keys(),
        "units": models.units(),
        "indicator_sets": models.indicator_sets(),
    }
    return {**tables(views), **answers}


def log_ids(world: World) -> list[int]:
    notifications = world.ledger.recorder.select_notifications(None, 1_000_000)
    return [n.id for n in notifications]


def check_applied_once(world: World, views: ViewStore) -> None:
    """pv_log holds one row per event up to the tracked position, none twice, none beyond."""
    position = views.position()
    applied = [r["position"] for r in views.rows("SELECT position FROM {pv_log} ORDER BY position")]
    assert applied == [i for i in log_ids(world) if i <= position]
    events = views.rows("SELECT position FROM {pv_card_events} ORDER BY position")
    assert all(r["position"] <= position for r in events)
    assert len({r["position"] for r in events}) == len(events)


def assert_same(actual: dict[str, Any], expected: dict[str, Any]) -> None:
    assert actual.keys() == expected.keys()
    for name in expected:
        assert actual[name] == expected[name], f"{name} differs"


@contextmanager
def patched(target: object, name: str, replacement: Callable[..., Any]) -> Iterator[None]:
    """Replace a method on one instance only."""
    setattr(target, name, replacement)
    try:
        yield
    finally:
        delattr(target, name)


def crash(projector: Projector, mode: str, batch: int, k: int) -> None:
    """Make the next batch fail, and check that nothing of it was kept.

    ``write``: the store's write fails before touching the database; ``commit``: the write
    fails inside its transaction, after every row of the batch was inserted (the tracking
    record is the last statement); ``apply``: the k-th event of the batch fails after the
    ones before it were applied to the projector's in-memory state."""
    views = projector.views
    lag = projector.lag()
    if lag == 0:
        return
    k = min(k, lag)
    batch = max(batch, k)
    before, position = tables(views), views.position()
    seen_inside: list[int] = []

    def fail_write(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    def fail_commit(cursor: Any, tracking: Any) -> None:
        cursor.execute(views.sql("SELECT COUNT(*) AS n FROM {pv_log}"))
        seen_inside.append(dict(cursor.fetchone())["n"])
        raise RuntimeError("connection lost before commit")

    original_event = projector._event
    calls = [0]

    def fail_event(*args: Any, **kwargs: Any) -> None:
        calls[0] += 1
        if calls[0] == k:
            raise RuntimeError("crash in the middle of a batch")
        original_event(*args, **kwargs)

    target, name, replacement = {
        "write": (views, "write", fail_write),
        "commit": (views, "_insert_tracking", fail_commit),
        "apply": (projector, "_event", fail_event),
    }[mode]
    with patched(target, name, replacement), pytest.raises(RuntimeError, match=r"."):
        projector.catch_up(batch_size=batch, limit=batch)
    if mode == "commit":
        # the batch's rows were in the transaction, and then rolled back with it
        assert seen_inside == [len(before["pv_log"]) + min(batch, lag)]
    if mode == "apply":
        assert calls[0] == k
    assert views.position() == position
    assert tables(views) == before


class Follower:
    """The incremental side: a projector that catches up in pieces, restarts and crashes."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.projector = Projector(world.runtime.storage)
        self.restarts = self.crashes = 0

    def do(self, step: tuple[Any, ...]) -> None:
        kind, *params = step
        if kind == "catch_up":
            batch, limit = params
            lag, position = self.projector.lag(), self.projector.views.position()
            applied = self.projector.catch_up(batch_size=batch, limit=limit)
            expected = lag if limit is None else min(lag, limit)
            assert applied == expected
            assert self.projector.views.position() == position + applied
            check_applied_once(self.world, self.projector.views)
        elif kind == "restart":
            self.projector = Projector(self.world.runtime.storage)
            self.restarts += 1
        elif kind == "crash":
            mode, batch, k, restart = params
            crash(self.projector, mode, batch, k)
            self.crashes += 1
            if restart:
                self.projector = Projector(self.world.runtime.storage)


def play(world: World, steps: Sequence[tuple[Any, ...]]) -> tuple[History, Follower]:
    history, follower = History(world), Follower(world)
    for step in steps:
        if step[0] in PROJECTOR_STEPS:
            follower.do(step)
        else:
            history.do(step)
    return history, follower


def assert_rebuild_matches(world: World, projector: Projector) -> None:
    projector.catch_up(batch_size=5)
    top = world.ledger.recorder.max_notification_id()
    assert projector.views.position() == top
    assert projector.lag() == 0
    check_applied_once(world, projector.views)
    incremental = snapshot(projector.views, world)

    fresh = Projector(world.runtime.storage)
    assert fresh.rebuild() == len(log_ids(world))
    assert fresh.views.position() == top
    assert_same(snapshot(fresh.views, world), incremental)
    # the old projector finds nothing left to do after another one rebuilt
    assert projector.catch_up() == 0


# -- 1. random histories on PostgreSQL ----------------------------------------------------


@contextmanager
def fresh_world(pg_url: str, home: Path) -> Iterator[World]:
    """A world in a schema of its own on the session's database."""
    database = pg_url.split("?", 1)[0]
    schema = f"x_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(database, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    world = build_world(f"{database}?schema={schema}", home / schema)
    try:
        yield world
    finally:
        world.ledger.close()
        with psycopg.connect(database, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.mark.postgres
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(steps=HISTORIES)
def test_incremental_read_models_equal_a_rebuild(
    pg_url: str, tmp_path: Path, steps: list[tuple[Any, ...]]
) -> None:
    with fresh_world(pg_url, tmp_path) as world:
        _, follower = play(world, steps)
        assert_rebuild_matches(world, follower.projector)


# -- 2. exactly once ----------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["write", "commit", "apply"])
def test_a_failed_batch_leaves_nothing_and_is_applied_once_afterwards(
    world: World, mode: str
) -> None:
    History(world).run(CYCLE)
    top = world.ledger.recorder.max_notification_id()
    projector = Projector(world.runtime.storage)
    assert projector.catch_up(batch_size=4, limit=10) == 10

    crash(projector, mode, batch=7, k=5)

    assert projector.views.position() == 10
    assert projector.catch_up(batch_size=6) == top - 10
    check_applied_once(world, projector.views)
    positions = projector.views.rows("SELECT position FROM {pv_log}")
    assert len(positions) == top
    assert sorted(r["position"] for r in positions) == list(range(1, top + 1))
    assert_rebuild_matches(world, projector)


def test_two_projectors_catching_up_at_once_apply_each_event_once(world: World) -> None:
    history = History(world)
    history.run(CYCLE[:12])
    first, second = Projector(world.runtime.storage), Projector(world.runtime.storage)
    applied = {"first": 0, "second": 0}
    errors: list[BaseException] = []
    writing = threading.Event()

    def follow(name: str, projector: Projector, batch: int, start: threading.Barrier) -> None:
        deadline = time.monotonic() + 60
        try:
            start.wait(10)
            while time.monotonic() < deadline:
                applied[name] += projector.catch_up(batch_size=batch)
                if not writing.is_set() and projector.lag() == 0:
                    return
                time.sleep(0.002)
            raise TimeoutError(f"{name} did not catch up")
        except BaseException as error:
            errors.append(error)

    def write(start: threading.Barrier) -> None:
        try:
            start.wait(10)
            history.run(CYCLE[12:])
        except BaseException as error:
            errors.append(error)
        finally:
            writing.clear()

    # round 1: the log stands still; round 2: a writer records the rest of the cycle
    for with_writer in (False, True):
        parties = 3 if with_writer else 2
        start = threading.Barrier(parties)
        if with_writer:
            writing.set()
        threads = [
            threading.Thread(target=follow, args=("first", first, 1, start), daemon=True),
            threading.Thread(target=follow, args=("second", second, 2, start), daemon=True),
        ]
        if with_writer:
            threads.append(threading.Thread(target=write, args=(start,), daemon=True))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        assert not any(thread.is_alive() for thread in threads)
        assert not errors, errors

    top = world.ledger.recorder.max_notification_id()
    assert history.accepted > 20
    # each event was applied by exactly one of the two
    assert applied["first"] + applied["second"] == top
    assert first.views.position() == second.views.position() == top
    check_applied_once(world, first.views)
    trace = first.views.rows("SELECT position, seq FROM {pv_trace}")
    assert len({(r["position"], r["seq"]) for r in trace}) == len(trace)
    assert_rebuild_matches(world, first)
    assert second.catch_up() == 0


def test_catching_up_when_caught_up_applies_nothing(world: World) -> None:
    History(world).run(CYCLE)
    projector = Projector(world.runtime.storage)
    top = world.ledger.recorder.max_notification_id()
    assert projector.catch_up(batch_size=3) == top
    before = tables(projector.views)
    assert projector.catch_up() == 0
    assert projector.catch_up(batch_size=1, limit=5) == 0
    assert projector.catch_up(limit=0) == 0
    assert Projector(world.runtime.storage).catch_up() == 0
    assert projector.views.position() == top
    assert tables(projector.views) == before


SCORE = {"criterion": "1.1", "inputs": {"points": "1"}, "explanation": "Kế hoạch số 5"}


def test_lag_counts_the_events_not_yet_projected(world: World) -> None:
    history = History(world)
    projector = Projector(world.runtime.storage)
    top = world.ledger.recorder.max_notification_id()
    assert projector.lag() == top
    assert projector.catch_up(batch_size=2, limit=5) == 5
    assert projector.lag() == top - 5
    assert history.send("staff", "record_self_score", history.card("D1") | SCORE)
    assert projector.lag() == top - 5 + 1
    # a refused command records nothing and adds no lag
    assert not history.send("staff2", "record_self_score", history.card("D1") | SCORE)
    assert projector.lag() == top - 5 + 1
    assert projector.catch_up(batch_size=4) == top - 5 + 1
    assert projector.lag() == 0
    assert Projector(world.runtime.storage).lag() == 0


# -- 3. the same on both backends, with fixed and seeded histories ------------------------


def test_a_whole_cycle_projected_one_event_at_a_time_with_restarts(world: World) -> None:
    history = History(world)
    projector = Projector(world.runtime.storage)
    for step in CYCLE:
        history.do(step)
        while projector.lag():
            assert projector.catch_up(batch_size=1, limit=1) == 1
            projector = Projector(world.runtime.storage)
    assert history.refused == 0
    card = ReadModels(projector.views).scorecard("C2023", "D1")
    assert card is not None
    assert card["totals"]["final"]["total"] == "4"
    assert_rebuild_matches(world, projector)


@pytest.mark.parametrize("seed", [11, 23, 37])
def test_seeded_histories_rebuild_identically(world: World, seed: int) -> None:
    steps = random_steps(random.Random(seed))
    # every kind of projector trouble, whatever the seed
    steps[8:8] = [("crash", "commit", 3, 2, False), ("catch_up", 2, 4)]
    steps[20:20] = [("crash", "apply", 4, 3, True), ("restart",), ("catch_up", 1, 3)]
    steps[32:32] = [("crash", "write", 2, 1, True), ("catch_up", 3, None)]
    history, follower = play(world, steps)
    assert history.accepted > 0
    assert follower.crashes >= 3
    assert_rebuild_matches(world, follower.projector)
