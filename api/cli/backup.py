"""Backups that prove themselves: ``parledger backup DIR`` and ``parledger restore DIR``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from api.bootstrap import open_runtime
from api.cli.app import app
from api.cli.support import Failure, LogKeyOption, _log_key, _run, err, out
from ledger.application.settings import Settings
from ledger.transparency.note_keys import NoteVerifier
from projections.backup import Manifest, backup, restore
from projections.backup_check import verify_restored


@app.command(name="backup")
def backup_command(
    directory: Annotated[Path, typer.Argument(help="a new (or empty) directory to write into")],
) -> None:
    """Write a consistent copy of the store (pg_dump at one snapshot, or SQLite's online
    backup) and of every evidence file into DIR, with a manifest naming the latest checkpoint
    the log had signed. Private keys are not copied: keep them apart."""

    def act() -> None:
        manifest, damaged = backup(Settings(), directory, datetime.now(UTC))
        latest = manifest.checkpoint
        out.print(
            f"backed up {manifest.events} events (log position {manifest.position}), "
            f"{manifest.checkpoints} signed checkpoints, the latest of "
            f"{latest['size'] if latest else 0} leaves, and {len(manifest.evidence)} evidence "
            f"files into {directory} ({manifest.database_file}, "
            f"{manifest.database_size:,} bytes, SHA-256 {manifest.database_sha256})",
            soft_wrap=True,
            highlight=False,
        )
        for line in damaged:
            err.print(f"FAILED: {line}", soft_wrap=True, highlight=False, markup=False)
        if damaged:
            raise typer.Exit(1)

    _run(act)


@app.command(name="restore")
def restore_command(
    directory: Annotated[Path, typer.Argument(help="a directory written by parledger backup")],
    checkpoint: Annotated[
        Path | None,
        typer.Option(
            "--checkpoint",
            help="a newer checkpoint note of the log (e.g. the latest a witness cosigned): the "
            "restored log must hold it, or the leaves it lacks are counted",
        ),
    ] = None,
    log_key: LogKeyOption = None,
) -> None:
    """Restore a backup into the configured store, which must be empty, then verify it: every
    event, every checkpoint the log had signed, published tables, evidence files, and the
    given newer checkpoint. Exits non-zero naming what is missing or wrong."""

    def act() -> None:
        settings = Settings()
        newer = checkpoint.read_text(encoding="utf-8") if checkpoint is not None else None
        manifest = restore(settings, directory)
        out.print(
            f"restored {manifest.events} events and {len(manifest.evidence)} evidence files "
            f"from {directory} (backed up {manifest.created_at}) into {settings.database_url}",
            soft_wrap=True,
            highlight=False,
        )
        trusted = _key_of(log_key, settings, manifest)
        runtime = open_runtime(settings)
        report = verify_restored(runtime.ledger, runtime.publishing, manifest, trusted, newer)
        for line in report.checked:
            out.print(f"ok: {line}", soft_wrap=True, highlight=False, markup=False)
        for line in report.problems:
            err.print(f"FAILED: {line}", soft_wrap=True, highlight=False, markup=False)
        if not report.ok:
            raise typer.Exit(1)

    _run(act)


def _key_of(given: str | None, settings: Settings, manifest: Manifest) -> NoteVerifier:
    """The log key to check against: given, the restored home's own, or (said so) the one
    the backup's manifest names."""
    if given is not None or settings.log_key_file.exists():
        return _log_key(given, settings)
    if manifest.log_key is None:
        raise Failure("give --log-key (the log's verifier key, from GET /v1/log/key)")
    err.print(
        "checking against the log key the backup names; give --log-key to check against the "
        "key you know",
        soft_wrap=True,
    )
    return NoteVerifier.from_string(manifest.log_key)
