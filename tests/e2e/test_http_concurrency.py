"""Two people acting on the same scorecard at once, through two service instances on one
PostgreSQL schema (as two server processes would): one write wins, the other is
recorded after it or answered with a conflict the client retries; nothing is lost. The
same command sent twice at once is recorded once, and both senders get its receipt."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ledger.application.service import stored_events
from ledger.audit.event_checks import verify_events
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from tests.e2e.http_support import (
    CAMPAIGN,
    Api,
    campaign_args,
    init_ledger,
    make_home,
    make_settings,
    running,
)
from tests.world import START

pytestmark = pytest.mark.postgres

PER_WRITER = 12
ROUNDS = 8
FIELDS = ("1", "2")
LEAVES = [f"{area}.{i}" for area in FIELDS for i in range(1, 7)]
WIDE_SET: dict[str, Any] = {
    "code": "T-SET",
    "version": 1,
    "title": "Bộ chỉ số nhiều tiêu chí",
    "precision": 2,
    "nodes": [
        node
        for area in FIELDS
        for node in [
            {"code": area, "level": "area", "title": f"Lĩnh vực {area}", "max_points": "6"},
            *(
                {
                    "code": f"{area}.{i}",
                    "level": "criterion",
                    "title": f"Tiêu chí {area}.{i}",
                    "max_points": "1",
                    "score_source": "appraisal",
                }
                for i in range(1, 7)
            ),
        ]
    ],
}


class Pair:
    """Two service instances on the same settings, each with its own client."""

    def __init__(self, first: Api, second: Api) -> None:
        self.apis = (first, second)
        self.keys: dict[str, SigningKey] = {}


@pytest.fixture
def pair(pg_url: str, tmp_path: Path) -> Iterator[Pair]:
    home = tmp_path / "home"
    admin, server = make_home(home)
    clock = ManualClock(START + timedelta(days=1))
    settings = make_settings(pg_url, home)
    with (
        running(settings, clock, admin, server) as first,
        running(settings, clock, admin, server) as second,
    ):
        init_ledger(first)
        for code in ("D1", "D2"):
            first.ok(admin, "register_unit", {"code": code, "name": code, "kind": "district"})
        pair = Pair(first, second)
        for name, roles in {
            "staff-a": [{"role": "unit_staff", "scope": ["D1"]}],
            "staff-b": [{"role": "unit_staff", "scope": ["D1"]}],
            "head-2": [{"role": "unit_head", "scope": ["D2"]}],
            "appraiser-1": [{"role": "appraiser", "scope": ["1"]}],
            "appraiser-2": [{"role": "appraiser", "scope": ["2"]}],
        }.items():
            pair.keys[name] = first.enrol(name, roles)
        first.ok(admin, "define_indicator_set", WIDE_SET)
        first.ok(admin, "create_campaign", campaign_args(units=["D1", "D2"]))
        first.ok(
            pair.keys["head-2"], "submit_self_assessment", {"campaign": CAMPAIGN, "unit": "D2"}
        )
        yield pair
        report = verify_events(stored_events(first.client.app.state.service.ledger))
        assert report.ok, report.problems


def send_until_recorded(api: Api, envelope: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Post the envelope; on a conflict, send it again. The receipt and the retries."""
    for retries in range(30):
        response = api.post(envelope)
        if response.status_code == 201:
            return response.json(), retries
        assert response.status_code == 409, response.text
        assert response.json()["code"] == "conflict", response.text
    raise AssertionError("still in conflict after 30 attempts")


def run_together(*writers: Callable[[], None]) -> None:
    errors: list[BaseException] = []

    def guarded(writer: Callable[[], None]) -> None:
        try:
            writer()
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(w,)) for w in writers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def events_recorded(pair: Pair) -> int:
    """How many events the store holds (log positions may skip numbers on PostgreSQL,
    where a transaction that lost a race rolled back)."""
    return sum(1 for _ in stored_events(pair.apis[1].client.app.state.service.ledger))


def card_events(pair: Pair, unit: str) -> list[dict[str, Any]]:
    api = pair.apis[0]
    info = api.client.get("/v1/ledger").json()
    assert info["projected_position"] == info["position"], info
    reader = pair.keys["appraiser-1"]
    rows = api.read(f"/v1/campaigns/{CAMPAIGN}/trace", reader, unit=unit)["items"]
    return list(rows)


