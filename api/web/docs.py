"""The API's documentation pages, offline: Swagger UI served from the package (vendored) in
place of FastAPI's pages that load it from a CDN, and the bearer-token scheme of the reads
described in the OpenAPI document."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute, Route

from api.http.deps import reader

CDN_PAGES = ("/docs", "/docs/oauth2-redirect", "/redoc")
SCHEME = "bearerToken"
SCHEME_DOC = {
    "type": "http",
    "scheme": "bearer",
    "bearerFormat": "parledger read token (docs/FORMATS.md §10b)",
    "description": "Ask POST /v1/auth/challenge for a challenge, sign the bytes "
    "`parledger-auth-v1:` + challenge with your enrolled Ed25519 key, and exchange the "
    "signature at POST /v1/auth/token for a token valid 15 minutes.",
}
# reads that are public once published or finalised, and need a token otherwise
OPTIONAL_TOKEN = {"get_ranking"}

PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>parledger API</title>
<link rel="stylesheet" href="/static/vendor/swagger-ui/swagger-ui.css">
<link rel="stylesheet" href="/static/css/docs.css">
<link rel="icon" href="/static/css/favicon.svg" type="image/svg+xml">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/vendor/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/js/docs.js"></script>
</body>
</html>
"""


def _needs_reader(dependant: Dependant) -> bool:
    return any(d.call is reader or _needs_reader(d) for d in dependant.dependencies)


def _api_routes(routes: Iterable[BaseRoute]) -> Iterator[APIRoute]:
    """Every API route, also those of included routers (which newer FastAPI keeps nested)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        nested = getattr(route, "original_router", None)
        if nested is not None:
            yield from _api_routes(nested.routes)


def describe_bearer(schema: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """Add the bearer scheme, and say which operations need it."""
    secured = {
        route.operation_id for route in _api_routes(app.routes) if _needs_reader(route.dependant)
    }
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[SCHEME] = SCHEME_DOC
    for methods in schema.get("paths", {}).values():
        for operation in methods.values():
            if not isinstance(operation, dict):
                continue
            if operation.get("operationId") in secured:
                operation["security"] = [{SCHEME: []}]
            elif operation.get("operationId") in OPTIONAL_TOKEN:
                operation["security"] = [{}, {SCHEME: []}]
    return schema


def install_docs(app: FastAPI) -> None:
    app.router.routes[:] = [
        r for r in app.router.routes if not (isinstance(r, Route) and r.path in CDN_PAGES)
    ]
    original = app.openapi

    def openapi() -> dict[str, Any]:
        return describe_bearer(original(), app)

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE)
