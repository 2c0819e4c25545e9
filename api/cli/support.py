"""What the ``parledger`` commands share: the consoles, one-line errors, the configured
ledger and read models, output formats, and where a signed command goes (a server or the
local store)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from api.bootstrap import Runtime, open_runtime
from api.cli.remote import RemoteLedger
from api.cli.table_fit import fit
from ledger.application.media import ALLOWED, sniff
from ledger.application.service import Ledger, Receipt
from ledger.application.settings import Settings
from ledger.application.store_presence import shown_url, why_no_ledger
from ledger.core.canonical import parse_time
from ledger.core.crypto import SigningKey
from ledger.core.envelope import sign_command
from ledger.core.errors import LedgerError
from ledger.domain.commands import command_type as command_type_of
from ledger.transparency.note_keys import NoteVerifier
from projections.read_models.queries import AsOf, ReadModels
from projections.transparency_log.checkpoints import log_signer

out = Console()
err = Console(stderr=True)
T = TypeVar("T")

KeyOption = Annotated[
    Path,
    typer.Option("--key", envvar="PARLEDGER_KEY", help="private key file that signs the command"),
]
ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="PARLEDGER_SERVER",
        help="URL of a parledger server (default: act on the local store)",
    ),
]
ReadKeyOption = Annotated[
    Path | None,
    typer.Option(
        "--key",
        envvar="PARLEDGER_KEY",
        help="enrolled key file to log in with (needed with --server)",
    ),
]


def show(table: Table) -> None:
    """Print a table fitted to the output's width: codes, numbers and times whole."""
    out.print(fit(table, out.width, out), crop=False)


class Failure(Exception):
    """A one-line error for the user."""


def _one_line(text: str) -> str:
    return " ".join(text.split())


@contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except LedgerError as error:
        _fail(f"[red]error[/] ({escape(error.code)}): {escape(_one_line(error.message))}")
    except Failure as error:
        _fail(f"[red]error[/]: {escape(_one_line(str(error)))}")
    except OSError as error:
        _fail(f"[red]error[/]: {escape(_one_line(str(error)))}")


def _fail(line: str) -> None:
    err.print(line, highlight=False, soft_wrap=True)
    raise typer.Exit(1) from None


def refuse_where_no_ledger(settings: Settings, *, server_hint: bool = True) -> None:
    """Only ``init``, ``demo`` and ``serve`` create a store: any other command, run where no
    ledger is recorded, says so and how to point at one, and leaves no file, directory or
    table behind."""
    missing = why_no_ledger(settings.database_url)
    if missing is None:
        return
    elsewhere = " or --server URL at its server" if server_hint else ""
    raise Failure(
        f"there is no ledger at {shown_url(settings.database_url)} ({missing}): point "
        f"PARLEDGER_DATABASE_URL at the ledger's database{elsewhere}; "
        "parledger init creates a ledger, parledger demo a demo one"
    )


def _runtime(*, create: bool = False, server_hint: bool = True, **kwargs: Any) -> Runtime:
    """The configured ledger, with its read models catching up after every command, able to
    publish (the log's checkpoints signed with the local log key). Unless ``create``, the
    ledger must exist already."""
    settings = Settings()
    if not create:
        refuse_where_no_ledger(settings, server_hint=server_hint)
    return open_runtime(settings, **kwargs)


def _ledger(*, create: bool = False, server_hint: bool = True, **kwargs: Any) -> Ledger:
    return _runtime(create=create, server_hint=server_hint, **kwargs).ledger


LogKeyOption = Annotated[
    str | None,
    typer.Option(
        "--log-key",
        envvar="PARLEDGER_LOG_KEY",
        help="the log's verifier key <name>+<id>+<key> (GET /v1/log/key), or a file holding it",
    ),
]


def _log_key(value: str | None, settings: Settings | None = None) -> NoteVerifier:
    """The log key to check checkpoints against: given, in a file, or (for the local store)
    the local log key's own."""
    if value is None:
        settings = settings or Settings()
        if not settings.log_key_file.exists():
            raise Failure("give --log-key (the log's verifier key, from GET /v1/log/key)")
        return log_signer(settings).verifier()
    if "+" not in value and Path(value).is_file():
        value = Path(value).read_text(encoding="utf-8").strip()
    return NoteVerifier.from_string(value.strip())


def _reads() -> ReadModels:
    return _runtime().reads


FormatOption = Annotated[str, typer.Option("--format", help="table, json or csv")]


def _require_campaign(reads: ReadModels, campaign: str) -> None:
    if reads.campaign_doc(campaign) is None:
        raise Failure(f"campaign {campaign} does not exist")


def _check_format(fmt: str, allowed: tuple[str, ...] = ("table", "json", "csv")) -> None:
    if fmt not in allowed:
        raise Failure(f"unknown format {fmt!r}: use {', '.join(allowed[:-1])} or {allowed[-1]}")


