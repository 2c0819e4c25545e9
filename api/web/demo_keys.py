"""The demo's people, for trying every role in a minute: on a store seeded by ``parledger
demo`` (or ``serve``), the demo wrote each person's private key under ``<home>/keys/``.
Offered only outside production, and only for keys that are enrolled, active and not the
server's: a development convenience, never a way to sign in on a real ledger."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from ledger.application.settings import Settings
from ledger.core.crypto import SigningKey
from ledger.core.errors import LedgerError
from ledger.domain.keyring import ROLE_TITLES, SYSTEM_ROLE, KeyRecord, Keyring


@dataclass(frozen=True)
class DemoPerson:
    key: KeyRecord
    file: Path

    @property
    def roles(self) -> str:
        return "; ".join(
            ROLE_TITLES.get(g.role, g.role) + (f": {', '.join(g.scope)}" if g.scope else "")
            for g in self.key.grants
        )


def offered(settings: Settings, demo_seeded: bool) -> bool:
    """Outside production, on a store that holds the demo's campaigns."""
    return settings.environment != "production" and demo_seeded


def people(settings: Settings, keyring: Keyring, demo_seeded: bool) -> list[DemoPerson]:
    if not offered(settings, demo_seeded) or not settings.keys_dir.is_dir():
        return []
    found: list[DemoPerson] = []
    for path in sorted(settings.keys_dir.glob("*.key")):
        try:
            key = SigningKey.load(path)
        except LedgerError:
            continue
        record = keyring.get(key.key_id)
        if record is None or not record.active or record.has_role(SYSTEM_ROLE):
            continue
        found.append(DemoPerson(record, path))
    order = {role: i for i, role in enumerate(ROLE_TITLES)}
    found.sort(key=lambda p: (min(order.get(g.role, 99) for g in p.key.grants), p.key.name))
    return found


def pkcs8(pem: bytes) -> str:
    """A PEM private key as base64 PKCS#8 DER, for WebCrypto's importKey."""
    private = serialization.load_pem_private_key(pem, password=None)
    der = private.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    return base64.b64encode(der).decode("ascii")
