"""The command line tells a person who will read what they record, and when: in the help of
every command that records a campaign's content, and after its receipt; and it shows a leaf
as the public reads it."""

from __future__ import annotations

import re
from pathlib import Path

from tests.e2e.test_cli_client import output, parledger


def flat(text: str) -> str:
    return re.sub(r"[\s│]+", " ", text)


def test_the_help_of_a_scorecard_command_says_who_reads_it(tmp_path: Path) -> None:
    for command in ("record-self-score", "submit-explanation", "attach-evidence"):
        shown = flat(output(parledger(tmp_path, "cmd", command, "--help")))
        assert "Who reads what this records" in shown, command
        assert "the public, when the campaign's results are published" in shown, command
    shown = flat(output(parledger(tmp_path, "cmd", "register-unit", "--help")))
    assert "Who reads what this records" not in shown


def test_log_leaf_needs_a_ledger(tmp_path: Path) -> None:
    result = parledger(tmp_path, "log-leaf", "0")
    assert result.returncode != 0
    assert "no ledger" in output(result).lower() or "parledger init" in output(result)
