"""Puts the web application on the service's FastAPI app: the pages at ``/``, their static
files at ``/static``, the security headers, and the offline API documentation."""

from __future__ import annotations

import gc
import threading

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from api.web.docs import install_docs
from api.web.routes import (
    admin,
    appraisal,
    demo,
    documents,
    inspect,
    keys,
    pages,
    public,
    secretariat,
    sheets,
    surveys,
    unit_acts,
)
from api.web.security import SecurityHeaders
from api.web.session import SignInRequired, sign_in_redirect
from api.web.templating import HERE


class FreezeWhatStartupMade:
    """At the first request, move what the service holds for good (the ledger, its caches,
    the templates) out of the collector's reach (gc.freeze), so that the collections that
    rendering a 300-leaf page sets off stay short instead of walking the whole heap: they
    were most of the slowest page renders."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.frozen = threading.Event()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not self.frozen.is_set():
            self.frozen.set()
            gc.collect()
            gc.freeze()
            # a page's short-lived objects die before a young collection would promote them
            gc.set_threshold(50_000, 20, 100)
        await self.app(scope, receive, send)


def install_web(app: FastAPI) -> None:
    install_docs(app)
    app.add_middleware(FreezeWhatStartupMade)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    app.add_middleware(SecurityHeaders)
    for module in (
        pages,
        keys,
        admin,
        demo,
        sheets,
        unit_acts,
        appraisal,
        documents,
        surveys,
        public,
        inspect,
        secretariat,
    ):
        app.include_router(module.router)
