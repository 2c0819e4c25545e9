"""The ``parledger`` commands of publication and offline checking: publish a campaign's
results, show them, write a publication bundle, check one offline, print the log key, and
act as a witness that cosigns the log's checkpoints."""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from api.bootstrap import Runtime
from api.cli.remote import RemoteLedger, segment
from api.cli.render import results_table, to_json
from api.cli.support import (
    Failure,
    FormatOption,
    KeyOption,
    LogKeyOption,
    ReadKeyOption,
    ServerOption,
    _check_format,
    _log_key,
    _receipt,
    _remote,
    _require_campaign,
    _run,
    _runtime,
    _spinner,
    _target,
    err,
    out,
    refuse_where_no_ledger,
    show,
)
from ledger.application.settings import Settings
from ledger.audit.bundle_format import encode_bundle, read_bundle
from ledger.audit.bundle_verifier import verify_bundle
from ledger.core.canonical import sha256_hex
from ledger.core.codes import SHA256
from ledger.core.crypto import SigningKey, b64decode, b64encode
from ledger.domain.results import table_csv, table_sha256
from ledger.transparency.checkpoint import open_checkpoint
from ledger.transparency.cosignature import Cosigner, add_cosignature
from ledger.transparency.merkle import verify_consistency
from projections.publication.bundling import build_bundle
from projections.transparency_log.checkpoints import log_signer

witness_app = typer.Typer(
    no_args_is_help=True,
    help="Act as a witness of a parledger log: check that each new checkpoint extends the "
    "last one you cosigned, then cosign it (C2SP tlog-cosignature).",
)

CampaignOption = Annotated[str, typer.Option("--campaign", help="campaign code")]


def _results_path(campaign: str, *rest: str) -> str:
    return "/".join(["/v1/campaigns", segment(campaign), "results", *rest])


def register(app: typer.Typer) -> None:
    app.command("publish")(publish)
    app.command("results")(results)
    app.command("bundle")(bundle)
    app.command("verify-bundle")(verify_bundle_command)
    app.command("log-key")(log_key)
    app.add_typer(witness_app, name="witness")


def _preview(campaign: str, server: str | None, key: SigningKey) -> dict[str, Any]:
    if server:
        with RemoteLedger(server) as remote:
            remote.login(key)
            preview: dict[str, Any] = remote.get(_results_path(campaign, "preview"))
            return preview
    publishing = _runtime()
    try:
        _require_campaign(publishing.reads, campaign)
        table = publishing.reads.result_table(campaign)
        assert table is not None
        return {"table": table, "table_sha256": table_sha256(table)}
    finally:
        publishing.ledger.close()


def publish(
    campaign: CampaignOption,
    key: KeyOption,
    server: ServerOption = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="publish without asking (for scripts)")
    ] = False,
) -> None:
    """Publish a finalised campaign's results: show the table the events give, ask, then
    sign its hash, so that the ledger records exactly the table you reviewed."""

    def act() -> None:
        signer = SigningKey.load(key)
        preview = _preview(campaign, server, signer)
        digest = preview["table_sha256"]
        show(results_table(preview["table"], f"SHA-256 {digest}"))
        if not yes:
            if not sys.stdin.isatty():
                raise Failure("give --yes to publish without being asked")
            if not typer.confirm(f"Công bố kết quả {campaign} (bảng {digest[:12]}…)?"):
                raise Failure("nothing was published")
        with _target(server) as target:
            receipt = target.submit(
                signer, "publish_results", {"campaign": campaign, "table_sha256": digest}
            )
        _receipt(receipt)
        out.print(
            f"published the results of {campaign}: table {digest}",
            highlight=False,
            soft_wrap=True,
        )

    _run(act)


def results(
    campaign: CampaignOption,
    fmt: FormatOption = "table",
    sequence: Annotated[
        int | None, typer.Option(help="which publication (default: the latest)")
    ] = None,
    server: ServerOption = None,
) -> None:
    """The published result table: every unit's total, index, rank and grade, and every
    leaf's final score (json and csv hold them all)."""

    def act() -> None:
        _check_format(fmt)
        if server:
            with RemoteLedger(server) as remote:
                params = {"sequence": sequence}
                table = remote.get(_results_path(campaign), params)
        else:
            publishing = _runtime()
            try:
                table = _local_table(publishing, campaign, sequence)
            finally:
                publishing.ledger.close()
        if fmt == "json":
            print(to_json(table))
        elif fmt == "csv":
            print(table_csv(table), end="")
        else:
            show(results_table(table, f"SHA-256 {table_sha256(table)}"))

    _run(act)


