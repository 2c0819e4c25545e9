"""A synthetic campaign for benchmarks: many units × 50 leaves through the whole cycle.

Setup (keys, units, the indicator set, the campaign) goes through the ledger's command
path. The bulk of the cycle is recorded by calling the domain with commands signed by
the right keys and saving each unit's phase in one batch. Every event is as valid and
verifiable as one sent through ``Ledger.execute``; only the per-command round trip is
skipped, so that 200,000 events take minutes, not hours."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg

from api.bootstrap import Runtime, open_runtime
from ledger.application.local_client import initialise, send
from ledger.application.service import Ledger
from ledger.application.settings import Settings
from ledger.core.clock import ManualClock
from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand, sign_command
from ledger.domain import scorecard_acts as acts
from ledger.domain.campaign import MILESTONES
from ledger.domain.commands import command_type
from ledger.domain.scorecard import Context, Scorecard

AREAS, LEAVES_PER_AREA = 5, 10
START = datetime(2025, 1, 6, 1, 0, tzinfo=UTC)
OFFSETS = (0, 30, 45, 52, 60)
EVENTS_PER_UNIT = 1 + 50 + 20 + 1 + 50 + 5 + 5 + 10 + 1  # opened … accepted
CAMPAIGN = "BENCH"


def fresh_schema(database_url: str) -> tuple[str, Callable[[], None]]:
    """A new schema in the PostgreSQL database of ``database_url``, and how to drop it."""
    base = database_url.split("?", 1)[0]
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')

    def drop() -> None:
        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')

    return f"{base}?schema={schema}", drop


def definition() -> dict[str, Any]:
    nodes: list[dict[str, Any]] = []
    for a in range(1, AREAS + 1):
        nodes.append(
            {
                "code": str(a),
                "level": "area",
                "title": f"Lĩnh vực {a}",
                "max_points": str(2 * LEAVES_PER_AREA),
            }
        )
        for c in range(1, LEAVES_PER_AREA + 1):
            rule = (
                {
                    "kind": "tiers",
                    "tiers": [
                        {"min": "95", "points": "2"},
                        {"min": "80", "max": "95", "max_inclusive": False, "points": "1"},
                        {"max": "80", "max_inclusive": False, "points": "0"},
                    ],
                }
                if c % 2
                else {"kind": "free", "step": "0.25"}
            )
            nodes.append(
                {
                    "code": f"{a}.{c}",
                    "level": "criterion",
                    "title": f"Tiêu chí {a}.{c}",
                    "max_points": "2",
                    "score_source": "appraisal",
                    "lead_agency": f"Sở {a}",
                    "rule": rule,
                }
            )
    return {
        "code": "BENCH-SET",
        "version": 1,
        "title": "Bộ chỉ số thử tải",
        "precision": 2,
        "nodes": nodes,
    }


def inputs_for(code: str, unit_no: int, shift: int = 0) -> dict[str, Any]:
    seed = (unit_no * 31 + int(code.replace(".", "")) * 7 + shift) % 20
    if int(code.split(".")[1]) % 2:
        return {"numerator": 80 + seed, "denominator": 100}
    return {"points": f"{2 - (seed % 4) * 0.25:.2f}"}


@dataclass
class Synthetic:
    runtime: Runtime
    units: list[str]
    events: int
    admin: SigningKey
    secretariat: SigningKey
    clock: ManualClock

    @property
    def ledger(self) -> Ledger:
        return self.runtime.ledger


ACTS: dict[str, Callable[..., None]] = {
    "record_self_score": acts.record_self_score,
    "attach_evidence": acts.attach_evidence,
    "submit_self_assessment": acts.submit,
    "record_appraisal": acts.record_appraisal,
    "request_explanation": acts.request_explanation,
    "submit_explanation": acts.submit_explanation,
    "record_final_appraisal": acts.record_final_appraisal,
    "accept_self_scores": acts.accept_self_scores,
}


def do(card: Scorecard, command: SignedCommand, ctx: Context) -> None:
    """Record one act on the card straight through the domain (the signatures are real; the
    ledger's checks of keys and the clock are skipped to build the log fast)."""
    ACTS[command.type](card, command, command_type(command.type).parse(command.args), ctx)


def campaign_code(k: int) -> str:
    """The code of the synthetic campaign ``k`` (0: the one the benchmark publishes)."""
    return CAMPAIGN if k == 0 else f"{CAMPAIGN}-{k + 1}"


def build(
    database_url: str,
    home: str,
    events: int,
    progress: Callable[[int], None],
    campaigns: int = 1,
) -> Synthetic:
    """At least ``events`` events, the units shared out among ``campaigns`` campaigns run
    side by side (the units of campaign k are every ``campaigns``-th from the k-th)."""
    clock = ManualClock(START - timedelta(days=3))
    server = SigningKey.generate()
    runtime = open_runtime(
        Settings(database_url=database_url, home=home, ledger_name="bench"),
        clock=clock,
        server_key=server,
        project=False,
    )
    ledger = runtime.ledger
    admin = SigningKey.generate()
    initialise(ledger, admin, server, admin_name="Bench admin")
    n_units = max(2, -(-events // EVENTS_PER_UNIT))
    units = [f"U{i:05d}" for i in range(n_units)]
    for i, code in enumerate(units):
        send(
            ledger,
            admin,
            "register_unit",
            {"code": code, "name": f"Đơn vị {code}", "kind": ("department", "district")[i % 2]},
        )
    appraiser, secretariat = SigningKey.generate(), SigningKey.generate()
    enrolments = [
        (appraiser, [{"role": "appraiser", "scope": [str(a) for a in range(1, AREAS + 1)]}]),
        (secretariat, [{"role": "secretariat", "scope": []}]),
    ]
    staff_of: dict[str, SigningKey] = {}
    head_of: dict[str, SigningKey] = {}
    for first in range(0, n_units, 400):
        chunk = units[first : first + 400]
        staff_key, head_key = SigningKey.generate(), SigningKey.generate()
        enrolments += [
            (staff_key, [{"role": "unit_staff", "scope": chunk}]),
            (head_key, [{"role": "unit_head", "scope": chunk}]),
        ]
        staff_of.update(dict.fromkeys(chunk, staff_key))
        head_of.update(dict.fromkeys(chunk, head_key))
    for key, roles in enrolments:
        send(
            ledger,
            admin,
            "enrol_key",
            {"public_key": key.public_key, "name": "bench", "roles": roles},
        )
    send(ledger, admin, "define_indicator_set", definition())
    for k in range(campaigns):
        send(
            ledger,
            admin,
            "create_campaign",
            {
                "code": campaign_code(k),
                "year": 2025,
                "title": "Thử tải",
                "indicator_set": "BENCH-SET",
                "indicator_set_version": 1,
                "units": units[k::campaigns],
                "schedule": {
                    m: (START + timedelta(days=d)).isoformat()
                    for m, d in zip(MILESTONES, OFFSETS, strict=True)
                },
            },
        )
    tree = ledger.tree("BENCH-SET", 1)
    campaign_of = {}
    for k in range(campaigns):
        campaign = ledger.campaign(campaign_code(k))
        assert campaign is not None
        campaign_of.update(dict.fromkeys(campaign.units, campaign))
    leaves = [leaf.code for leaf in tree.leaves]
    sha = "ab" * 32

    def cmd(key: SigningKey, type_: str, args: dict[str, Any]) -> Any:
        return sign_command(key, ledger="bench", type=type_, args=args, issued_at=clock.now())

    phases: list[tuple[timedelta, Callable[[Scorecard, Context, int], None]]] = []

    def self_assessment(card: Scorecard, ctx: Context, n: int) -> None:
        base = {"campaign": card.campaign, "unit": card.unit}
        for code in leaves:
            do(
                card,
                cmd(
                    staff_of[card.unit],
                    "record_self_score",
                    {
                        **base,
                        "criterion": code,
                        "inputs": inputs_for(code, n),
                        "explanation": "số liệu báo cáo năm",
                    },
                ),
                ctx,
            )
        for code in leaves[:20]:
            do(
                card,
                cmd(
                    staff_of[card.unit],
                    "attach_evidence",
                    {
                        **base,
                        "criterion": code,
                        "sha256": sha,
                        "size": 1024,
                        "file_name": f"{code}.pdf",
                        "media_type": "application/pdf",
                    },
                ),
                ctx,
            )
        do(card, cmd(head_of[card.unit], "submit_self_assessment", base), ctx)

    def appraisal(card: Scorecard, ctx: Context, n: int) -> None:
        base = {"campaign": card.campaign, "unit": card.unit}
        for i, code in enumerate(leaves):
            changed = i % 5 == 0
            do(
                card,
                cmd(
                    appraiser,
                    "record_appraisal",
                    {
                        **base,
                        "criterion": code,
                        "inputs": inputs_for(code, n, 3 if changed else 0),
                        "reason": "đối chiếu hồ sơ",
                    },
                ),
                ctx,
            )
        for code in leaves[1:50:10]:
            do(
                card,
                cmd(
                    appraiser, "request_explanation", {**base, "criterion": code, "note": "làm rõ"}
                ),
                ctx,
            )

    def explanation(card: Scorecard, ctx: Context, n: int) -> None:
        base = {"campaign": card.campaign, "unit": card.unit}
        for code in leaves[1:50:10]:
            do(
                card,
                cmd(
                    staff_of[card.unit],
                    "submit_explanation",
                    {**base, "criterion": code, "explanation": "giải trình kèm tài liệu"},
                ),
                ctx,
            )

    def final(card: Scorecard, ctx: Context, n: int) -> None:
        base = {"campaign": card.campaign, "unit": card.unit}
        contested = [c for c in leaves if card.entry(c).contested][:10]
        for code in contested:
            do(
                card,
                cmd(
                    appraiser,
                    "record_final_appraisal",
                    {**base, "criterion": code, "decision": "confirm", "reason": "giữ nguyên"},
                ),
                ctx,
            )

    def closing(card: Scorecard, ctx: Context, n: int) -> None:
        do(
            card,
            cmd(secretariat, "accept_self_scores", {"campaign": card.campaign, "unit": card.unit}),
            ctx,
        )

    phases = [
        (timedelta(days=5), self_assessment),
        (timedelta(days=35), appraisal),
        (timedelta(days=47), explanation),
        (timedelta(days=55), final),
        (timedelta(days=61), closing),
    ]
    recorded = ledger.recorder.max_notification_id() or 0
    for offset, act in phases:
        clock.set(START + offset)
        for n, unit in enumerate(units):
            campaign = campaign_of[unit]
            card = ledger.repository.get(ledger.scorecard(campaign.code, unit).id)  # type: ignore[union-attr]
            act(card, Context(tree, campaign, clock.now()), n)
            recorded += len(card.pending_events)
            ledger.save(card)
            progress(recorded)
    return Synthetic(
        runtime, units, ledger.recorder.max_notification_id() or 0, admin, secretariat, clock
    )
