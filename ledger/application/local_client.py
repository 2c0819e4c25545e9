"""Acting on a local ledger as a person: sign a command with a key file and record it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ledger.application.service import Ledger, Receipt
from ledger.core.crypto import SigningKey
from ledger.core.envelope import sign_command


def load_or_create_key(path: Path) -> SigningKey:
    """The key in ``path``, generated (mode 0600) if the file does not exist yet."""
    if path.exists():
        return SigningKey.load(path)
    key = SigningKey.generate()
    key.save(path)
    return key


def send(ledger: Ledger, key: SigningKey, command_type: str, args: dict[str, Any]) -> Receipt:
    command = sign_command(
        key,
        ledger=ledger.keyring().ledger or ledger.settings.ledger_name,
        type=command_type,
        args=args,
        issued_at=ledger.clock.now(),
    )
    return ledger.execute(command)


def initialise(
    ledger: Ledger,
    admin_key: SigningKey,
    server_key: SigningKey,
    *,
    admin_name: str,
    admin_title: str = "",
    admin_unit: str = "",
) -> Receipt:
    return send(
        ledger,
        admin_key,
        "init_ledger",
        {
            "administrator": {
                "public_key": admin_key.public_key,
                "name": admin_name,
                "title": admin_title,
                "unit": admin_unit,
            },
            "server": {
                "public_key": server_key.public_key,
                "name": ledger.settings.ledger_name,
            },
        },
    )


def enrol_once(ledger: Ledger, admin: SigningKey, key: SigningKey, person: dict[str, Any]) -> None:
    """Enrol ``key`` for ``person`` unless the ledger already has it."""
    if ledger.keyring().get(key.key_id) is None:
        send(ledger, admin, "enrol_key", {"public_key": key.public_key, **person})