def _time(text: str, option: str) -> datetime:
    """An RFC 3339 time given on the command line, within what the ledger can record."""
    moment = parse_time(text, option)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise Failure(f"{option} {text} lies outside the years 1 to 9999 in UTC") from None
    return moment


def _as_of(position: int | None, at: str | None) -> AsOf | None:
    if position is None and at is None:
        return None
    return AsOf(position=position, at=_time(at, "--as-of") if at else None)


AsOfPosition = Annotated[
    int | None, typer.Option("--as-of-position", help="as it stood at this log position")
]
AsOfTime = Annotated[
    str | None, typer.Option("--as-of", help="as it stood at this time (RFC 3339)")
]


def _run(action: Callable[[], T]) -> T:
    with _errors():
        return action()


def _receipt(receipt: Receipt) -> None:
    out.print(
        f"recorded {receipt.event_type} as log leaf {receipt.leaf} "
        f"(event {receipt.event_id}, hash {receipt.event_hash})",
        highlight=False,
        soft_wrap=True,
    )


def _interactive() -> bool:
    """Progress is drawn (on stderr) only for a person at a terminal."""
    return out.is_terminal and err.is_terminal


def _progress_bar() -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
        disable=not _interactive(),
    )


def _spinner(text: str) -> AbstractContextManager[Any]:
    return err.status(text) if _interactive() else nullcontext()


# -- where commands go: a server or the local store ---------------------------------------


class Target:
    """Signs commands with the ledger's name and records them, over HTTP at ``server``
    or on the local store when there is no server."""

    def __init__(self, server: str | None) -> None:
        self.remote = RemoteLedger(server) if server else None
        self._local: Ledger | None = None
        self._name: str | None = None

    @property
    def local(self) -> Ledger:
        return self._open_local(create=False)

    def _open_local(self, *, create: bool) -> Ledger:
        if self._local is None:
            self._local = _ledger(create=create)
        return self._local

    def ledger_name(self) -> str:
        if self._name is None:
            if self.remote is not None:
                self._name = self.remote.ledger_name()
            else:
                self._name = self.local.keyring().ledger or self.local.settings.ledger_name
        return self._name

    def submit(self, key: SigningKey, command_type: str, args: dict[str, Any]) -> Receipt:
        command_type_of(command_type).parse(args)  # a clear error before anything is sent
        if self.remote is None:
            self._open_local(create=command_type == "init_ledger")
        command = sign_command(
            key,
            ledger=self.ledger_name(),
            type=command_type,
            args=args,
            issued_at=datetime.now(UTC),
        )
        if self.remote is None:
            return self.local.execute(command)
        return _receipt_of(self.remote.send(command.envelope()))

    def store_evidence(self, path: Path, key: SigningKey) -> dict[str, Any]:
        """Upload (server, logged in with ``key``) or store (local) an evidence file: its
        sha256, size and media type told by its content."""
        if not path.is_file():
            raise Failure(f"evidence file {path} does not exist")
        if self.remote is not None:
            if self.remote.key_id != key.key_id:
                self.remote.login(key)
            return self.remote.upload(path)
        media_type = sniff(path)
        if media_type is None:
            kinds = list(ALLOWED.values())
            raise Failure(
                f"{path} is not a {', '.join(kinds[:-1])} or {kinds[-1]} document "
                "(checked by its content)"
            )
        ledger = self.local
        with path.open("rb") as handle:
            stored = ledger.evidence.put(handle, ledger.settings.max_evidence_bytes)
        return {"sha256": stored.sha256, "size": stored.size, "media_type": media_type}

    def close(self) -> None:
        if self.remote is not None:
            self.remote.close()
        if self._local is not None:
            self._local.close()


@contextmanager
def _target(server: str | None) -> Iterator[Target]:
    target = Target(server)
    try:
        yield target
    finally:
        target.close()


def _receipt_of(answer: dict[str, Any]) -> Receipt:
    try:
        return Receipt(**{f.name: answer[f.name] for f in dataclass_fields(Receipt)})
    except KeyError as missing:
        raise Failure(f"the server's receipt has no {missing}") from None


def _submit(key: Path, server: str | None, command_type: str, args: dict[str, Any]) -> Receipt:
    signer = SigningKey.load(key)
    with _target(server) as target:
        return target.submit(signer, command_type, args)


@contextmanager
def _remote(server: str, key: Path | None, *, needed: bool = True) -> Iterator[RemoteLedger]:
    """A client of ``server``, logged in with ``key`` (a read without a key is public only)."""
    if key is None and needed:
        raise Failure("reading from a server needs --key FILE (an enrolled key to log in with)")
    signer = SigningKey.load(key) if key is not None else None
    with RemoteLedger(server) as remote:
        if signer is not None:
            remote.login(signer)
        yield remote
