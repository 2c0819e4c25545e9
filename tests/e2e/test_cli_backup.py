"""Backups that prove themselves, through the command line on SQLite and PostgreSQL: a
backup restored into a fresh database verifies against every checkpoint the log signed and
against a checkpoint a witness saw at the time; a newer checkpoint is reported with the
exact number of leaves the backup lacks; a truncated backup and a store that is not empty
are refused, and nothing is restored then."""

from __future__ import annotations

import json
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from tests.conftest import PG_ADMIN_URL
from tests.e2e.test_cli_demo import ok, output, parledger
from tests.world import World, run_and_publish


@dataclass
class Source:
    url: str
    home: Path
    log_key: str
    backup: Path
    at_backup: Path  # the latest checkpoint note when the backup was written
    newer: Path  # a checkpoint signed after the backup
    newer_size: int
    backup_leaves: int

    def env(self) -> dict[str, str]:
        return {"PARLEDGER_DATABASE_URL": self.url, "PARLEDGER_HOME": str(self.home)}


@pytest.fixture
def fresh_store(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """Empty stores of the source's kind: a new SQLite file, or a new PostgreSQL database
    (dropped after the test)."""
    made: list[str] = []

    def make(kind: str) -> str:
        if kind.startswith("sqlite"):
            return f"sqlite:///{tmp_path}/restored-{uuid.uuid4().hex[:6]}.sqlite3"
        name = f"parledger_restore_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"

    yield make
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        for name in made:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def source(world: World, tmp_path: Path) -> Source:
    """A published campaign, backed up with ``parledger backup``, then more events and a
    newer signed checkpoint."""
    publishing = world.publishing
    run_and_publish(world)
    checkpoints = publishing.checkpoints
    publishing.projector.catch_up()
    at_backup = checkpoints.sign(world.clock.now())
    settings = world.ledger.settings
    url, home = settings.database_url, settings.home
    log_key = checkpoints.signer.verifier().to_string()
    folder = tmp_path / "backup"
    env = {"PARLEDGER_DATABASE_URL": url, "PARLEDGER_HOME": str(home)}
    result = ok(parledger(tmp_path, "backup", str(folder), extra_env=env))
    assert f"{at_backup['size']} leaves" in result.stdout, output(result)
    for code in ("N1", "N2", "N3"):
        world.send(world.admin, "register_unit", {"code": code, "name": code, "kind": "district"})
    publishing.projector.catch_up()
    newer = checkpoints.sign(world.clock.now())
    assert int(newer["size"]) == int(at_backup["size"]) + 3
    world.ledger.close()
    (tmp_path / "at-backup.note").write_text(at_backup["note"], encoding="utf-8")
    (tmp_path / "newer.note").write_text(newer["note"], encoding="utf-8")
    return Source(
        url,
        home,
        log_key,
        folder,
        tmp_path / "at-backup.note",
        tmp_path / "newer.note",
        int(newer["size"]),
        int(at_backup["size"]),
    )


def restore(source: Source, target: str, home: Path, *args: str) -> tuple[int, str]:
    env = {"PARLEDGER_DATABASE_URL": target, "PARLEDGER_HOME": str(home)}
    result = parledger(home.parent, "restore", str(source.backup), *args, extra_env=env)
    assert "Traceback" not in output(result), output(result)
    return result.returncode, output(result)


def test_the_backup_names_its_copy_and_latest_checkpoint(source: Source) -> None:
    manifest = json.loads((source.backup / "manifest.json").read_text())
    assert manifest["format"] == "parledger-backup/1"
    assert manifest["checkpoint"]["size"] == source.backup_leaves
    assert manifest["checkpoint"]["note"] == source.at_backup.read_text()
    assert manifest["events"] == source.backup_leaves
    assert manifest["log_key"] == source.log_key
    assert len(manifest["evidence"]) == 1
    assert (source.backup / manifest["database_file"]).stat().st_size == manifest["database_size"]
    assert not list(source.backup.rglob("*.key")), "a backup holds no private key"


def test_a_backup_restored_into_a_fresh_store_verifies(
    source: Source, fresh_store: Callable[[str], str], tmp_path: Path
) -> None:
    target, home = fresh_store(source.url), tmp_path / "restored-home"
    code, text = restore(
        source, target, home, "--checkpoint", str(source.at_backup), "--log-key", source.log_key
    )
    assert code == 0, text
    for phrase in (
        f"restored {source.backup_leaves} events and 1 evidence files",
        "events in",
        "checkpoints signed by",
        "are prefixes of the stored log",
        "publication 1 of C2023: its table is kept unchanged",
        "1 attached evidence files match their hashes",
        f"the backup's latest checkpoint ({source.backup_leaves} leaves",
        f"the given checkpoint of {source.backup_leaves} leaves is consistent",
    ):
        assert phrase in text, text
    verified = ok(
        parledger(
            tmp_path,
            "verify",
            "--log-key",
            source.log_key,
            extra_env={"PARLEDGER_DATABASE_URL": target, "PARLEDGER_HOME": str(home)},
        )
    )
    assert f"ok: {source.backup_leaves} events" in verified.stdout
    # a store that holds something is never restored into
    code, text = restore(source, target, home, "--log-key", source.log_key)
    assert code == 1
    assert "is not empty" in text, text


def test_a_newer_checkpoint_counts_the_leaves_the_backup_lacks(
    source: Source, fresh_store: Callable[[str], str], tmp_path: Path
) -> None:
    target, home = fresh_store(source.url), tmp_path / "restored-home"
    code, text = restore(source, target, home, "--checkpoint", str(source.newer))
    assert code == 1, text
    missing = source.newer_size - source.backup_leaves
    assert "checking against the log key the backup names" in text
    assert (
        f"the given checkpoint has {source.newer_size} leaves and the restored log "
        f"{source.backup_leaves}: {missing} leaves (log indexes {source.backup_leaves} to "
        f"{source.newer_size - 1}) were recorded after this backup and are missing" in text
    ), text


def test_a_truncated_backup_is_refused_and_nothing_is_restored(
    source: Source, fresh_store: Callable[[str], str], tmp_path: Path
) -> None:
    damaged = tmp_path / "damaged"
    shutil.copytree(source.backup, damaged)
    manifest = json.loads((damaged / "manifest.json").read_text())
    dump = damaged / manifest["database_file"]
    dump.write_bytes(dump.read_bytes()[: manifest["database_size"] // 2])
    target, home = fresh_store(source.url), tmp_path / "restored-home"
    env = {"PARLEDGER_DATABASE_URL": target, "PARLEDGER_HOME": str(home)}
    result = parledger(tmp_path, "restore", str(damaged), extra_env=env)
    assert result.returncode == 1, output(result)
    assert "backup_damaged" in output(result)
    assert f"has {manifest['database_size'] // 2} bytes" in output(result)
    assert "cut short" in output(result)
    # the target is still empty: a good backup restores into it
    code, text = restore(source, target, home, "--log-key", source.log_key)
    assert code == 0, text
    # a backup without its manifest is incomplete
    (damaged / "manifest.json").unlink()
    result = parledger(tmp_path, "restore", str(damaged), extra_env=env)
    assert result.returncode == 1
    assert "the backup is incomplete" in output(result)
