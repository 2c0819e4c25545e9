"""The worked example in docs/FORMATS.md §11 is what the code produces, byte for byte."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core.crypto import SigningKey
from ledger.core.envelope import sign_command
from ledger.core.events import event_bytes, event_hash
from ledger.core.ids import scorecard_id

FORMATS = Path(__file__).resolve().parents[2] / "docs" / "FORMATS.md"
PREVIOUS = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
RFC8032_SECRET = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"


def example() -> tuple[bytes, str, str, UUID]:
    key = SigningKey(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(RFC8032_SECRET)))
    at = datetime(2023, 2, 1, 3, 15, tzinfo=UTC)
    args = {
        "campaign": "HN-2022",
        "unit": "HN",
        "criterion": "1.1",
        "inputs": {"points": "1.5"},
        "note": "",
        "explanation": "Báo cáo số 12/BC-UBND",
    }
    command = sign_command(
        key,
        ledger="parledger.local/demo",
        type="record_self_score",
        args=args,
        issued_at=at,
        nonce="00112233445566778899aabbccddeeff",
    )
    aggregate = scorecard_id("HN-2022", "HN")
    fields = {
        "aggregate_type": "Scorecard",
        "aggregate_id": aggregate,
        "version": 2,
        "event_type": "SelfScoreRecorded",
        "recorded_at": at,
        "prev_hash": PREVIOUS,
        "body": {**args, "points": "1.5"},
        "command": command.envelope(),
    }
    return event_bytes(**fields), event_hash(**fields), command.signature, aggregate


def block(name: str) -> str:
    text = FORMATS.read_text(encoding="utf-8")
    match = re.search(rf"<!-- {name} -->\n```[a-z]*\n(.*?)\n```", text, re.S)
    assert match, f"docs/FORMATS.md lacks the {name} block"
    return match.group(1)


def test_the_documented_event_bytes_and_hash_are_the_codes() -> None:
    data, digest, signature, aggregate = example()
    assert block("example-event-bytes") == data.decode("utf-8")
    assert block("example-event-hash") == digest
    assert signature in data.decode("utf-8")
    assert str(aggregate) in block("example-event-bytes")