def test_two_staff_on_one_scorecard_lose_nothing(pair: Pair) -> None:
    receipts: list[dict[str, Any]] = []
    retries: list[int] = []
    barrier = threading.Barrier(2)

    def writer(index: int, key_name: str) -> Callable[[], None]:
        api, key = pair.apis[index], pair.keys[key_name]

        def write() -> None:
            barrier.wait()
            for i in range(PER_WRITER):
                args = {
                    "campaign": CAMPAIGN,
                    "unit": "D1",
                    "criterion": LEAVES[i % len(LEAVES)],
                    "inputs": {"points": ("0.25", "0.5", "0.75")[i % 3]},
                    "note": f"{key_name} {i}",
                }
                receipt, tries = send_until_recorded(
                    api, api.envelope(key, "record_self_score", args)
                )
                receipts.append(receipt)
                retries.append(tries)

        return write

    before = events_recorded(pair)
    run_together(writer(0, "staff-a"), writer(1, "staff-b"))

    assert len(receipts) == 2 * PER_WRITER
    assert sorted(r["version"] for r in receipts) == list(range(2, 2 + 2 * PER_WRITER))
    assert len({r["position"] for r in receipts}) == 2 * PER_WRITER
    assert events_recorded(pair) == before + 2 * PER_WRITER
    rows = [r for r in card_events(pair, "D1") if r["event_type"] == "SelfScoreRecorded"]
    assert len(rows) == 2 * PER_WRITER
    assert sorted(r["position"] for r in rows) == sorted(r["position"] for r in receipts)


def test_two_appraisers_on_one_scorecard_lose_nothing(pair: Pair) -> None:
    receipts: list[dict[str, Any]] = []
    barrier = threading.Barrier(2)

    def appraiser(index: int, field: str) -> Callable[[], None]:
        api, key = pair.apis[index], pair.keys[f"appraiser-{field}"]
        mine = [leaf for leaf in LEAVES if leaf.startswith(field + ".")]

        def write() -> None:
            barrier.wait()
            for criterion in mine:
                target = {"campaign": CAMPAIGN, "unit": "D2", "criterion": criterion}
                for command_type, args in (
                    ("request_explanation", {**target, "note": "Làm rõ"}),
                    ("record_appraisal", {**target, "inputs": {"points": "0"}}),
                ):
                    receipt, _ = send_until_recorded(api, api.envelope(key, command_type, args))
                    receipts.append(receipt)

        return write

    run_together(appraiser(0, "1"), appraiser(1, "2"))

    assert len(receipts) == 2 * len(LEAVES)
    versions = sorted(r["version"] for r in receipts)
    assert versions == list(range(3, 3 + 2 * len(LEAVES)))  # opened, submitted, then these
    view = pair.apis[1].read(f"/v1/campaigns/{CAMPAIGN}/scorecards/D2", pair.keys["appraiser-2"])
    for leaf in view["leaves"]:
        assert leaf["preliminary_appraisal"] is not None, leaf["code"]
        assert leaf["flags"]["explanation_requested"], leaf["code"]
    kinds = [r["event_type"] for r in card_events(pair, "D2")]
    assert kinds.count("AppraisalRecorded") == len(LEAVES)
    assert kinds.count("ExplanationRequested") == len(LEAVES)


def test_the_same_command_sent_twice_at_once_is_recorded_once(pair: Pair) -> None:
    staff = pair.keys["staff-a"]
    for round_ in range(ROUNDS):
        envelope = pair.apis[0].envelope(
            staff,
            "record_self_score",
            {
                "campaign": CAMPAIGN,
                "unit": "D1",
                "criterion": "1.1",
                "inputs": {"points": "1"},
                "note": f"round {round_}",
            },
        )
        before = events_recorded(pair)
        answers: list[httpx.Response | None] = [None, None]
        barrier = threading.Barrier(2)

        def post(
            index: int,
            envelope: dict[str, Any] = envelope,
            answers: list[httpx.Response | None] = answers,
            barrier: threading.Barrier = barrier,
        ) -> Callable[[], None]:
            def send() -> None:
                barrier.wait()
                answers[index] = pair.apis[index].post(envelope)

            return send

        run_together(post(0), post(1))
        assert all(a is not None and a.status_code == 201 for a in answers), [
            a.text for a in answers if a is not None
        ]
        first, second = (a.json() for a in answers if a is not None)
        assert first == second
        assert events_recorded(pair) == before + 1
    rows = [r for r in card_events(pair, "D1") if r["event_type"] == "SelfScoreRecorded"]
    assert len(rows) == ROUNDS