def _local_table(runtime: Runtime, campaign: str, sequence: int | None) -> dict[str, Any]:
    _require_campaign(runtime.reads, campaign)
    publications = runtime.reads.publications(campaign)
    if not publications:
        raise Failure(f"the results of campaign {campaign} have not been published")
    if sequence is not None and not 1 <= sequence <= len(publications):
        raise Failure(f"campaign {campaign} has {len(publications)} publication(s)")
    chosen = publications[-1 if sequence is None else sequence - 1]
    return runtime.publishing.tables.get(chosen["table_sha256"])


def bundle(
    campaign: CampaignOption,
    output: Annotated[Path, typer.Option("-o", "--output", help="the bundle file to write")],
    server: ServerOption = None,
    evidence_dir: Annotated[
        Path | None,
        typer.Option(help="also copy the evidence files the bundle lists into this folder"),
    ] = None,
    key: ReadKeyOption = None,
) -> None:
    """Write the publication bundle of a campaign's latest publication: the signed
    checkpoint, every event up to it, the key registry's history, the evidence hashes and
    the published table."""

    def act() -> None:
        with _spinner(f"writing the bundle of {campaign}"):
            if server:
                data, listed = _remote_bundle(server, campaign, evidence_dir, key)
            else:
                publishing = _runtime()
                try:
                    built = build_bundle(publishing.publishing, campaign)
                    data = encode_bundle(built)
                    listed = built.header["evidence"]
                    if evidence_dir is not None:
                        for item in listed:
                            digest = item["sha256"]
                            content = publishing.ledger.evidence.read(digest)
                            _keep_evidence(evidence_dir, digest, content)
                finally:
                    publishing.ledger.close()
            output.write_bytes(data)
        copied = f"; {len(listed)} evidence files in {evidence_dir}" if evidence_dir else ""
        out.print(f"wrote {output} ({len(data)} bytes){copied}", highlight=False)

    _run(act)


def _remote_bundle(
    server: str, campaign: str, evidence_dir: Path | None, key: Path | None
) -> tuple[bytes, list[dict[str, Any]]]:
    with _remote(server, key, needed=evidence_dir is not None) as remote:
        data = remote.get_bytes("/".join(["/v1/campaigns", segment(campaign), "bundle"]))
        if evidence_dir is None:
            return data, []
        header, _ = read_bundle(data)
        listed = header.get("evidence")
        if not isinstance(listed, list):
            raise Failure("the server's bundle lists no evidence")
        for item in listed:
            digest = item.get("sha256") if isinstance(item, dict) else None
            if not isinstance(digest, str) or not re.fullmatch(SHA256, digest):
                raise Failure(f"the server's bundle names evidence {digest!r}, not a SHA-256")
            content = remote.get_bytes(f"/v1/evidence/{digest}")
            if sha256_hex(content) != digest:
                raise Failure(f"the server sent other bytes for evidence {digest}")
            _keep_evidence(evidence_dir, digest, content)
        return data, listed


def _keep_evidence(folder: Path, digest: str, content: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / digest).write_bytes(content)


