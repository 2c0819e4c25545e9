"""Verification benchmark: the full offline check of a publication bundle against the raw
Ed25519 verification rate, in the same run; and the time to produce and check inclusion
proofs, in the log of the run and in a stored tree of a million leaves.

    .venv/bin/python bench/verify.py --events 200000 [--campaigns 10]

It builds a synthetic campaign of at least ``--events`` signed events (about 1,400 units ×
50 leaves × the cycle's steps for 200,000) on a fresh SQLite store (or, with
PARLEDGER_DATABASE_URL=postgresql://…, in a fresh schema of that database, dropped at the
end), finalises and publishes it, and writes its bundle. Then it measures:

- the raw rate: Ed25519 verifications per second on one core, of the bundle's own
  command signatures, keys loaded beforehand;
- the full rate: events per second of ``verify_bundle`` on the bundle file, using every core
  (decompression, canonical bytes, hashes, the Merkle root, chains, signatures, signers'
  authority, every score's rule, the result table);
- with ``--campaigns N``, the units are shared out among N campaigns run side by side and
  the first is published: the size of its bundle beside the whole log's, written as one
  bundle of every leaf in full;
- 10,000 inclusion proofs produced by the service's stored log and checked against the
  checkpoint's root.

The last line is the full rate over cores × the raw rate, as ``ratio=0.63``."""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from bench.synthetic import CAMPAIGN, START, Synthetic, build, fresh_schema
from ledger.application.local_client import send
from ledger.application.storage import Storage
from ledger.audit.bundle_format import (
    FORMAT_1,
    Bundle,
    encode_bundle,
    is_hashed,
    merkle_leaf,
    read_bundle,
)
from ledger.core.canonical import canonical_bytes
from ledger.core.crypto import SigningKey, b64decode, key_id_of, load_public_key
from ledger.domain.results import table_sha256
from ledger.transparency.merkle import leaf_hash, verify_inclusion
from projections.projector import open_views
from projections.publication.bundling import build_bundle, leaves_from_store
from projections.publication.publishing import Publishing
from projections.store import Changes
from projections.transparency_log.merkle_log import Frontier, MerkleLog

PROOFS = 10_000


def publish(synthetic: Synthetic) -> Publishing:
    """Finalise the synthetic campaign and publish its results."""
    ledger = synthetic.ledger
    started = time.perf_counter()
    publishing = synthetic.runtime.publishing
    publishing.projector.catch_up(batch_size=2000)
    print(f"projected the read models in {time.perf_counter() - started:.1f} s", flush=True)
    publisher = SigningKey.generate()
    send(
        ledger,
        synthetic.admin,
        "enrol_key",
        {
            "public_key": publisher.public_key,
            "name": "bench publisher",
            "roles": [{"role": "publisher", "scope": []}],
        },
    )
    synthetic.clock.set(START + timedelta(days=62))
    send(ledger, synthetic.secretariat, "finalise_campaign", {"campaign": CAMPAIGN})
    started = time.perf_counter()
    reviewed = table_sha256(ledger.result_table(CAMPAIGN))
    send(ledger, publisher, "publish_results", {"campaign": CAMPAIGN, "table_sha256": reviewed})
    print(f"published the results in {time.perf_counter() - started:.1f} s", flush=True)
    return publishing


def sizes(publishing: Publishing, made: Bundle, size: int, campaigns: int) -> None:
    """The campaign's bundle beside the whole log written as one bundle (format 1)."""
    full = sum(1 for line in made.leaves if not is_hashed(line))
    everything = list(leaves_from_store(publishing, len(made.leaves)))
    whole = len(encode_bundle(Bundle({**made.header, "format": FORMAT_1}, everything)))
    print(
        f"bundle of {CAMPAIGN}, one campaign of {campaigns}: {size / 1e6:.2f} MB "
        f"({full} events in full, {len(made.leaves) - full} leaves as their hash); "
        f"the whole log of {len(made.leaves)} events as one bundle: {whole / 1e6:.2f} MB "
        f"({100 * size / whole:.0f} %)",
        flush=True,
    )


def raw_rate(leaves: Any, limit: int) -> tuple[float, int]:
    """Ed25519 verifications per second on this core, of the bundle's own signatures."""
    keys: dict[str, Ed25519PublicKey] = {}
    samples: list[tuple[Ed25519PublicKey, bytes, bytes]] = []
    for data in leaves:
        if is_hashed(data):
            continue
        event = orjson.loads(data)
        if event["type"] in ("LedgerInitialised", "KeyEnrolled"):
            body = event["body"]
            people = (
                [body["administrator"], body["server"]]
                if event["type"] == "LedgerInitialised"
                else [body]
            )
            for person in people:
                keys[key_id_of(person["public_key"])] = load_public_key(person["public_key"])
        payload = event["command"]["command"]
        if payload["key_id"] in keys and len(samples) < limit:
            samples.append(
                (
                    keys[payload["key_id"]],
                    b64decode(event["command"]["signature"]),
                    canonical_bytes(payload),
                )
            )
    started = time.perf_counter()
    for key, signature, message in samples:
        key.verify(signature, message)
    return len(samples) / (time.perf_counter() - started), len(samples)


VERIFY = """
import sys, time
from ledger.audit.bundle_verifier import verify_bundle
path, log_key, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
started = time.perf_counter()
report = verify_bundle(open(path, "rb").read(), log_key, workers=workers)
print(time.perf_counter() - started)
if not report.ok:
    sys.exit("the bundle did not verify: " + "; ".join(report.problems[:5]))
"""


