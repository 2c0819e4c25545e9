"""Who is looking at a page: the read token of ``/v1/auth/token`` (FORMATS §10b), which the
browser got by signing a challenge with its key, kept in an HttpOnly, SameSite=Strict
cookie so that server-rendered pages can be read. The cookie allows reading only; every
act is a command the browser signs again."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.http.service import Service
from api.web.format import fingerprint
from ledger.core.errors import AuthorizationError
from ledger.domain.keyring import ROLE_TITLES, KeyRecord

COOKIE = "parledger_phien"


@dataclass(frozen=True)
class Viewer:
    """The signed-in person: their key record and what the pages show of it."""

    key: KeyRecord

    @property
    def key_id(self) -> str:
        return self.key.key_id

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.key.key_id)

    @property
    def role_titles(self) -> list[str]:
        titles = []
        for grant in self.key.grants:
            scope = f" ({', '.join(grant.scope)})" if grant.scope else ""
            titles.append(ROLE_TITLES.get(grant.role, grant.role) + scope)
        return titles

    def has(self, role: str, target: str | None = None) -> bool:
        return self.key.has_role(role, target)

    def units(self, role: str) -> list[str]:
        """The units the person holds ``role`` for (unit_staff, unit_head)."""
        return sorted({code for g in self.key.grants if g.role == role for code in g.scope})

    def fields(self) -> list[str]:
        """The criteria codes the person appraises (an appraiser's scope)."""
        return sorted({code for g in self.key.grants if g.role == "appraiser" for code in g.scope})


class SignInRequired(Exception):
    """The page needs a signed-in person; the browser signs in with its key and comes back."""

    def __init__(self, path: str) -> None:
        super().__init__(path)
        self.path = path


def service_of(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


def current_viewer(request: Request) -> Viewer | None:
    """The person behind the session cookie, or None (no cookie, expired, key revoked)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    svc = service_of(request)
    try:
        record = svc.tokens.reader(svc.ledger.keyring(), token, svc.now())
    except AuthorizationError:
        return None
    return Viewer(record)


def required_viewer(request: Request) -> Viewer:
    viewer = current_viewer(request)
    if viewer is None:
        path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInRequired(path)
    return viewer


MaybeViewer = Annotated[Viewer | None, Depends(current_viewer)]
SignedIn = Annotated[Viewer, Depends(required_viewer)]


def sign_in_redirect(request: Request, error: Exception) -> Response:
    """To the sign-in page, which signs a challenge with the browser's key and comes back;
    a partial update (htmx) is told to load that page instead."""
    assert isinstance(error, SignInRequired)
    if request.headers.get("hx-request"):
        # back to the page the part belongs to, not to the part itself
        page = urlsplit(request.headers.get("hx-current-url", "/"))
        back = (page.path or "/") + (f"?{page.query}" if page.query else "")
        target = "/dang-nhap?tiep=" + quote(back, safe="")
        return JSONResponse(
            {"code": "token_expired"}, status_code=401, headers={"HX-Redirect": target}
        )
    return RedirectResponse("/dang-nhap?tiep=" + quote(error.path, safe=""), status_code=303)


def set_session(response: Response, token: str, max_age: int, secure: bool) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=max_age,
        httponly=True,
        samesite="strict",
        secure=secure,
        path="/",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")
