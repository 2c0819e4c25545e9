"""Puts the web application on the service's FastAPI app: the pages at ``/``, their static
files at ``/static``, the security headers, and the offline API documentation."""

from __future__ import annotations

import gc
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from api.web.docs import install_docs
from api.web.routes import (
    admin,
    appraisal,
    demo,
    inspect,
    keys,
    pages,
    public,
    secretariat,
    sheets,
    unit_acts,
)
from api.web.security import security_headers
from api.web.session import SignInRequired, sign_in_redirect
from api.web.templating import HERE


def _freeze_what_startup_made() -> Callable[[Request, Any], Awaitable[Response]]:
    """At the first request, move what the service holds for good (the ledger, its caches,
    the templates) out of the collector's reach (gc.freeze), so that the collections that
    rendering a 300-leaf page sets off stay short instead of walking the whole heap: they
    were most of the slowest page renders."""
    frozen = threading.Event()

    async def middleware(request: Request, call_next: Any) -> Response:
        if not frozen.is_set():
            frozen.set()
            gc.collect()
            gc.freeze()
            # a page's short-lived objects die before a young collection would promote them
            gc.set_threshold(50_000, 20, 100)
        response: Response = await call_next(request)
        return response

    return middleware


def install_web(app: FastAPI) -> None:
    install_docs(app)
    app.middleware("http")(_freeze_what_startup_made())
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    app.middleware("http")(security_headers)
    for module in (
        pages,
        keys,
        admin,
        demo,
        sheets,
        unit_acts,
        appraisal,
        public,
        inspect,
        secretariat,
    ):
        app.include_router(module.router)
