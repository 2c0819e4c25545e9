"""Backups that prove themselves (ADR 11).

``backup`` writes into an empty directory a consistent copy of the whole store (the events,
the read models and the tables no rebuild gives back: signed checkpoints, cosignatures and
published tables), every evidence file, and last a manifest: the copy's SHA-256 and size,
each evidence file's, the number of events, and the latest checkpoint the log had signed
in that copy. ``restore`` checks the backup against its manifest (a truncated or damaged
copy is refused), refuses a store that already holds anything, and restores;
``projections.backup_check`` then verifies the restored ledger. Private keys are never
part of a backup."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ledger.application.settings import Settings
from ledger.application.storage import (
    POSTGRES_TABLE,
    SQLITE_TABLE,
    postgres_location,
    sqlite_path,
)
from ledger.application.store_copy import (
    copy_sqlite,
    dump_postgres,
    postgres_tables_in_use,
    query_sqlite,
    restore_postgres,
    sqlite_tables_in_use,
)
from ledger.core.canonical import format_time
from ledger.core.codes import SHA256
from ledger.core.errors import LedgerError
from projections.transparency_log.checkpoints import log_signer

MANIFEST = "manifest.json"
FORMAT = "parledger-backup/1"
POSTGRES_FILE = "store.pgdump"
SQLITE_FILE = "store.sqlite3"
EVIDENCE = "evidence"
_SHA256 = re.compile(SHA256)
CHUNK = 1 << 20


class BackupError(LedgerError):
    code = "backup_refused"


@dataclass
class Manifest:
    created_at: str
    store: str  # "postgresql" or "sqlite"
    schema: str | None
    database_file: str
    database_sha256: str
    database_size: int
    position: int  # the last log position in the copy
    events: int
    checkpoint: dict[str, Any] | None  # the latest signed: size, root, note, signed_at
    checkpoints: int
    log_key: str | None  # the log's verifier key, if the backed-up home had the log key
    evidence: list[dict[str, Any]] = field(default_factory=list)  # sha256, size
    format: str = FORMAT

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                raise BackupError(f"{path} is not a parledger backup manifest ({FORMAT})")
            return cls(**data)
        except FileNotFoundError:
            raise BackupError(
                f"{path} is missing: the backup is incomplete (the manifest is written last)"
            ) from None
        except (ValueError, TypeError) as error:
            raise BackupError(f"{path} cannot be read: {error}") from None


def _hash_file(path: Path) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _facts_queries(events: str, position: str, checkpoints: str) -> list[str]:
    """The copy's last log position and number of events, its latest signed checkpoint and
    the number of checkpoints (table names are the ledger's own, never input)."""
    return [
        f"SELECT max({position}) AS position, count(*) AS events FROM {events}",  # noqa: S608
        f"SELECT size, root, note, signed_at FROM {checkpoints} "  # noqa: S608
        "ORDER BY size DESC LIMIT 1",
        f"SELECT count(*) AS n FROM {checkpoints}",  # noqa: S608
    ]


def _evidence_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file() and _SHA256.fullmatch(p.name))


