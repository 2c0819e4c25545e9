"""The HTTP service: every act and every view over /v1.

Writes are signed command envelopes (docs/FORMATS.md §3) sent to one route,
``POST /v1/commands``; the signature is the authentication. Reads need a short-lived
bearer token that a person gets by signing a server challenge with their enrolled key,
except the transparency log, the published results and bundles, and the ranking of a
finalised campaign, which are public. Errors are RFC 9457 problems."""

from __future__ import annotations

import base64
import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Annotated, Any

import structlog
from fastapi import Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from api.http import problems
from api.http.observability import Metrics, configure_logging, request_middleware
from api.http.tokens import TokenIssuer
from ledger.application.media import ALLOWED, sniff
from ledger.application.service import Ledger, Receipt
from ledger.application.settings import Settings
from ledger.audit.bundle_format import encode_bundle
from ledger.core.canonical import parse_time
from ledger.core.clock import Clock
from ledger.core.crypto import SigningKey
from ledger.core.envelope import SignedCommand
from ledger.core.errors import AuthorizationError, LedgerError, NotFoundError, ValidationError
from ledger.domain.keyring import KeyRecord
from ledger.domain.results import table_csv, table_sha256
from projections.decoding import decode
from projections.projector import Projector, attach
from projections.publication.bundling import build_bundle, plan_bundle
from projections.publication.publishing import attach_publishing
from projections.read_models.queries import AsOf, ReadModels
from projections.read_models.trace import to_csv as trace_csv
from projections.transparency_log.merkle_log import canonical_event_bytes

log = structlog.get_logger("parledger.api")
BUNDLES_KEPT = 4


# -- documented request and response schemas (kept apart from the domain's events) ---------


class CommandEnvelope(BaseModel):
    """A signed command: ``signature`` is Ed25519 over the RFC 8785 bytes of ``command``."""

    model_config = ConfigDict(extra="forbid")
    command: dict[str, Any] = Field(
        description="ledger, type, args, key_id, issued_at and nonce (docs/FORMATS.md §3)"
    )
    signature: str = Field(description="base64 of the 64-byte Ed25519 signature")


class ReceiptOut(BaseModel):
    event_id: str = Field(description="aggregate id / version")
    aggregate_id: str
    version: int
    event_type: str
    event_hash: str = Field(description="SHA-256 of the event's canonical bytes, hex")
    position: int = Field(description="the event's position in the notification log")


class ChallengeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key_id: str = Field(pattern=r"^[0-9a-f]{32}$")


class ChallengeOut(BaseModel):
    challenge: str = Field(description="sign b'parledger-auth-v1:' + challenge with your key")
    expires_at: str


class TokenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key_id: str = Field(pattern=r"^[0-9a-f]{32}$")
    challenge: str = Field(max_length=2000)
    signature: str = Field(max_length=200)


class TokenOut(BaseModel):
    access_token: str
    token_type: str
    expires_at: str


class EvidenceOut(BaseModel):
    sha256: str
    size: int
    media_type: str = Field(description="the type told by the file's content")


class Page(BaseModel):
    items: list[dict[str, Any]]
    total: int
    limit: int
    offset: int


class LedgerInfo(BaseModel):
    ledger: str
    server_key_id: str | None
    position: int
    projected_position: int


class Health(BaseModel):
    status: str
    detail: dict[str, Any] = {}


