"""A small ledger to test with: keys for every role, units of two kinds, a little
indicator set, a campaign, and a clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from api.bootstrap import Runtime, open_runtime
from ledger.application.local_client import initialise
from ledger.application.service import Ledger, Receipt
from ledger.application.settings import Settings
from ledger.application.world import LedgerWorld
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand, sign_command
from ledger.core.ids import scorecard_id
from ledger.domain.campaign import MILESTONES
from ledger.domain.commands import command_type as kind_of
from ledger.domain.handlers import context
from ledger.domain.results import table_sha256
from ledger.domain.scorecard_acts import record_self_score
from projections.publication.publishing import Publishing

START = datetime(2023, 1, 10, 2, 0, tzinfo=UTC)

SMALL_SET: dict[str, Any] = {
    "code": "T-SET",
    "version": 1,
    "title": "Bộ chỉ số thử",
    "precision": 2,
    "nodes": [
        {"code": "1", "level": "area", "title": "Chỉ đạo điều hành", "max_points": "3"},
        {
            "code": "1.1",
            "level": "criterion",
            "title": "Kế hoạch",
            "max_points": "1",
            "score_source": "appraisal",
            "lead_agency": "Sở Nội vụ",
        },
        {
            "code": "1.2",
            "level": "criterion",
            "title": "Báo cáo",
            "max_points": "2",
            "score_source": "appraisal",
            "lead_agency": "Sở Nội vụ",
            "applies_to": ["district"],
        },
        {"code": "2", "level": "area", "title": "Tác động", "max_points": "2"},
        {
            "code": "2.1",
            "level": "criterion",
            "title": "Khảo sát",
            "max_points": "2",
            "score_source": "survey",
            "lead_agency": "Sở Nội vụ",
        },
    ],
}


def schedule(start: datetime = START) -> dict[str, str]:
    offsets = (0, 30, 45, 52, 60)
    return {
        name: (start + timedelta(days=d)).isoformat()
        for name, d in zip(MILESTONES, offsets, strict=True)
    }


@dataclass
class World:
    runtime: Runtime
    clock: ManualClock
    admin: SigningKey
    server: SigningKey
    keys: dict[str, SigningKey] = field(default_factory=dict)

    @property
    def ledger(self) -> Ledger:
        return self.runtime.ledger

    @property
    def publishing(self) -> Publishing:
        return self.runtime.publishing

    def command(
        self, key: SigningKey, command_type: str, args: dict[str, Any], nonce: str | None = None
    ) -> SignedCommand:
        return sign_command(
            key,
            ledger=self.ledger.keyring().ledger or "test-ledger",
            type=command_type,
            args=args,
            issued_at=self.clock.now(),
            nonce=nonce,
        )

    def send(self, key: SigningKey, command_type: str, args: dict[str, Any]) -> Receipt:
        return self.ledger.execute(self.command(key, command_type, args))

    def enrol(self, name: str, roles: list[dict[str, Any]]) -> SigningKey:
        key = SigningKey.generate()
        self.send(
            self.admin,
            "enrol_key",
            {
                "public_key": key.public_key,
                "name": name,
                "title": "Chuyên viên",
                "unit": "Sở",
                "roles": roles,
            },
        )
        self.keys[name] = key
        return key


def make_runtime(
    database_url: str,
    home: Path,
    clock: ManualClock,
    server: SigningKey,
    *,
    project: bool = False,
) -> Runtime:
    """A ledger on the store, and its read side; with ``project``, the read models catch up
    after every command (as on the command line), else only when asked."""
    settings = Settings(database_url=database_url, home=home, ledger_name="test-ledger")
    return open_runtime(settings, clock=clock, server_key=server, project=project)


def build_world(
    database_url: str, home: Path, *, with_campaign: bool = True, project: bool = False
) -> World:
    clock = ManualClock(START)
    admin, server = SigningKey.generate(), SigningKey.generate()
    runtime = make_runtime(database_url, home, clock, server, project=project)
    world = World(runtime, clock, admin, server)
    initialise(world.ledger, admin, server, admin_name="Quản trị")
    for code, kind in (("D1", "district"), ("D2", "district"), ("S1", "department")):
        world.send(admin, "register_unit", {"code": code, "name": f"Đơn vị {code}", "kind": kind})
    world.enrol("staff", [{"role": "unit_staff", "scope": ["D1"]}])
    world.enrol("head", [{"role": "unit_head", "scope": ["D1"]}])
    world.enrol("staff2", [{"role": "unit_staff", "scope": ["D2"]}])
    world.enrol("survey", [{"role": "survey_body", "scope": []}])
    world.enrol("appraiser", [{"role": "appraiser", "scope": ["1"]}])
    world.send(admin, "define_indicator_set", SMALL_SET)
    if with_campaign:
        world.send(
            admin,
            "create_campaign",
            {
                "code": "C2023",
                "year": 2023,
                "title": "Kỳ đánh giá 2023",
                "indicator_set": "T-SET",
                "indicator_set_version": 1,
                "units": ["D1", "D2", "S1"],
                "schedule": schedule(),
            },
        )
    return world


def publication_steps(
    code: str, now: datetime, units: tuple[str, ...] = ("D1", "S1")
) -> list[tuple[str, str, dict[str, Any]]]:
    """(role, command type, arguments) that create a campaign whose phases have all passed,
    settle every leaf, finalise it and publish its results."""
    steps: list[tuple[str, str, dict[str, Any]]] = [
        (
            "admin",
            "create_campaign",
            {
                "code": code,
                "year": 2022,
                "title": f"Kỳ đánh giá {code}",
                "indicator_set": "T-SET",
                "indicator_set_version": 1,
                "units": list(units),
                "schedule": schedule(now - timedelta(days=70)),
                "grade_bands": [{"min": "50", "grade": "Tốt"}, {"min": "0", "grade": "Khá"}],
            },
        )
    ]
    for n, unit in enumerate(units):
        card = {"campaign": code, "unit": unit}
        steps.append(
            (
                "survey",
                "record_external_score",
                {
                    **card,
                    "criterion": "2.1",
                    "points": ("1.5", "0.75", "2")[n % 3],
                    "source": "survey",
                    "source_document": "Báo cáo điều tra xã hội học",
                },
            )
        )
        steps.append(("secretariat", "accept_self_scores", card))
    steps.append(("secretariat", "finalise_campaign", {"campaign": code}))
    steps.append(("publisher", "publish_results", {"campaign": code}))
    return steps


def publish_campaign(world: World, code: str = "P2022") -> None:
    """A finalised, published campaign on ``world``'s ledger."""
    for role, name in (("secretariat", "secretariat"), ("publisher", "publisher")):
        if name not in world.keys:
            world.enrol(name, [{"role": role, "scope": []}])
    keys = {**world.keys, "admin": world.admin}
    for role, command_type, args in publication_steps(code, world.clock.now()):
        if command_type == "publish_results":
            args = {**args, "table_sha256": reviewed(world, code)}
        world.send(keys[role], command_type, args)


