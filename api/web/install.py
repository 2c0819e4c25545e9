"""Puts the web application on the service's FastAPI app: the pages at ``/``, their static
files at ``/static``, the security headers, and the offline API documentation."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from api.web.docs import install_docs
from api.web.routes import admin, appraisal, demo, keys, pages, sheets, unit_acts
from api.web.security import security_headers
from api.web.session import SignInRequired, sign_in_redirect
from api.web.templating import HERE


def install_web(app: FastAPI) -> None:
    install_docs(app)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.add_exception_handler(SignInRequired, sign_in_redirect)
    app.middleware("http")(security_headers)
    for module in (pages, keys, admin, demo, sheets, unit_acts, appraisal):
        app.include_router(module.router)
