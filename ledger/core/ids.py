"""Deterministic aggregate ids, so that the same act always addresses the same aggregate."""

from __future__ import annotations

from functools import lru_cache
from uuid import NAMESPACE_URL, UUID, uuid5

NAMESPACE = uuid5(NAMESPACE_URL, "urn:parledger:aggregate")

KEY_REGISTRY_ID = uuid5(NAMESPACE, "key-registry")
UNIT_REGISTRY_ID = uuid5(NAMESPACE, "unit-registry")


@lru_cache(maxsize=65536)
def indicator_set_id(code: str, version: int) -> UUID:
    return uuid5(NAMESPACE, f"indicator-set:{code}:{version}")


@lru_cache(maxsize=65536)
def campaign_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"campaign:{code}")


@lru_cache(maxsize=65536)
def scorecard_id(campaign: str, unit: str) -> UUID:
    return uuid5(NAMESPACE, f"scorecard:{campaign}:{unit}")


@lru_cache(maxsize=65536)
def unit_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"unit:{code}")


def target_of(command_type: str, args: dict[str, object]) -> UUID:
    """The aggregate a command addresses, from its arguments alone."""
    if command_type in ("init_ledger", "enrol_key", "revoke_key", "rotate_key"):
        return KEY_REGISTRY_ID
    if command_type in ("register_unit", "update_unit"):
        return unit_id(str(args["code"]))
    if command_type in ("define_indicator_set", "freeze_indicator_set"):
        return indicator_set_id(str(args["code"]), int(str(args["version"])))
    if command_type == "create_campaign":
        return campaign_id(str(args["code"]))
    if command_type in ("finalise_campaign", "publish_results"):
        return campaign_id(str(args["campaign"]))
    return scorecard_id(str(args["campaign"]), str(args["unit"]))


@lru_cache(maxsize=4096)
def survey_id(code: str) -> UUID:
    return uuid5(NAMESPACE, f"survey:{code}")