def verify_bundle_command(
    file: Annotated[Path, typer.Argument(help="the bundle file", exists=False)],
    log_key: LogKeyOption = None,
    witness: Annotated[
        list[str] | None,
        typer.Option(help="a witness's cosignature verifier key that must have cosigned"),
    ] = None,
    evidence: Annotated[
        Path | None, typer.Option(help="a folder of evidence files to check against the bundle")
    ] = None,
    genesis: Annotated[
        str | None,
        typer.Option(help="the SHA-256 of the ledger's genesis event, to pin the ledger"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(min=1, help="processes to use (default: every core)")
    ] = None,
) -> None:
    """Check a publication bundle offline, from the log's key alone: the checkpoint, the log,
    every event and signature and signer, the publication, and the published table."""

    def act() -> None:
        if not file.is_file():
            raise Failure(f"{file} is not a file")
        if log_key is None:
            raise Failure("give --log-key (the log's verifier key, from GET /v1/log/key)")
        trusted = _log_key(log_key)
        started = time.perf_counter()
        # no spinner: its thread must not run while the checks fork their workers
        report = verify_bundle(
            file.read_bytes(),
            trusted.to_string(),
            witnesses=witness or (),
            genesis=genesis,
            evidence_dir=evidence,
            workers=workers,
        )
        elapsed = time.perf_counter() - started
        for line in report.checked:
            out.print(f"ok: {line}", highlight=False, soft_wrap=True)
        if report.ok:
            out.print(f"verified {file} in {elapsed:.2f} s", highlight=False)
            return
        for line in report.problems:
            err.print(f"FAILED: {line}", highlight=False, soft_wrap=True, markup=False)
        raise typer.Exit(1)

    _run(act)


def log_key(server: ServerOption = None) -> None:
    """The log's verifier key, to check its checkpoints and bundles with."""

    def act() -> None:
        if server:
            with RemoteLedger(server) as remote:
                print(remote.get_text("/v1/log/key").strip())
            return
        settings = Settings()
        refuse_where_no_ledger(settings)
        if not settings.log_key_file.is_file():
            raise Failure(
                f"there is no log key at {settings.log_key_file.resolve()}: point "
                "PARLEDGER_HOME at the ledger's home folder or --server URL at its server"
            )
        print(log_signer(settings).verifier().to_string())

    _run(act)


WitnessName = Annotated[
    str, typer.Option("--name", help="the witness's key name, e.g. thanhtra.hanoi.gov.vn")
]


@witness_app.command("key")
def witness_key(key: KeyOption, name: WitnessName) -> None:
    """The witness's cosignature verifier key: give it to the log (PARLEDGER_WITNESSES) and
    to whoever checks bundles (verify-bundle --witness)."""
    _run(lambda: print(Cosigner(name, SigningKey.load(key)).verifier_string()))


@witness_app.command("cosign")
def witness_cosign(
    key: KeyOption,
    name: WitnessName,
    server: Annotated[str, typer.Option("--server", envvar="PARLEDGER_SERVER", help="the log")],
    log_key: LogKeyOption = None,
    state: Annotated[
        Path, typer.Option(help="where the witness keeps the last checkpoint it cosigned")
    ] = Path("witness-state.json"),
) -> None:
    """Fetch the log's latest checkpoint, check its signature and that it extends the last
    checkpoint this witness cosigned (an RFC 9162 consistency proof), then cosign it and
    send the cosignature to the log."""

    def act() -> None:
        if log_key is None:
            raise Failure("give --log-key (the log's verifier key, from GET /v1/log/key)")
        trusted = _log_key(log_key)
        cosigner = Cosigner(name, SigningKey.load(key))
        last = json.loads(state.read_text(encoding="utf-8")) if state.exists() else None
        with RemoteLedger(server) as remote:
            note = remote.get_text("/v1/log/checkpoint")
            checkpoint = open_checkpoint(note, trusted)
            if last is not None:
                _check_extends(remote, last, checkpoint.size, checkpoint.root_hash)
            text = note.split("\n\n", 1)[0] + "\n"
            line = cosigner.cosign(text, int(time.time()))
            remote.post_text("/v1/log/cosignatures", add_cosignature(note, line))
        state.write_text(
            json.dumps(
                {
                    "origin": checkpoint.origin,
                    "size": checkpoint.size,
                    "root": b64encode(checkpoint.root_hash),
                }
            )
            + "\n",
            encoding="utf-8",
        )
        os.chmod(state, 0o600)
        out.print(
            f"cosigned the checkpoint of {checkpoint.size} leaves of {checkpoint.origin}",
            highlight=False,
        )

    _run(act)


def _check_extends(remote: RemoteLedger, last: dict[str, Any], size: int, root: bytes) -> None:
    """Refuse a checkpoint that does not extend the last one cosigned: the log would be
    showing a history other than the one it showed before."""
    old_size, old_root = int(last["size"]), b64decode(last["root"], "state")
    if size < old_size:
        raise Failure(
            f"the log's checkpoint has {size} leaves, fewer than the {old_size} this witness "
            "already cosigned: it does not extend it; not cosigning"
        )
    proof = remote.get("/v1/log/proof/consistency", {"from": old_size, "to": size})
    hashes = [b64decode(h, "proof") for h in proof["hashes"]]
    if not verify_consistency(old_size, size, old_root, root, hashes):
        err.print(
            f"ALERT: the checkpoint of {size} leaves is not consistent with the one of "
            f"{old_size} leaves this witness cosigned: the log rewrote its history",
            highlight=False,
        )
        raise typer.Exit(2)