def reviewed(world: World, code: str) -> str:
    """The hash of the campaign's result table as a publisher reviews it before signing."""
    return table_sha256(world.ledger.result_table(code))


PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def run_and_publish(world: World, code: str = "C2023") -> str:
    """Take ``world``'s campaign through its cycle (D1 self-scores 1.1 with evidence and
    submits; the rest is settled at closing), finalise it and publish its results; the
    ledger must be able to publish. Returns the evidence file's hash."""
    keys = dict(world.keys)
    for role in ("secretariat", "publisher"):
        keys[role] = keys.get(role) or world.enrol(role, [{"role": role, "scope": []}])
    world.clock.set(START + timedelta(days=1))
    stored = world.ledger.evidence.put_bytes(PDF)
    card = {"campaign": code, "unit": "D1"}
    world.send(
        keys["staff"],
        "record_self_score",
        {**card, "criterion": "1.1", "inputs": {"points": "0.75"}, "explanation": "Kế hoạch"},
    )
    world.send(
        keys["staff"],
        "attach_evidence",
        {
            **card,
            "criterion": "1.1",
            "sha256": stored.sha256,
            "size": stored.size,
            "file_name": "ke-hoach.pdf",
            "media_type": "application/pdf",
        },
    )
    world.send(keys["head"], "submit_self_assessment", card)
    world.clock.set(START + timedelta(days=61))
    for n, unit in enumerate(("D1", "D2", "S1")):
        target = {"campaign": code, "unit": unit}
        world.send(
            keys["survey"],
            "record_external_score",
            {
                **target,
                "criterion": "2.1",
                "points": ("1.5", "2", "0.5")[n],
                "source": "survey",
                "source_document": "Báo cáo điều tra xã hội học",
            },
        )
        world.send(keys["secretariat"], "accept_self_scores", target)
    world.send(keys["secretariat"], "finalise_campaign", {"campaign": code})
    world.clock.set(START + timedelta(days=62))
    world.send(
        keys["publisher"],
        "publish_results",
        {"campaign": code, "table_sha256": reviewed(world, code)},
    )
    return stored.sha256


def forge_self_score(world: World, command: SignedCommand) -> int:
    """Record ``command``'s self-score the way a compromised writer could: the domain's act
    and a save, bypassing the signature, key and scope checks of ``execute``. Returns the
    version the forged event got."""
    args = command.args
    card = world.ledger.repository.get(scorecard_id(args["campaign"], args["unit"]))
    parsed = kind_of("record_self_score").parse(args)
    record_self_score(card, command, parsed, context(LedgerWorld(world.ledger), card))
    world.ledger.save(card)
    return int(card.version)