def backup(settings: Settings, directory: Path, now: datetime) -> tuple[Manifest, list[str]]:
    """Write a backup of the configured store into ``directory`` (absent or empty); the
    manifest, and the evidence files left out because they no longer match their hash."""
    if directory.exists() and any(directory.iterdir()):
        raise BackupError(f"{directory} is not empty: back up into a new directory")
    directory.mkdir(parents=True, exist_ok=True)
    where, path = postgres_location(settings.database_url), sqlite_path(settings.database_url)
    if where is not None:
        file = directory / POSTGRES_FILE
        schema = f'"{where.schema}"'
        queries = _facts_queries(
            f"{schema}.{POSTGRES_TABLE}", "notification_id", f"{schema}.pv_checkpoints"
        )
        answers = dump_postgres(where, file, queries)
    else:
        assert path is not None
        file = directory / SQLITE_FILE
        copy_sqlite(path, file)
        answers = query_sqlite(file, _facts_queries(SQLITE_TABLE, "rowid", "pv_checkpoints"))
    facts, latest, counted = answers
    evidence, damaged = [], []
    for source in _evidence_files(settings.evidence_dir):
        digest, size = _hash_file(source)
        if digest != source.name:
            damaged.append(f"evidence file {source.name} no longer matches its hash: left out")
            continue
        target = directory / EVIDENCE / source.relative_to(settings.evidence_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        evidence.append({"sha256": digest, "size": size})
    digest, size = _hash_file(file)
    manifest = Manifest(
        created_at=format_time(now),
        store="postgresql" if where is not None else "sqlite",
        schema=where.schema if where is not None else None,
        database_file=file.name,
        database_sha256=digest,
        database_size=size,
        position=int(facts[0]["position"] or 0) if facts else 0,
        events=int(facts[0]["events"]) if facts else 0,
        checkpoint={k: latest[0][k] for k in ("size", "root", "note", "signed_at")}
        if latest
        else None,
        checkpoints=int(counted[0]["n"]) if counted else 0,
        log_key=log_signer(settings).verifier().to_string()
        if settings.log_key_file.exists()
        else None,
        evidence=evidence,
    )
    written = directory / (MANIFEST + ".part")
    written.write_text(manifest.to_json(), encoding="utf-8")
    os.replace(written, directory / MANIFEST)
    return manifest, damaged


def check_backup(directory: Path) -> Manifest:
    """The backup's manifest, once every file it names is there with its size and hash."""
    manifest = Manifest.read(directory)
    problems = []
    file = directory / manifest.database_file
    if not file.is_file():
        problems.append(f"{file} is missing")
    else:
        digest, size = _hash_file(file)
        if size != manifest.database_size:
            problems.append(
                f"{file} has {size} bytes, the manifest says {manifest.database_size}"
                + (": it was cut short" if size < manifest.database_size else "")
            )
        elif digest != manifest.database_sha256:
            problems.append(f"{file} does not match its SHA-256 in the manifest: it was changed")
    for item in manifest.evidence:
        sha256 = str(item["sha256"])
        found = directory / EVIDENCE / sha256[:2] / sha256[2:4] / sha256
        if not found.is_file():
            problems.append(f"evidence file {sha256} is missing")
        elif _hash_file(found) != (sha256, item["size"]):
            problems.append(f"evidence file {sha256} does not match its hash")
    if problems:
        raise BackupError(
            f"the backup in {directory} is damaged: " + "; ".join(problems), code="backup_damaged"
        )
    return manifest


def restore(settings: Settings, directory: Path) -> Manifest:
    """Restore a checked backup into the configured store, which must hold nothing yet."""
    manifest = check_backup(directory)
    where, path = postgres_location(settings.database_url), sqlite_path(settings.database_url)
    kind = "postgresql" if where is not None else "sqlite"
    if kind != manifest.store:
        raise BackupError(
            f"the backup is of a {manifest.store} store; PARLEDGER_DATABASE_URL is {kind}"
        )
    if where is not None:
        in_use = postgres_tables_in_use(where)
    else:
        assert path is not None
        in_use = sqlite_tables_in_use(path)
    if in_use:
        raise BackupError(
            f"the store at {settings.database_url} is not empty ({', '.join(in_use[:5])} hold "
            "rows): restore into an empty database"
        )
    if where is not None:
        restore_postgres(where, directory / manifest.database_file, manifest.schema or "public")
    else:
        assert path is not None
        copy_sqlite(directory / manifest.database_file, path)
    for item in manifest.evidence:
        sha256 = str(item["sha256"])
        relative = Path(sha256[:2]) / sha256[2:4] / sha256
        target = settings.evidence_dir / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(directory / EVIDENCE / relative, target)
    return manifest
