"""Every setting the service reads is documented in the README's settings table."""

from __future__ import annotations

from pathlib import Path

from ledger.application.settings import Settings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")


def test_every_setting_has_a_row_in_the_readme() -> None:
    missing = [
        name for name in Settings.model_fields if f"| `PARLEDGER_{name.upper()}` |" not in README
    ]
    assert missing == []
