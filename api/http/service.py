"""What the routes share: the ledger, its read models, tokens, metrics and background work."""

from __future__ import annotations

import threading
from datetime import datetime

import structlog

from api.bootstrap import open_runtime
from api.http.health import ServiceHealth
from api.http.observability import Metrics
from api.http.tokens import TokenIssuer
from ledger.application.settings import Settings
from ledger.audit.bundle_format import encode_bundle
from ledger.core.clock import Clock
from ledger.core.crypto import SigningKey
from projections.publication.bundling import build_bundle, plan_bundle

log = structlog.get_logger("parledger.api")
BUNDLES_KEPT = 4


class Service:
    """What the routes share: the ledger, its read models, tokens and metrics."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        clock: Clock | None = None,
        follow: bool = False,
    ) -> None:
        self.settings = settings
        if settings.environment == "production":
            # refuse to serve without the server's own key, or with one others can read
            SigningKey.load(settings.server_key_file)
        # following the log in the background, or catching up after every command
        self.runtime = open_runtime(settings, clock=clock, project=not follow)
        self.ledger = self.runtime.ledger
        self.projector = self.runtime.projector
        self.reads = self.runtime.reads
        self.metrics = metrics
        self.publishing = self.runtime.publishing
        self.checkpoints = self.runtime.checkpoints
        self.log = self.publishing.log
        self._stop = threading.Event()
        self.health = ServiceHealth(settings, self.ledger, self.projector, metrics, self._stop)
        self._bundles: dict[tuple[str, int, str], bytes] = {}
        self._bundles_lock = threading.Lock()

    @property
    def tokens(self) -> TokenIssuer:
        return self.runtime.tokens()

    def now(self) -> datetime:
        return self.ledger.clock.now()

    def bundle(self, campaign: str) -> bytes:
        """The bundle of a campaign's latest publication, made once per checkpoint it is at
        (a bundle of a large log is seconds of work)."""
        plan = plan_bundle(self.publishing, campaign)
        with self._bundles_lock:
            cached = self._bundles.get(plan.key)
        if cached is None:
            cached = encode_bundle(build_bundle(self.publishing, campaign, plan=plan))
            with self._bundles_lock:
                self._bundles[plan.key] = cached
                while len(self._bundles) > BUNDLES_KEPT:
                    del self._bundles[next(iter(self._bundles))]
        return cached

    def follow(self) -> None:
        """Keep the read models up in the background (commands from other processes),
        restarted after any failure."""
        self.health.supervise("projector", self.projector.follow)

    def checkpoint_regularly(self) -> None:
        """Sign a checkpoint every few seconds while the log grows, restarted after any
        failure."""

        def loop(stop: threading.Event) -> None:
            while not stop.wait(self.settings.checkpoint_interval_seconds):
                latest = self.checkpoints.latest()
                if latest is None or self.log.size() > int(latest["size"]):
                    self.checkpoints.sign(self.now())

        self.health.supervise("checkpoints", loop)

    def tick_regularly(self) -> None:
        """Notice passed deadlines every few seconds (ADR 10): lock the scorecards not
        submitted when self-assessment closed, restarted after any failure. Only a service
        holding the server's key can sign the locks."""
        if not self.settings.server_key_file.exists():
            return

        def loop(stop: threading.Event) -> None:
            while not stop.wait(self.settings.tick_interval_seconds):
                self.ledger.tick()

        self.health.supervise("ticks", loop)

    def close(self) -> None:
        self.health.close()
        self.ledger.close()
