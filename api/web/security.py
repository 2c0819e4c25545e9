"""Response headers that keep scripts out of the pages: any script that ran in a page could
sign in the person's name, so only the package's own files may run (``script-src 'self'``,
no inline script, no inline style attribute, no eval), nothing may frame the pages, and
nothing leaves for another origin."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# evidence files open in the browser's own viewer; they keep nosniff and no framing
FILE_PREFIXES = ("/tai-lieu/", "/v1/evidence/")


def security_headers(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Awaitable[Response]:
    async def respond() -> Response:
        response = await call_next(request)
        file = request.url.path.startswith(FILE_PREFIXES)
        for name, value in HEADERS.items():
            if file and name == "Content-Security-Policy":
                continue
            response.headers.setdefault(name, value)
        return response

    return respond()
