"""What an unauthenticated client can read of a campaign, for each disclosure policy: before
its publication, nothing of its content from any public route (every GET route of the
service is tried, the log's leaves one by one, proofs, event look-ups, the bundle of another
campaign, results, rankings, documents, pages); after it, its content. Readers with a token
read what the read table (ledger.domain.disclosure.READERS) gives them, role by role."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from ledger.core.ids import campaign_id, scorecard_id
from tests.e2e.http_support import Api, campaign_args
from tests.e2e.test_http_publication import keys_of, publish, service
from tests.world import START, publication_steps

CODE = "Z2023"
SECRET = "BIMAT giải trình chưa công bố"
PUBLISHED = "P2022"


@pytest.fixture(params=["at_publication", "immediate"])
def policy(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def api(tmp_path: Path, policy: str) -> Iterator[Api]:
    """C2023 of the small world, P2022 published, and Z2023 (under ``policy``) in progress
    with D1's self-score and its explanation recorded."""
    with service(tmp_path) as api:
        api.enrol("inspector", [{"role": "inspector", "scope": []}])
        keys = keys_of(api)
        for role, command_type, args in publication_steps(PUBLISHED, api.clock.now()):
            if command_type == "publish_results":
                continue
            api.ok(keys[role], command_type, args)
        publish(api, PUBLISHED)
        api.ok(api.admin, "create_campaign", campaign_args(CODE, disclosure=policy))
        api.clock.set(START + timedelta(days=1))
        api.ok(
            api.keys["staff"],
            "record_self_score",
            {
                "campaign": CODE,
                "unit": "D1",
                "criterion": "1.1",
                "inputs": {"points": "0.5"},
                "explanation": SECRET,
            },
        )
        yield api


def log_size(api: Api) -> int:
    """The size of the latest checkpoint the log signed (the events after it are leaves
    too, not yet covered)."""
    note = api.get("/v1/log/checkpoint").text
    return int(note.splitlines()[1])


def secret_leaf(api: Api) -> int:
    """The leaf of Z2023's self-score, found through the public event look-up."""
    response = api.get(f"/v1/log/events/{scorecard_id(CODE, 'D1')}/2")
    assert response.status_code == 200, response.text
    return int(response.json()["index"])


def public_gets(api: Api) -> Iterator[tuple[str, httpx.Response]]:
    """Every GET route of the service, its path filled in, asked without a token; the
    log's leaves one by one."""
    values = {
        "code": CODE,
        "campaign": CODE,
        "unit": "D1",
        "index": "0",
        "aggregate_id": str(scorecard_id(CODE, "D1")),
        "version": "2",
        "kind": "results-annex",
        "sha256": "0" * 64,
        "key_id": api.keys["staff"].key_id,
    }
    size = log_size(api)
    for route in routes(api.client.app.routes):
        if not isinstance(route, APIRoute) or "GET" not in route.methods:
            continue
        path = route.path
        if "{campaign}" in path:  # a page: its {code} is a criterion's
            path = path.replace("{code}", "1.1")
        for name in re.findall(r"\{(\w+)\}", path):
            path = path.replace("{" + name + "}", values.get(name, "x"))
        extra = {"size": size, "from": 1, "to": size, "index": 0}
        yield path, api.client.get(path, params=extra if "proof" in path else None)
        if CODE in path:  # every campaign's routes, the published one's included
            yield path, api.client.get(path.replace(CODE, PUBLISHED))
    index = 0
    while (leaf := api.get(f"/v1/log/leaves/{index}")).status_code == 200:
        yield f"/v1/log/leaves/{index}", leaf
        index += 1
    assert index > size
    yield "bundle", api.get(f"/v1/campaigns/{PUBLISHED}/bundle")


def routes(found: Iterable[Any]) -> Iterator[Any]:
    """The app's routes, those of its included routers too."""
    for route in found:
        if hasattr(route, "original_router"):
            yield from routes(route.original_router.routes)
        else:
            yield route


def shows_secret(response: httpx.Response) -> bool:
    content = response.content
    if content.startswith(b"\x1f\x8b"):
        content = gzip.decompress(content)
    return SECRET.encode() in content or CODE.encode() + b'","criterion' in content


def test_no_public_route_shows_unpublished_content(api: Api, policy: str) -> None:
    tried = 0
    shown = []
    for path, response in public_gets(api):
        tried += 1
        if shows_secret(response):
            shown.append(path)
    assert tried > 60
    if policy == "at_publication":
        assert shown == []
    else:
        assert shown == [f"/v1/log/leaves/{secret_leaf(api)}"]


def test_a_withheld_leaf_is_its_hash_and_the_reason(api: Api, policy: str) -> None:
    index = secret_leaf(api)
    body = api.get(f"/v1/log/leaves/{index}").json()
    if policy == "immediate":
        assert body["body"]["explanation"] == SECRET
        return
    assert set(body) == {"index", "leaf_hash", "withheld"}
    assert body["index"] == index
    assert body["withheld"] == f"campaign {CODE} is not yet published"
    proof = api.get("/v1/log/proof/inclusion", index=index, size=log_size(api)).json()
    assert proof["index"] == index  # proofs are unchanged
    # the campaign's definition is public whatever its policy
    created = api.get(f"/v1/log/events/{campaign_id(CODE)}/1").json()["index"]
    assert api.get(f"/v1/log/leaves/{created}").json()["type"] == "CampaignCreated"


READS = {
    "staff": True,  # unit_staff of D1: its own card
    "head": True,
    "staff2": False,  # unit_staff of D2
    "survey": False,
    "appraiser": True,
    "secretariat": True,
    "inspector": True,
    "publisher": True,
}


@pytest.mark.parametrize("policy", ["at_publication"], indirect=True)
def test_readers_with_a_token_read_what_the_read_table_gives(api: Api) -> None:
    index = secret_leaf(api)
    for name, reads in READS.items():
        body = api.get(f"/v1/log/leaves/{index}", api.keys[name]).json()
        assert ("withheld" not in body) is reads, name
        assert (body.get("body", {}).get("explanation") == SECRET) is reads, name
    assert "withheld" not in api.get(f"/v1/log/leaves/{index}", api.admin).json()


@pytest.mark.parametrize("policy", ["at_publication"], indirect=True)
def test_after_publication_the_content_is_public(api: Api) -> None:
    keys = keys_of(api)
    api.clock.set(START + timedelta(days=61))
    for unit in ("D1", "D2", "S1"):
        card = {"campaign": CODE, "unit": unit}
        api.ok(
            keys["survey"],
            "record_external_score",
            {
                **card,
                "criterion": "2.1",
                "points": "1",
                "source": "survey",
                "source_document": "Báo cáo điều tra xã hội học",
            },
        )
        api.ok(keys["secretariat"], "accept_self_scores", card)
    assert api.get(f"/v1/campaigns/{CODE}/ranking").status_code == 401
    api.ok(keys["secretariat"], "finalise_campaign", {"campaign": CODE})
    # finalised but not published: still withheld
    assert api.get(f"/v1/campaigns/{CODE}/ranking").status_code == 401
    index = secret_leaf(api)
    assert "withheld" in api.get(f"/v1/log/leaves/{index}").json()
    api.clock.set(START + timedelta(days=62))
    publish(api, CODE)
    assert api.get(f"/v1/log/leaves/{index}").json()["body"]["explanation"] == SECRET
    assert api.get(f"/v1/campaigns/{CODE}/ranking").status_code == 200
    bundle = gzip.decompress(api.get(f"/v1/campaigns/{CODE}/bundle").content)
    assert SECRET.encode() in bundle