def verify_in_a_fresh_process(path: Path, log_key: str, workers: int) -> float:
    """Seconds ``verify_bundle`` takes on the file, from reading it to the report, in a new
    process (as ``parledger verify-bundle`` runs, without the interpreter's start)."""
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", VERIFY, str(path), log_key, str(workers)],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    if done.returncode != 0:
        sys.exit(done.stderr.strip() or "the verifier failed")
    return float(done.stdout.strip())


def proofs(log: MerkleLog, size: int, hashes: list[bytes], root: bytes) -> tuple[float, float]:
    """Seconds to produce and to check PROOFS inclusion proofs in a tree of ``size``."""
    picks = [random.randrange(size) for _ in range(PROOFS)]
    started = time.perf_counter()
    made = [log.inclusion(index, size) for index in picks]
    produced = time.perf_counter() - started
    started = time.perf_counter()
    for index, proof in zip(picks, made, strict=True):
        assert verify_inclusion(index, size, hashes[index], proof, root)
    return produced, time.perf_counter() - started


def million(url: str, home: str, leaves: int) -> None:
    """A stored tree of ``leaves`` leaves (hashes only), and proofs in it."""
    storage = Storage(url)
    views = open_views(storage)
    frontier = Frontier.load(views)
    hashes: list[bytes] = []
    started = time.perf_counter()
    batch = 20_000
    for first in range(0, leaves, batch):
        changes = Changes()
        for i in range(first, min(leaves, first + batch)):
            hashed = leaf_hash(i.to_bytes(8, "big"))
            hashes.append(hashed)
            frontier.append(i + 1, hashed, changes)
        views.write(changes, min(leaves, first + batch))
    print(f"stored a tree of {leaves} leaves in {time.perf_counter() - started:.1f} s", flush=True)
    log = MerkleLog(views)
    root = log.root(leaves)
    produced, checked = proofs(log, leaves, hashes, root)
    print(
        f"{PROOFS} inclusion proofs in a stored tree of {leaves} leaves: produced in "
        f"{produced:.2f} s ({produced / PROOFS * 1000:.2f} ms each), checked in "
        f"{checked:.2f} s ({checked / PROOFS * 1000:.3f} ms each)"
    )
    storage.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument(
        "--campaigns",
        type=int,
        default=1,
        help="campaigns run side by side on the units; the first is published and bundled",
    )
    parser.add_argument("--raw-samples", type=int, default=50_000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument(
        "--proof-leaves", type=int, default=1_000_000, help="0: skip the stored-tree proofs"
    )
    args = parser.parse_args()
    cores = args.workers

    url = os.environ.get("PARLEDGER_DATABASE_URL", "")
    drop = None
    with tempfile.TemporaryDirectory() as home:
        if url.startswith("postgres"):
            url, drop = fresh_schema(url)
        else:
            url = f"sqlite:///{home}/bench.sqlite3"
        try:
            started = time.perf_counter()
            last = [0.0]

            def progress(n: int) -> None:
                if time.perf_counter() - last[0] > 15:
                    last[0] = time.perf_counter()
                    print(f"  generating… {n} events", flush=True)

            synthetic = build(url, home, args.events, progress, args.campaigns)
            print(
                f"generated {synthetic.events} signed events for {len(synthetic.units)} units "
                f"in {time.perf_counter() - started:.0f} s on {url.split(':')[0]}",
                flush=True,
            )
            publishing = publish(synthetic)
            started = time.perf_counter()
            made = build_bundle(publishing, CAMPAIGN)
            bundle = encode_bundle(made)
            path = Path(home) / "bench.bundle"
            path.write_bytes(bundle)
            log_key = publishing.checkpoints.signer.verifier().to_string()
            _, leaves = read_bundle(bundle)
            size = len(leaves)
            print(
                f"wrote the bundle: {size} events, {len(bundle) / 1e6:.1f} MB, in "
                f"{time.perf_counter() - started:.1f} s",
                flush=True,
            )

            sizes(publishing, made, len(bundle), args.campaigns)
            raw, samples = raw_rate(leaves, args.raw_samples)
            print(
                f"raw Ed25519 verification, one core: {raw:,.0f} signatures/s ({samples} sampled)"
            )

            elapsed = verify_in_a_fresh_process(path, log_key, cores)
            full = size / elapsed
            print(
                f"full verify-bundle, {cores} processes: {size} events in {elapsed:.2f} s, "
                f"{full:,.0f} events/s"
            )
            print(f"cores × raw rate: {cores} × {raw:,.0f} = {cores * raw:,.0f} signatures/s")

            hashes = [merkle_leaf(data) for data in leaves]
            root = publishing.log.root(size)
            produced, checked = proofs(publishing.log, size, hashes, root)
            print(
                f"{PROOFS} inclusion proofs in the log of {size} leaves: produced in "
                f"{produced:.2f} s ({produced / PROOFS * 1000:.2f} ms each), checked in "
                f"{checked:.2f} s ({checked / PROOFS * 1000:.3f} ms each)",
                flush=True,
            )
            synthetic.ledger.close()
            if args.proof_leaves:
                scratch = (
                    fresh_schema(os.environ["PARLEDGER_DATABASE_URL"])
                    if drop is not None
                    else (f"sqlite:///{home}/tree.sqlite3", None)
                )
                try:
                    million(scratch[0], home, args.proof_leaves)
                finally:
                    if scratch[1] is not None:
                        scratch[1]()
            print(f"ratio={full / (cores * raw):.2f}")
        finally:
            if drop is not None:
                drop()


if __name__ == "__main__":
    main()
