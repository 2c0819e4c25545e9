"""The API's description lets a client build any command from the OpenAPI document alone:
POST /v1/commands documents a union of every command type a person may send, each with its
own described argument model, told apart by ``type``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from api.http.app import create_app
from ledger.domain.commands import COMMAND_TYPES
from tests.e2e.http_support import make_home, make_settings


def resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def test_every_command_type_is_described_with_its_arguments(tmp_path: Path) -> None:
    make_home(tmp_path / "home")
    settings = make_settings(f"sqlite:///{tmp_path}/l.sqlite3", tmp_path / "home")
    with TestClient(create_app(settings)) as client:
        schema = client.get("/openapi.json").json()
    body = schema["paths"]["/v1/commands"]["post"]["requestBody"]["content"]["application/json"]
    envelope = resolve(schema, body["schema"])
    assert set(envelope["required"]) == {"command", "signature"}
    command = envelope["properties"]["command"]
    assert command["discriminator"]["propertyName"] == "type"
    mapping = command["discriminator"]["mapping"]
    sendable = {kind.name for kind in COMMAND_TYPES if not kind.system}
    assert set(mapping) == sendable
    assert {"open_scorecard", "lock_scorecard", "freeze_indicator_set"}.isdisjoint(mapping)
    for kind in COMMAND_TYPES:
        if kind.system:
            continue
        one = resolve(schema, {"$ref": mapping[kind.name]})
        assert one["properties"]["type"]["const"] == kind.name
        assert set(one["required"]) == {"ledger", "type", "args", "key_id", "issued_at", "nonce"}
        assert kind.summary in one["description"]
        args = resolve(schema, one["properties"]["args"])
        assert args["additionalProperties"] is False
        for name, field in kind.args.model_fields.items():
            described = resolve(schema, args["properties"][name])
            text = described.get("description") or args["properties"][name].get("description")
            assert text, (kind.name, name)
            assert (name in args.get("required", [])) == field.is_required(), (kind.name, name)
    self_score = resolve(
        schema, resolve(schema, {"$ref": mapping["record_self_score"]})["properties"]["args"]
    )
    assert "numerator" in self_score["properties"]["inputs"]["description"]
    publish = resolve(
        schema, resolve(schema, {"$ref": mapping["publish_results"]})["properties"]["args"]
    )
    assert "table_sha256" in publish["required"]
