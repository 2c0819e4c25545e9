"""The ``parledger`` command line: a client for administrators and scripts.

Every write is a command signed locally with ``--key FILE``; it goes to the server at
``--server URL`` (or ``PARLEDGER_SERVER``) or, without a server, straight to the local
store. Reads come from the server (logged in with ``--key``) or from the local read
models. Errors are one line on stderr and a non-zero exit."""

from __future__ import annotations

import sys

from api.cli import (  # noqa: F401  (they register)
    admin,
    backup,
    export,
    generated,
    keys,
    reads,
    registry,
    survey,
)
from api.cli.app import app
from api.cli.disclosure import register as register_disclosure
from api.cli.publication import register as register_publication

register_publication(app)
register_disclosure(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
