"""What the public reads of the log: one leaf as the public log serves it, and the
campaigns whose content is withheld until their publication (docs/FORMATS.md §12.2)."""

from __future__ import annotations

from typing import Annotated

import typer

from api.bootstrap import Runtime
from api.cli.remote import RemoteLedger
from api.cli.support import Failure, ServerOption, _run, _runtime, out
from projections.read_models.disclosure import (
    leaf_bytes,
    withheld,
    withheld_campaigns,
    withheld_view,
)


def log_leaf(
    index: Annotated[int, typer.Argument(min=0, help="the leaf's index, from 0")],
    server: ServerOption = None,
) -> None:
    """A leaf of the log as the public reads it (GET /v1/log/leaves/N): its event, or, for a
    campaign's content not yet public, its leaf hash and why it is withheld."""

    def act() -> None:
        if server:
            with RemoteLedger(server) as remote:
                print(remote.get_text(f"/v1/log/leaves/{index}").strip())
            return
        runtime = _runtime()
        try:
            runtime.projector.catch_up()
            data = leaf_bytes(runtime.log, runtime.storage.recorder, index)
            if data is None:
                raise Failure(f"the log has no leaf {index}")
            held = withheld(runtime.reads, data, index)
            print((data if held is None else withheld_view(index, data, held.reason)).decode())
        finally:
            runtime.ledger.close()

    _run(act)


def show_withheld(runtime: Runtime) -> None:
    """One line per campaign whose content the public does not read yet."""
    latest = runtime.checkpoints.latest()
    size = 0 if latest is None else int(latest["size"])
    for item in withheld_campaigns(runtime.reads, runtime.log):
        out.print(
            f"in progress {item.campaign}: the content of its {item.events} scorecard events is "
            "withheld from the public until its results are published (parledger log-leaf "
            f"{item.first_leaf}: its leaf hash and the reason); the log's latest checkpoint "
            f"covers {size} leaves, every leaf's hash public",
            highlight=False,
            soft_wrap=True,
        )


def register(app: typer.Typer) -> None:
    app.command("log-leaf")(log_leaf)
