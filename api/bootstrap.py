"""The composition root: builds a ledger and everything around it from the settings, once,
for the HTTP service, the command line, the demo, the tests and the benchmarks.

The store is opened first (:class:`~ledger.application.storage.Storage`); the read models,
the transparency log's checkpoints and publishing are built on it; the ledger is then built
with what it needs given to its constructor: publishing (the result table at a signed
checkpoint) and what runs after every save (catching the read models up, unless a follower
does it; a checkpoint after a publication). Nothing is attached to a built object."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from api.http.tokens import TokenIssuer
from ledger.application.service import AfterSave, Ledger
from ledger.application.settings import Settings
from ledger.application.storage import Storage
from ledger.core.clock import Clock, SystemClock
from ledger.core.crypto import SigningKey
from projections.projector import Projector
from projections.publication.publishing import Publishing
from projections.read_models.queries import ReadModels
from projections.transparency_log.checkpoints import Checkpoints, log_signer, witness_verifiers
from projections.transparency_log.merkle_log import MerkleLog


@dataclass
class Runtime:
    """A ledger and its read side, sharing one store."""

    settings: Settings
    storage: Storage
    clock: Clock
    ledger: Ledger
    projector: Projector
    checkpoints: Checkpoints
    publishing: Publishing
    reads: ReadModels

    @property
    def log(self) -> MerkleLog:
        return self.publishing.log

    def tokens(self) -> TokenIssuer:
        """The read-token issuer, sealed with the server's key (FORMATS §10b)."""
        return TokenIssuer(
            self.ledger.server_key,
            self.ledger.keyring().ledger,
            timedelta(seconds=self.settings.token_ttl_seconds),
        )

    def close(self) -> None:
        self.ledger.close()


def open_runtime(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    server_key: SigningKey | None = None,
    project: bool = True,
) -> Runtime:
    """Open the configured store. With ``project``, the read models catch up after every
    command the ledger records; without, a follower keeps them up (``Projector.follow``, or
    ``parledger project``)."""
    settings = settings or Settings()
    clock = clock or SystemClock()
    storage = Storage(settings.database_url, settings.timeouts)
    projector = Projector(storage)
    checkpoints = Checkpoints(projector.views, log_signer(settings), witness_verifiers(settings))
    publishing = Publishing(storage, projector, checkpoints, clock)

    def catch_up(recordings: object) -> None:
        projector.catch_up()

    after_save: list[AfterSave] = [catch_up] if project else []
    after_save.append(publishing.recorded)
    ledger = Ledger(
        storage,
        settings,
        clock=clock,
        server_key=server_key,
        publication=publishing,
        after_save=after_save,
    )
    if project:
        projector.catch_up()
    return Runtime(
        settings=settings,
        storage=storage,
        clock=clock,
        ledger=ledger,
        projector=projector,
        checkpoints=checkpoints,
        publishing=publishing,
        reads=ReadModels(projector.views, owner=ledger),
    )
