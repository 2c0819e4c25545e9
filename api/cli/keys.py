"""Keys: list, new, enrol, revoke, rotate, and the id of a public key."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from api.cli.app import app, keys_app
from api.cli.reads import field_of, listing, print_listing
from api.cli.support import (
    Failure,
    FormatOption,
    KeyOption,
    ReadKeyOption,
    ServerOption,
    _check_format,
    _receipt,
    _run,
    _submit,
    out,
)
from ledger.core.crypto import SigningKey, key_id_of
from ledger.domain.keyring import ROLES, SCOPED_ROLES
from projections.read_models.queries import ReadModels


def _grant_text(grant: dict[str, Any]) -> str:
    """A grant as ``keys enrol --role`` takes it: ROLE:SCOPE@AUTHORITY/YEAR, the campaigns
    of an appraiser in brackets, and an ended appointment marked."""
    text = str(grant["role"]) + (f":{','.join(grant['scope'])}" if grant.get("scope") else "")
    if grant.get("authority"):
        text += f"@{grant['authority']}" + (f"/{grant['year']}" if grant.get("year") else "")
    if grant.get("campaigns"):
        text += f" [{', '.join(grant['campaigns'])}]"
    if grant.get("ended_at"):
        text += f" (ended {str(grant['ended_at'])[:10]}: {grant.get('end_reason')})"
    return text


def _roles_text(row: dict[str, Any]) -> str:
    return "; ".join(_grant_text(g) for g in row.get("roles") or [])


def _key_status(row: dict[str, Any]) -> str:
    revoked = row.get("revoked_at")
    return f"revoked {str(revoked)[:10]}" if revoked else "active"


def _list_keys(fmt: str, server: str | None, key: Path | None) -> None:
    _check_format(fmt)
    rows = listing(server, key, "/v1/keys", ReadModels.keys)
    rows.sort(key=lambda row: (str(row.get("enrolled_at") or ""), str(row.get("key_id"))))
    columns: dict[str, Callable[[dict[str, Any]], Any]] = {
        "key id": field_of("key_id"),
        "name": field_of("name"),
        "title": field_of("title"),
        "unit": field_of("unit"),
        "roles": lambda row: _roles_text(row).replace("; ", "\n"),
        "status": _key_status,
    }
    if fmt == "csv":
        columns = {
            "key_id": field_of("key_id"),
            "name": field_of("name"),
            "title": field_of("title"),
            "unit": field_of("unit"),
            "roles": _roles_text,
            "enrolled_at": field_of("enrolled_at"),
            "revoked_at": field_of("revoked_at"),
            "public_key": field_of("public_key"),
        }
    print_listing(rows, fmt, f"{len(rows)} key(s)", columns)


@keys_app.callback()
def keys_main(
    ctx: typer.Context,
    fmt: FormatOption = "table",
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """Enrolled keys with their roles (public keys only); or create, enrol, revoke and
    rotate keys with the commands below."""
    if ctx.invoked_subcommand is None:
        _run(lambda: _list_keys(fmt, server, key))


@keys_app.command("list")
def keys_list(
    fmt: FormatOption = "table",
    server: ServerOption = None,
    key: ReadKeyOption = None,
) -> None:
    """List enrolled keys with their roles (public keys only)."""
    _run(lambda: _list_keys(fmt, server, key))


@keys_app.command("new")
def keys_new(path: Annotated[Path, typer.Argument(help="where to write the private key")]) -> None:
    """Generate an Ed25519 key pair: PATH (mode 0600) and PATH with .pub."""

    def act() -> None:
        if path.exists():
            raise Failure(f"{path} already exists")
        key = SigningKey.generate()
        key.save(path)
        out.print(
            f"key {key.key_id}\npublic key {key.public_key}\nwritten to {path} "
            f"and {path.with_suffix('.pub')}",
            highlight=False,
        )

    _run(act)


def public_key_arg(value: str) -> str:
    candidate = Path(value)
    return candidate.read_text("ascii").strip() if candidate.is_file() else value


def _grants(roles: list[str]) -> list[dict[str, Any]]:
    grants = []
    for text in roles:
        item, _, served = text.partition("@")
        authority, _, year = served.partition("/")
        role, _, scope = item.partition(":")
        if role not in ROLES:
            raise Failure(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
        codes = [c for c in scope.split(",") if c]
        if role in SCOPED_ROLES and not codes:
            raise Failure(f"the role {role} needs a scope, e.g. {role}:HN")
        grant: dict[str, Any] = {"role": role, "scope": codes}
        if authority:
            grant["authority"] = authority
        if year:
            if not year.isdigit():
                raise Failure(f"{text!r}: the year after / is a number, e.g. {item}@HK/2024")
            grant["year"] = int(year)
        grants.append(grant)
    return grants


@keys_app.command("enrol")
def keys_enrol(
    public_key: Annotated[str, typer.Argument(help="base64 public key, or a .pub file")],
    name: Annotated[str, typer.Option(help="the key holder's name")],
    role: Annotated[
        list[str],
        typer.Option(
            help="ROLE or ROLE:SCOPE,SCOPE, then @AUTHORITY or @AUTHORITY/YEAR for the "
            "roles of a scoring authority, e.g. appraiser:1,4@HK/2024 (repeatable)"
        ),
    ],
    key: KeyOption,
    title: Annotated[str, typer.Option(help="the holder's title")] = "",
    unit: Annotated[str, typer.Option(help="the holder's organisation")] = "",
    server: ServerOption = None,
) -> None:
    """Enrol a person's public key with roles and scopes (signed by an administrator)."""

    def act() -> None:
        args = {
            "public_key": public_key_arg(public_key),
            "name": name,
            "title": title,
            "unit": unit,
            "roles": _grants(role),
        }
        _receipt(_submit(key, server, "enrol_key", args))

    _run(act)


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="the key id to revoke")],
    reason: Annotated[str, typer.Option(help="why the key is revoked")],
    key: KeyOption,
    server: ServerOption = None,
) -> None:
    """Revoke a key: nothing it signs afterwards is accepted."""
    _run(lambda: _receipt(_submit(key, server, "revoke_key", {"key_id": key_id, "reason": reason})))


@keys_app.command("rotate")
def keys_rotate(
    key_id: Annotated[str, typer.Argument(help="the key id to replace")],
    new_public_key: Annotated[str, typer.Argument(help="base64 public key, or a .pub file")],
    key: KeyOption,
    reason: Annotated[str, typer.Option(help="why")] = "",
    server: ServerOption = None,
) -> None:
    """Replace a key by a new one with the same holder and roles."""
    _run(
        lambda: _receipt(
            _submit(
                key,
                server,
                "rotate_key",
                {
                    "key_id": key_id,
                    "new_public_key": public_key_arg(new_public_key),
                    "reason": reason,
                },
            )
        )
    )


@app.command("key-id")
def key_id(
    public_key: Annotated[str, typer.Argument(help="base64 public key or .pub file")],
) -> None:
    """Print the key id of a public key."""
    _run(lambda: out.print(key_id_of(public_key_arg(public_key))))
