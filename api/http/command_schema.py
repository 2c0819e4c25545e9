"""The API's description of ``POST /v1/commands``, from the command table: the envelope's
``command`` is a union of one object per command type, told apart by ``type``, each with
its own argument model (docs/FORMATS.md §3, §5), so that a client can build any command from
the OpenAPI document alone."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, create_model

from ledger.core.codes import KEY_ID
from ledger.domain.commands import COMMAND_TYPES, CommandType

REF = "#/components/schemas/{model}"
OPERATION = ("/v1/commands", "post")


def _model(kind: CommandType) -> type[BaseModel]:
    name = "".join(part.title() for part in kind.name.split("_")) + "Command"
    literal: Any = Literal[kind.name]
    return create_model(
        name,
        __config__=ConfigDict(extra="forbid", title=name),
        __doc__=f"{kind.summary} Signed by: {kind.signers()}; records "
        f"{' or '.join(sorted(kind.events))}.",
        ledger=(str, Field(description="the ledger's name, fixed at its initialisation")),
        type=(literal, Field(description="the command type")),
        args=(kind.args, Field(description="the command's arguments")),
        key_id=(str, Field(pattern=KEY_ID, description="the signing key's id (32 hex)")),
        issued_at=(str, Field(description="when the signer made it (RFC 3339 with an offset)")),
        nonce=(
            str,
            Field(pattern=r"^[A-Za-z0-9_-]{16,64}$", description="random, used once per key"),
        ),
    )


def _envelope_schema() -> tuple[dict[str, Any], dict[str, Any]]:
    """The envelope's schema and the component schemas it refers to."""
    models = tuple(_model(kind) for kind in COMMAND_TYPES if not kind.system)
    union: Any = Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007

    class SignedCommandEnvelope(BaseModel):
        """A signed command: ``signature`` is Ed25519 over the RFC 8785 bytes of ``command``
        (docs/FORMATS.md §3)."""

        model_config = ConfigDict(extra="forbid")
        command: union = Field(description="the command, one object per command type")
        signature: str = Field(description="base64 of the 64-byte Ed25519 signature")

    schema = TypeAdapter(SignedCommandEnvelope).json_schema(ref_template=REF)
    definitions = schema.pop("$defs", {})
    definitions["SignedCommandEnvelope"] = schema
    return {"$ref": REF.format(model="SignedCommandEnvelope")}, definitions


def describe_commands(schema: dict[str, Any]) -> dict[str, Any]:
    """Put the union of every command type into the OpenAPI document's ``/v1/commands``."""
    path, method = OPERATION
    operation = schema.get("paths", {}).get(path, {}).get(method)
    if operation is None:
        return schema
    envelope, definitions = _envelope_schema()
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update(definitions)
    operation["requestBody"] = {
        "required": True,
        "content": {"application/json": {"schema": envelope}},
    }
    components.pop("CommandEnvelope", None)
    return schema
