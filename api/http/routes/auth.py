"""Read tokens: a challenge to sign, exchanged for a short-lived bearer token."""

from __future__ import annotations

from fastapi import APIRouter

from api.http.deps import (
    ERRORS,
    ServiceDep,
)
from api.http.schemas import (
    ChallengeIn,
    ChallengeOut,
    TokenIn,
    TokenOut,
)

router = APIRouter()

# -- authentication ----------------------------------------------------------------


@router.post(
    "/v1/auth/challenge",
    operation_id="auth_challenge",
    response_model=ChallengeOut,
    tags=["auth"],
    responses=ERRORS,
    description="A challenge for an enrolled key to sign (valid two minutes).",
)
def auth_challenge(body: ChallengeIn, svc: ServiceDep) -> dict[str, str]:
    return svc.tokens.challenge(body.key_id, svc.now())


@router.post(
    "/v1/auth/token",
    operation_id="auth_token",
    response_model=TokenOut,
    tags=["auth"],
    responses=ERRORS,
    description="Exchange a signed challenge for a short-lived bearer token.",
)
def auth_token(body: TokenIn, svc: ServiceDep) -> dict[str, str]:
    return svc.tokens.token(
        svc.ledger.keyring(), body.key_id, body.challenge, body.signature, svc.now()
    )