PROBLEM = {"model": dict[str, Any], "description": "RFC 9457 problem details"}
ERRORS: dict[int | str, dict[str, Any]] = {
    400: PROBLEM,
    401: PROBLEM,
    403: PROBLEM,
    404: PROBLEM,
    409: PROBLEM,
    422: PROBLEM,
}


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
        self.ledger = Ledger(settings, clock=clock)
        # following the log in the background, or catching up after every command
        self.projector = Projector(self.ledger) if follow else attach(self.ledger)
        self.reads = ReadModels(self.projector.views, owner=self.ledger)
        self.metrics = metrics
        self.publishing = attach_publishing(self.ledger, self.projector, settings)
        self.checkpoints = self.publishing.checkpoints
        self.log = self.publishing.log
        self._stop = threading.Event()
        self._follower: threading.Thread | None = None
        self._bundles: dict[tuple[str, int, str], bytes] = {}
        self._bundles_lock = threading.Lock()

    @property
    def tokens(self) -> TokenIssuer:
        keyring = self.ledger.keyring()
        return TokenIssuer(
            self.ledger.server_key,
            keyring.ledger,
            timedelta(seconds=self.settings.token_ttl_seconds),
        )

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
        """Keep the read models up in the background (commands from other processes)."""
        self._follower = threading.Thread(
            target=self.projector.follow, args=(self._stop,), name="projector", daemon=True
        )
        self._follower.start()

    def checkpoint_regularly(self) -> None:
        """Sign a checkpoint every few seconds while the log grows."""

        def loop() -> None:
            while not self._stop.wait(self.settings.checkpoint_interval_seconds):
                try:
                    latest = self.checkpoints.latest()
                    if latest is None or self.log.size() > int(latest["size"]):
                        self.checkpoints.sign(self.now())
                except Exception:
                    log.exception("checkpoint_failed")

        threading.Thread(target=loop, name="checkpoints", daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        if self._follower is not None:
            self._follower.join(timeout=10)
        self.ledger.close()


def service(request: Request) -> Service:
    found: Service = request.app.state.service
    return found


ServiceDep = Annotated[Service, Depends(service)]


def reader(request: Request, svc: ServiceDep) -> KeyRecord:
    """The key behind the request's bearer token; refuses a missing, forged or expired one."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise AuthorizationError(
            "this read needs a bearer token: sign a challenge from POST /v1/auth/challenge "
            "and exchange it at POST /v1/auth/token",
            code="token_missing",
        )
    record = svc.tokens.reader(svc.ledger.keyring(), token.strip(), svc.now())
    structlog.contextvars.bind_contextvars(actor_key_id=record.key_id)
    return record


Reader = Annotated[KeyRecord, Depends(reader)]
Limit = Annotated[int, Query(ge=1, le=1000, description="page size")]
Offset = Annotated[int, Query(ge=0, le=10_000_000, description="items to skip")]
AsOfTime = Annotated[str | None, Query(description="as it stood at this time (RFC 3339)")]
AsOfPosition = Annotated[
    int | None, Query(ge=0, le=2**53, description="as it stood at this log position")
]


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _paged(items: list[dict[str, Any]], limit: int, offset: int) -> dict[str, Any]:
    return {
        "items": items[offset : offset + limit],
        "total": len(items),
        "limit": limit,
        "offset": offset,
    }


def create_app(
    settings: Settings | None = None, *, clock: Clock | None = None, follow: bool = False
) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings.log_json)
    metrics = Metrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        service = Service(settings, metrics, clock, follow=follow)
        app.state.service = service
        if follow:
            service.follow()
        service.checkpoint_regularly()
        yield
        service.close()

    app = FastAPI(
        title="parledger",
        version="1",
        description=(
            "A signed, verifiable ledger of PAR INDEX scoring. Writes are signed command "
            "envelopes to POST /v1/commands; reads need a bearer token from "
            "POST /v1/auth/challenge and POST /v1/auth/token. Errors are RFC 9457 problems."
        ),
        lifespan=lifespan,
    )
    app.add_exception_handler(LedgerError, problems.ledger_error)
    app.add_exception_handler(RequestValidationError, problems.request_validation_error)
    app.add_exception_handler(HTTPException, problems.http_error)
    app.add_exception_handler(Exception, problems.unexpected_error)

    def as_of(at: str | None, position: int | None) -> AsOf | None:
        if at is None and position is None:
            return None
        return AsOf(position=position, at=parse_time(at, "as_of") if at else None)

    def campaign_or_404(svc: Service, code: str) -> dict[str, Any]:
        doc = svc.reads.campaign_doc(code)
        if doc is None:
            raise NotFoundError(f"campaign {code} does not exist", field="campaign")
        return doc

    app.middleware("http")(request_middleware(metrics))

    # -- operations --------------------------------------------------------------------

    @app.get(
        "/healthz",
        operation_id="health",
        response_model=Health,
        tags=["operations"],
        description="The process is alive.",
    )
    def health() -> dict[str, Any]:
        return {"status": "ok", "detail": {}}

    @app.get(
        "/readyz",
        operation_id="ready",
        response_model=Health,
        tags=["operations"],
        responses={503: PROBLEM},
        description="The database answers and the read models are caught up within a bound.",
    )
    def ready(svc: ServiceDep) -> Any:
        try:
            lag = svc.projector.lag()
        except Exception as error:  # the database does not answer
            return problems.problem(503, "not_ready", f"the database does not answer: {error}")
        svc.metrics.lag.set(lag)
        if lag > svc.settings.ready_max_lag:
            return problems.problem(503, "not_ready", f"the read models are {lag} positions behind")
        return {"status": "ready", "detail": {"projection_lag": lag}}

    @app.get(
        "/metrics",
        operation_id="metrics",
        tags=["operations"],
        response_class=PlainTextResponse,
        description="Prometheus metrics: requests, latencies, commands, projection lag.",
    )
    def metrics_text(svc: ServiceDep) -> Response:
        svc.metrics.lag.set(svc.projector.lag())
        return Response(generate_latest(svc.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get(
        "/v1/ledger",
        operation_id="ledger_info",
        response_model=LedgerInfo,
        tags=["ledger"],
        description="The ledger's name, server key and log position.",
    )
    def ledger_info(svc: ServiceDep) -> dict[str, Any]:
        keyring = svc.ledger.keyring()
        return {
            "ledger": keyring.ledger or svc.settings.ledger_name,
            "server_key_id": keyring.server,
            "position": svc.ledger.recorder.max_notification_id() or 0,
            "projected_position": svc.projector.views.position(),
        }

    # -- writes ------------------------------------------------------------------------

    @app.post(
        "/v1/commands",
        operation_id="execute_command",
        response_model=ReceiptOut,
        status_code=201,
        tags=["commands"],
        responses=ERRORS,
        description="Record a signed command. The answer is the receipt of its event; "
        "sending the same command again records nothing and answers the same receipt.",
    )
    def execute_command(envelope: CommandEnvelope, svc: ServiceDep) -> dict[str, Any]:
        command = SignedCommand.from_envelope(envelope.model_dump())
        structlog.contextvars.bind_contextvars(
            actor_key_id=command.key_id, command_type=command.type
        )
        try:
            receipt: Receipt = svc.ledger.execute(command)
        except LedgerError as error:
            svc.metrics.commands.labels(command.type, error.code).inc()
            log.info("command_refused", code=error.code)
            raise
        svc.metrics.commands.labels(command.type, "accepted").inc()
        log.info("command_recorded", position=receipt.position, event_type=receipt.event_type)
        return receipt.as_json()

    @app.post(
        "/v1/evidence",
        operation_id="upload_evidence",
        response_model=EvidenceOut,
        status_code=201,
        tags=["evidence"],
        responses={**ERRORS, 413: PROBLEM, 415: PROBLEM},
        description="Upload an evidence file as the raw request body (streamed; size "
        "limit configurable). Its type is told by content: "
        + ", ".join(ALLOWED.values())
        + ". Attach it with a signed attach_evidence command naming the returned hash.",
    )
    async def upload_evidence(request: Request, svc: ServiceDep, who: Reader) -> dict[str, Any]:
        upload = svc.ledger.evidence.open_upload(svc.settings.max_evidence_bytes)
        try:
            async for chunk in request.stream():
                upload.write(chunk)
        except LedgerError:
            raise
        except BaseException:
            upload.abort()
            raise
        if upload.size == 0:
            upload.abort()
            raise ValidationError("the request body is empty; send the file's bytes", field="file")
        upload.flush()
        media_type = sniff(upload.path)
        if media_type is None:
            upload.abort()
            raise LedgerError(
                "the file is not a PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS document "
                "(checked by its content)",
                code="unsupported_media_type",
                field="file",
            )
        stored = upload.commit()
        return {"sha256": stored.sha256, "size": stored.size, "media_type": media_type}

    @app.get(
        "/v1/evidence/{sha256}",
        operation_id="download_evidence",
        tags=["evidence"],
        response_class=StreamingResponse,
        responses={**ERRORS, 500: PROBLEM},
        description="Download an evidence file; its bytes are checked against the hash "
        "first, and a corrupted file is refused.",
    )
    def download_evidence(sha256: str, svc: ServiceDep, who: Reader) -> StreamingResponse:
        store = svc.ledger.evidence
        store.check(sha256)
        media_type = sniff(store.path_of(sha256)) or "application/octet-stream"

        def chunks() -> Iterator[bytes]:
            yield from store.read_chunks(sha256)

        return StreamingResponse(
            chunks(), media_type=media_type, headers={"x-content-sha256": sha256}
        )

    # -- authentication ----------------------------------------------------------------

    @app.post(
        "/v1/auth/challenge",
        operation_id="auth_challenge",
        response_model=ChallengeOut,
        tags=["auth"],
        responses=ERRORS,
        description="A challenge for an enrolled key to sign (valid two minutes).",
    )
    def auth_challenge(body: ChallengeIn, svc: ServiceDep) -> dict[str, str]:
        return svc.tokens.challenge(body.key_id, svc.now())

    @app.post(
        "/v1/auth/token",
        operation_id="auth_token",
        response_model=TokenOut,
        tags=["auth"],
        responses=ERRORS,
        description="Exchange a signed challenge for a short-lived bearer token.",
    )
    def auth_token(body: TokenIn, svc: ServiceDep) -> dict[str, str]:
        return svc.tokens.token(
            svc.ledger.keyring(), body.key_id, body.challenge, body.signature, svc.now()
        )

    # -- the transparency log (public) ---------------------------------------------------

    @app.get(
        "/v1/log/key",
        operation_id="log_key",
        tags=["log"],
        response_class=PlainTextResponse,
        description="The log's note verifier key: <name>+<hex key id>+<base64 key>.",
    )
    def log_key(svc: ServiceDep) -> str:
        return svc.checkpoints.signer.verifier().to_string()

    @app.get(
        "/v1/log/checkpoint",
        operation_id="log_checkpoint",
        tags=["log"],
        response_class=PlainTextResponse,
        description="The latest checkpoint (C2SP tlog-checkpoint) as a signed note.",
    )
    def log_checkpoint(svc: ServiceDep) -> str:
        latest = svc.checkpoints.latest()
        if latest is None:
            latest = svc.checkpoints.sign(svc.now())
        return str(latest["note"])

    @app.get(
        "/v1/log/leaves/{index}",
        operation_id="log_leaf",
        tags=["log"],
        responses=ERRORS,
        description="The canonical bytes of the event at a leaf (docs/FORMATS.md §4).",
    )
    def log_leaf(index: Annotated[int, Path(ge=0, le=2**53)], svc: ServiceDep) -> Response:
        leaf = svc.log.leaf(index)
        if leaf is None:
            raise NotFoundError(f"the log has no leaf {index}", field="index")
        found = svc.ledger.recorder.select_notifications(int(leaf["position"]), 1)
        return Response(canonical_event_bytes(decode(found[0])), media_type="application/json")

    @app.get(
        "/v1/log/proof/inclusion",
        operation_id="log_inclusion_proof",
        tags=["log"],
        responses=ERRORS,
        description="The RFC 9162 inclusion proof of a leaf in the tree of a size.",
    )
    def log_inclusion_proof(
        svc: ServiceDep,
        index: Annotated[int, Query(ge=0, le=2**53)],
        size: Annotated[int, Query(ge=1, le=2**53)],
    ) -> dict[str, Any]:
        if index >= size or size > svc.log.size():
            raise ValidationError(
                f"leaf {index} is not in a tree of size {size} (the log has {svc.log.size()})",
                field="size",
            )
        return {
            "index": index,
            "size": size,
            "root": _b64(svc.log.root(size)),
            "hashes": [_b64(h) for h in svc.log.inclusion(index, size)],
        }

    @app.get(
        "/v1/log/proof/consistency",
        operation_id="log_consistency_proof",
        tags=["log"],
        responses=ERRORS,
        description="The RFC 9162 consistency proof between two tree sizes.",
    )
    def log_consistency_proof(
        svc: ServiceDep,
        first: Annotated[int, Query(alias="from", ge=0, le=2**53)],
        second: Annotated[int, Query(alias="to", ge=0, le=2**53)],
    ) -> dict[str, Any]:
        if first > second or second > svc.log.size():
            raise ValidationError(
                f"no consistency proof from {first} to {second} (the log has {svc.log.size()})",
                field="to",
            )
        return {
            "from": first,
            "to": second,
            "hashes": [_b64(h) for h in svc.log.consistency(first, second)],
        }

    @app.get(
        "/v1/log/events/{aggregate_id}/{version}",
        operation_id="log_event_proof",
        tags=["log"],
        responses=ERRORS,
        description="The inclusion proof of an event, by its id, in the latest checkpoint.",
    )
    def log_event_proof(
        aggregate_id: str, version: Annotated[int, Path(ge=1, le=2**53)], svc: ServiceDep
    ) -> dict[str, Any]:
        rows = svc.reads.views.rows(
            "SELECT position FROM {pv_log} WHERE aggregate_id = ? AND version = ?",
            (aggregate_id, version),
        )
        index = svc.log.leaf_of_position(int(rows[0]["position"])) if rows else None
        if index is None:
            raise NotFoundError(f"no event {aggregate_id}/{version} in the log", field="event")
        checkpoint = svc.checkpoints.sign(svc.now())
        size = int(checkpoint["size"])
        return {
            "event_id": f"{aggregate_id}/{version}",
            "index": index,
            "size": size,
            "checkpoint": checkpoint["note"],
            "hashes": [_b64(h) for h in svc.log.inclusion(index, size)],
        }

    @app.get(
        "/v1/log/witnesses",
        operation_id="log_witnesses",
        tags=["log"],
        description="The cosignature verifier keys of the witnesses this log collects from.",
    )
    def log_witnesses(svc: ServiceDep) -> dict[str, Any]:
        return {"witnesses": [w.to_string() for w in svc.checkpoints.witnesses]}

    @app.post(
        "/v1/log/cosignatures",
        operation_id="log_add_cosignatures",
        tags=["log"],
        response_class=PlainTextResponse,
        responses={**ERRORS, 200: {"content": {"text/plain": {}}}},
        description="A witness sends one of the log's checkpoints with its C2SP "
        "tlog-cosignature lines appended (text/plain); the answer is the checkpoint with every "
        "cosignature collected for it. Only configured witnesses' lines are kept.",
    )
    async def log_add_cosignatures(request: Request, svc: ServiceDep) -> str:
        body = await request.body()
        if len(body) > 64 * 1024:
            raise ValidationError("a cosigned checkpoint is at most 64 KiB", field="note")
        try:
            note = body.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationError("the note is not UTF-8 text", field="note") from None
        return str(svc.checkpoints.add_cosignatures(note, svc.now())["note"])

    # -- publications (public) ---------------------------------------------------------

    def publication_or_404(svc: Service, code: str, sequence: int | None) -> dict[str, Any]:
        campaign_or_404(svc, code)
        publications = svc.reads.publications(code)
        if not publications:
            raise NotFoundError(
                f"the results of campaign {code} have not been published",
                code="not_published",
                field="campaign",
            )
        if sequence is None:
            return publications[-1]
        if not 1 <= sequence <= len(publications):
            raise NotFoundError(
                f"campaign {code} has {len(publications)} publication(s), not {sequence}",
                field="sequence",
            )
        return publications[sequence - 1]

    @app.get(
        "/v1/campaigns/{code}/publications",
        operation_id="list_publications",
        tags=["publications"],
        responses=ERRORS,
        description="Every publication of the campaign's results: its sequence, the hash of "
        "the table, the signed checkpoint the table was computed at, and its event.",
    )
    def list_publications(code: str, svc: ServiceDep) -> dict[str, Any]:
        campaign_or_404(svc, code)
        return {"campaign": code, "items": svc.reads.publications(code)}

    @app.get(
        "/v1/campaigns/{code}/results",
        operation_id="get_results",
        tags=["publications"],
        responses={**ERRORS, 200: {"content": {"application/json": {}, "text/csv": {}}}},
        description="The published result table (every unit: total, index, rank, grade; "
        "every leaf: final score), the latest or publication `sequence`, as JSON or CSV. "
        "The JSON is exactly the bytes whose SHA-256 the publication recorded.",
    )
    def get_results(
        code: str,
        svc: ServiceDep,
        sequence: Annotated[int | None, Query(ge=1, le=10_000)] = None,
        format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    ) -> Response:
        publication = publication_or_404(svc, code, sequence)
        digest = publication["table_sha256"]
        headers = {
            "x-content-sha256": digest,
            "x-publication-sequence": str(publication["sequence"]),
        }
        if format == "csv":
            table = svc.publishing.tables.get(digest)
            return Response(table_csv(table), media_type="text/csv", headers=headers)
        return Response(
            svc.publishing.tables.raw(digest), media_type="application/json", headers=headers
        )

    @app.get(
        "/v1/campaigns/{code}/results/preview",
        operation_id="preview_results",
        tags=["publications"],
        responses=ERRORS,
        description="The result table as the read models give it now, and its SHA-256: what "
        "a publisher reviews and may sign as table_sha256 in publish_results.",
    )
    def preview_results(code: str, svc: ServiceDep, who: Reader) -> dict[str, Any]:
        campaign_or_404(svc, code)
        table = svc.reads.result_table(code)
        assert table is not None
        return {"table_sha256": table_sha256(table), "table": table}

    @app.get(
        "/v1/campaigns/{code}/bundle",
        operation_id="get_bundle",
        tags=["publications"],
        responses={**ERRORS, 200: {"content": {"application/gzip": {}}}},
        description="The publication bundle of the latest publication (docs/FORMATS.md §13): "
        "check it offline with `parledger verify-bundle FILE --log-key KEY`.",
    )
    def get_bundle(code: str, svc: ServiceDep) -> Response:
        publication_or_404(svc, code, None)
        data = svc.bundle(code)
        return Response(
            data,
            media_type="application/gzip",
            headers={"content-disposition": f'attachment; filename="{code}.bundle"'},
        )

    # -- reads -------------------------------------------------------------------------

    @app.get(
        "/v1/indicator-sets",
        operation_id="list_indicator_sets",
        response_model=Page,
        tags=["reads"],
        responses=ERRORS,
        description="Indicator sets, every version.",
    )
    def list_indicator_sets(
        svc: ServiceDep, who: Reader, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        return _paged(svc.reads.indicator_sets(), limit, offset)

    @app.get(
        "/v1/indicator-sets/{code}/{version}",
        operation_id="get_indicator_set",
        tags=["reads"],
        responses=ERRORS,
        description="One indicator set version.",
    )
    def get_indicator_set(
        code: str, version: Annotated[int, Path(ge=1, le=10**6)], svc: ServiceDep, who: Reader
    ) -> dict[str, Any]:
        doc = svc.reads.indicator_set(code, version)
        if doc is None:
            raise NotFoundError(f"indicator set {code} version {version} does not exist")
        return doc

    @app.get(
        "/v1/units",
        operation_id="list_units",
        response_model=Page,
        tags=["reads"],
        responses=ERRORS,
        description="Registered units.",
    )
    def list_units(
        svc: ServiceDep, who: Reader, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        return _paged(svc.reads.units(), limit, offset)

    @app.get(
        "/v1/keys",
        operation_id="list_keys",
        response_model=Page,
        tags=["reads"],
        responses=ERRORS,
        description="Enrolled keys with their roles (public keys only).",
    )
    def list_keys(
        svc: ServiceDep, who: Reader, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        return _paged(svc.reads.keys(), limit, offset)

    @app.get(
        "/v1/campaigns",
        operation_id="list_campaigns",
        response_model=Page,
        tags=["reads"],
        responses=ERRORS,
        description="Campaigns.",
    )
    def list_campaigns(
        svc: ServiceDep, who: Reader, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        return _paged(svc.reads.campaigns(), limit, offset)

    @app.get(
        "/v1/campaigns/{code}",
        operation_id="get_campaign",
        tags=["reads"],
        responses=ERRORS,
        description="One campaign: schedule, units, bands, state.",
    )
    def get_campaign(code: str, svc: ServiceDep, who: Reader) -> dict[str, Any]:
        return campaign_or_404(svc, code)

    @app.get(
        "/v1/campaigns/{code}/scorecards",
        operation_id="list_scorecards",
        response_model=Page,
        tags=["reads"],
        responses=ERRORS,
        description="A summary of every scorecard of the campaign.",
    )
    def list_scorecards(
        code: str, svc: ServiceDep, who: Reader, limit: Limit = 100, offset: Offset = 0
    ) -> dict[str, Any]:
        campaign_or_404(svc, code)
        return _paged(svc.reads.summaries(code), limit, offset)

    @app.get(
        "/v1/campaigns/{code}/scorecards/{unit}",
        operation_id="get_scorecard",
        tags=["reads"],
        responses=ERRORS,
        description="A unit's scorecard: every leaf at every stage, totals and index; "
        "as it stands or as it stood at a time or log position.",
    )
    def get_scorecard(
        code: str,
        unit: str,
        svc: ServiceDep,
        who: Reader,
        as_of_time: AsOfTime = None,
        as_of_position: AsOfPosition = None,
    ) -> dict[str, Any]:
        campaign_or_404(svc, code)
        view = svc.reads.scorecard(code, unit, as_of(as_of_time, as_of_position))
        if view is None:
            raise NotFoundError(f"unit {unit} takes no part in campaign {code}", field="unit")
        return view

    @app.get(
        "/v1/campaigns/{code}/scorecards/{unit}/gaps",
        operation_id="get_gaps",
        tags=["reads"],
        responses=ERRORS,
        description="Criteria below their maximum, points lost by agency in charge, and "
        "next year's targets.",
    )
    def get_gaps(code: str, unit: str, svc: ServiceDep, who: Reader) -> dict[str, Any]:
        campaign_or_404(svc, code)
        report = svc.reads.gaps(code, unit)
        if report is None:
            raise NotFoundError(f"unit {unit} takes no part in campaign {code}", field="unit")
        return report

    @app.get(
        "/v1/campaigns/{code}/trace",
        operation_id="get_trace",
        tags=["reads"],
        responses={**ERRORS, 200: {"content": {"application/json": {}, "text/csv": {}}}},
        description="Every change of every score (or of one unit, one criterion): when, "
        "who, what, why, on which evidence, and the event's log position. JSON or CSV.",
    )
    def get_trace(
        code: str,
        svc: ServiceDep,
        who: Reader,
        unit: Annotated[str | None, Query(max_length=64)] = None,
        criterion: Annotated[str | None, Query(max_length=64)] = None,
        format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
        limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
        offset: Offset = 0,
    ) -> Any:
        campaign_or_404(svc, code)
        rows = svc.reads.trace(code, unit, criterion)
        if format == "csv":
            return Response(trace_csv(rows[offset : offset + limit]), media_type="text/csv")
        return _paged(rows, limit, offset)

    @app.get(
        "/v1/campaigns/{code}/ranking",
        operation_id="get_ranking",
        tags=["reads"],
        responses=ERRORS,
        description="Ranks per group with index, grade and change against the previous "
        "campaign. Public once the campaign is finalised; before that it needs a token.",
    )
    def get_ranking(
        request: Request,
        code: str,
        svc: ServiceDep,
        group: Annotated[str | None, Query(max_length=64)] = None,
        as_of_time: AsOfTime = None,
        as_of_position: AsOfPosition = None,
    ) -> dict[str, Any]:
        doc = campaign_or_404(svc, code)
        if not doc.get("finalised_at") or as_of_time or as_of_position is not None:
            reader(request, svc)
        rows = svc.reads.ranking(code, group, as_of(as_of_time, as_of_position))
        return {"campaign": code, "finalised": bool(doc.get("finalised_at")), "items": rows}

    @app.get(
        "/v1/campaigns/{code}/progress",
        operation_id="get_progress",
        tags=["reads"],
        responses=ERRORS,
        description="Per unit and per appraiser what is done and what remains; deadlines.",
    )
    def get_progress(
        code: str, svc: ServiceDep, who: Reader, at: AsOfTime = None
    ) -> dict[str, Any]:
        campaign_or_404(svc, code)
        report = svc.reads.progress(code, parse_time(at, "at") if at else svc.now())
        assert report is not None
        return report

    return app
