"""Reads of a campaign over HTTP follow the same scopes as commands (docs/FORMATS.md §6,
Reads): an authority's grant reaches its own campaigns and those below it, a council
appointed for a year or a campaign reads only those, a unit's key reads the campaigns its
unit takes part in; every other key is refused with 403 ``out_of_scope`` naming the scope it
holds and the one needed, and the list of campaigns shows only what the key may read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.core.clock import ManualClock
from tests.e2e.http_support import Api, init_ledger, is_problem, make_home, make_settings, running
from tests.two_levels import build_units_and_keys, create_campaigns
from tests.world import SMALL_SET, START

# who reads which campaign: the ones not listed are refused
READABLE = {
    "inspector_P": {"P-2023", "D1-2023", "D2-2023", "D1-2024"},
    "inspector_D1": {"D1-2023", "D1-2024"},
    "inspector_D2": {"D2-2023"},
    "council_a": {"D1-2023"},
    "council_D1_2024": {"D1-2024"},
    "council_D1_camp2024": {"D1-2024"},
    "staff_X1": {"D1-2023", "D1-2024"},
    "staff_D1": {"P-2023"},
}
CAMPAIGNS = ("P-2023", "D1-2023", "D2-2023", "D1-2024")
HELD = {
    "inspector_D1": "inspector of authority D1",
    "inspector_D2": "inspector of authority D2",
    "council_a": "appraiser for criteria 1 of authority D1 in 2023",
    "council_D1_2024": "appraiser for criteria 1 of authority D1 in 2024",
    "council_D1_camp2024": "appraiser for criteria 1 in campaign(s) D1-2024",
    "staff_X1": "unit_staff for unit X1",
    "staff_D1": "unit_staff for unit D1",
}
OWNER_YEAR = {"P-2023": ("P", 2023), "D1-2023": ("D1", 2023), "D2-2023": ("D2", 2023)}
OWNER_YEAR["D1-2024"] = ("D1", 2024)


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder: Path = tmp_path_factory.mktemp("scoped-reads")
    home = folder / "home"
    admin, server = make_home(home)
    settings = make_settings(f"sqlite:///{folder}/ledger.sqlite3", home)
    with running(settings, ManualClock(START), admin, server) as client:
        init_ledger(client)
        client.keys.update(build_units_and_keys(client.ok, client.enrol, admin))
        client.ok(admin, "define_indicator_set", SMALL_SET)
        create_campaigns(client.ok, client.keys)
        yield client


@pytest.mark.parametrize("name", sorted(READABLE))
def test_each_key_reads_exactly_the_campaigns_its_grants_reach(api: Api, name: str) -> None:
    key = api.keys[name]
    listed = {c["code"] for c in api.read("/v1/campaigns", key)["items"]}
    assert listed == READABLE[name]
    for code in CAMPAIGNS:
        for path in (
            f"/v1/campaigns/{code}",
            f"/v1/campaigns/{code}/scorecards",
            f"/v1/campaigns/{code}/trace",
            f"/v1/campaigns/{code}/progress",
            f"/v1/campaigns/{code}/ranking",
        ):
            response = api.get(path, key)
            if code in READABLE[name]:
                assert response.status_code == 200, (path, response.text)
                continue
            assert response.status_code == 403, (path, response.text)
            assert is_problem(response)
            problem = response.json()
            assert problem["code"] == "out_of_scope"
            owner, year = OWNER_YEAR[code]
            assert f"campaign {code} (run by {owner}, {year})" in problem["detail"]
            assert f"holds {HELD[name]}" in problem["detail"]


def test_the_administrator_reads_every_campaign(api: Api) -> None:
    listed = {c["code"] for c in api.read("/v1/campaigns", api.admin)["items"]}
    assert listed == set(CAMPAIGNS)
    for code in CAMPAIGNS:
        api.read(f"/v1/campaigns/{code}/scorecards", api.admin)


def test_the_progress_of_a_campaign_lists_only_its_council(api: Api) -> None:
    """The district's council (by authority and year, or by campaign) and the province's
    (downward); not the sibling district's, nor the same district's council of 2024."""
    progress = api.read("/v1/campaigns/D1-2023/progress", api.keys["inspector_D1"])
    listed = {row["key_id"] for row in progress["appraisers"]}
    expected = {api.keys[name].key_id for name in ("council_a", "council_b", "council_P")}
    assert listed == expected
    later = api.read("/v1/campaigns/D1-2024/progress", api.keys["inspector_D1"])
    expected = {api.keys[n].key_id for n in ("council_D1_2024", "council_D1_camp2024")}
    assert {row["key_id"] for row in later["appraisers"]} == expected


def test_a_withheld_leaf_is_shown_only_to_keys_appointed_for_its_campaign(api: Api) -> None:
    """Before publication a campaign's scorecard events are withheld from the public log
    (FORMATS §5a); a key whose role reads them sees them only in the campaigns its
    appointment reaches."""
    size = int(api.client.get("/v1/log/checkpoint").text.split("\n")[1])
    index = next(
        i
        for i in range(size)
        if (leaf := api.read(f"/v1/log/leaves/{i}", api.admin)).get("aggregate_type") == "Scorecard"
        and leaf["body"].get("campaign") == "D1-2023"
    )
    for name in ("inspector_D1", "inspector_P", "sec_D1", "council_a"):
        assert "withheld" not in api.read(f"/v1/log/leaves/{index}", api.keys[name]), name
    for name in ("inspector_D2", "sec_D2", "council_D1_2024", "council_D1_camp2024"):
        assert "withheld" in api.read(f"/v1/log/leaves/{index}", api.keys[name]), name
