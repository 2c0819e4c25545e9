"""The command table: one declaration per command type, read by parsing, authorization, the
verifier, the command line and the API; its refusals say what to send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.core.envelope import SignedCommand
from ledger.core.errors import AuthorizationError, LedgerError
from ledger.core.ids import scorecard_id
from ledger.domain.authorization import authorize
from ledger.domain.catalogue import AGGREGATE_OF
from ledger.domain.commands import COMMAND_TYPES, COMMANDS, command_type, target_of
from ledger.domain.keyring import Grant, KeyRecord
from ledger.domain.scopes import RunningFacts, held_grants

SCORE = {"campaign": "C", "unit": "D1", "criterion": "1.1", "inputs": {"points": "1.5"}}


def refusal(name: str, args: dict[str, Any]) -> LedgerError:
    with pytest.raises(LedgerError) as caught:
        command_type(name).parse(args)
    return caught.value


def test_every_command_type_is_declared_once_with_its_events_and_handler() -> None:
    assert len(COMMANDS) == len(COMMAND_TYPES)
    for kind in COMMAND_TYPES:
        assert kind.events, kind.name
        assert all(event in AGGREGATE_OF for event in kind.events), kind.name
        assert (kind.handler is None) == kind.system, kind.name
        assert kind.summary.endswith("."), kind.name
        for name, field in kind.args.model_fields.items():
            assert field.description, (kind.name, name)


def test_the_target_is_found_from_the_arguments_alone() -> None:
    assert target_of("record_self_score", SCORE) == scorecard_id("C", "D1")
    assert command_type("lock_scorecard").target(SCORE) == scorecard_id("C", "D1")


def test_a_decimal_sent_as_a_json_number_is_told_to_be_a_string() -> None:
    error = refusal("record_self_score", {**SCORE, "inputs": {"points": 1.5}})
    assert error.field == "command.args.inputs.points"
    assert "send decimals as strings" in error.message
    error = refusal("record_external_score", {**SCORE, "points": 2, "source": "survey"})
    assert error.message.startswith("command.args.points: 2 is not a string")
    assert 'send decimals as strings, e.g. "2"' in error.message
    assert ".int" not in error.message
    assert ".str" not in error.message


def test_a_missing_or_unknown_argument_is_named() -> None:
    missing = {k: v for k, v in SCORE.items() if k != "criterion"}
    error = refusal("record_self_score", missing)
    assert error.message == "command.args.criterion: this argument is required"
    error = refusal("record_self_score", {**SCORE, "score": "1"})
    assert error.message == "command.args.score: this command takes no such argument"
    assert refusal("publish_results", {"campaign": "C"}).field == "command.args.table_sha256"


def test_an_unknown_command_type_is_refused() -> None:
    error = refusal("delete_everything", {})
    assert error.code == "unknown_command"


def key(*grants: Grant) -> KeyRecord:
    return KeyRecord(
        "a" * 32, "x", "Nguyễn Văn An", "", "", grants, datetime(2023, 1, 1, tzinfo=UTC)
    )


def test_a_refusal_out_of_scope_names_the_scope_the_key_holds() -> None:
    staff = key(Grant("unit_staff", ("HN",)), Grant("appraiser", ("1", "4")))
    assert held_grants(staff) == (
        "unit_staff for unit HN; appraiser for criteria 1, 4 for the whole ledger"
    )

    class Ring:
        ledger = "L"

        def get(self, key_id: str) -> KeyRecord | None:
            return staff

    command = SignedCommand(
        payload={
            "ledger": "L",
            "type": "record_self_score",
            "args": {**SCORE, "unit": "hn"},
            "key_id": staff.key_id,
            "issued_at": "2023-01-02T00:00:00.000000Z",
            "nonce": "0123456789abcdef",
        },
        signature="",
    )
    with pytest.raises(AuthorizationError) as caught:
        authorize(Ring(), command, staff, RunningFacts())
    assert caught.value.code == "out_of_scope"
    assert "needs the role unit_staff for unit hn" in caught.value.message
    assert (
        "holds unit_staff for unit HN; appraiser for criteria 1, 4 for the whole ledger"
        in caught.value.message
    )
