"""Ingest benchmark: signed commands over HTTP against a bare eventsourcing application.

    PARLEDGER_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/ingest.py --commands 4000 --clients 16

It creates a schema of its own (dropped at the end) and starts the service
(`parledger serve`, uvicorn, one process, read models projected in process) on it. N
concurrent clients then send signed self-scores over HTTP, each on its own unit's
scorecard, and the script prints accepted commands per second and p50/p99 latency. In
the same run, the same number of events is saved straight through a bare `eventsourcing`
application on the same database with the same concurrency. The last line is the ratio."""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from api.bootstrap import open_runtime
from bench.synthetic import definition, fresh_schema
from ledger.application.local_client import initialise, send
from ledger.application.settings import Settings
from ledger.application.storage import persistence_env
from ledger.core.crypto import SigningKey
from ledger.core.envelope import sign_command
from ledger.domain.campaign import MILESTONES


class Counter(Aggregate):
    @event("Created")
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Incremented")
    def increment(self, points: str) -> None:
        self.count += 1


class Bare(Application[Any]):
    name = "Bare"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return (
        statistics.median(ordered) * 1000,
        ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
    )


def setup(url: str, home: str, clients: int) -> tuple[str, list[tuple[str, SigningKey]]]:
    settings = Settings(database_url=url, home=Path(home), ledger_name="bench-ingest")
    ledger = open_runtime(settings, project=False).ledger
    admin, server = SigningKey.generate(), SigningKey.generate()
    server.save(settings.server_key_file)
    initialise(ledger, admin, server, admin_name="Bench admin")
    units = [f"I{i:03d}" for i in range(clients)]
    staff = []
    for code in units:
        send(ledger, admin, "register_unit", {"code": code, "name": code, "kind": "district"})
        key = SigningKey.generate()
        send(
            ledger,
            admin,
            "enrol_key",
            {
                "public_key": key.public_key,
                "name": code,
                "roles": [{"role": "unit_staff", "scope": [code]}],
            },
        )
        staff.append((code, key))
    send(ledger, admin, "define_indicator_set", definition())
    start = datetime.now(UTC) - timedelta(days=1)
    send(
        ledger,
        admin,
        "create_campaign",
        {
            "code": "INGEST",
            "year": 2026,
            "title": "Thử tải ghi",
            "indicator_set": "BENCH-SET",
            "indicator_set_version": 1,
            "units": units,
            "schedule": {
                m: (start + timedelta(days=d)).isoformat()
                for m, d in zip(MILESTONES, (0, 30, 45, 52, 60), strict=True)
            },
        },
    )
    name = ledger.keyring().ledger
    ledger.close()
    return name, staff


def http_run(
    base: str, ledger_name: str, staff: list[tuple[str, SigningKey]], commands: int
) -> tuple[float, list[float], int]:
    per_client = commands // len(staff)
    batches = []
    for code, key in staff:
        batch = []
        for i in range(per_client):
            leaf = f"{i % 5 + 1}.{(i // 5) % 10 + 1}"
            inputs = (
                {"numerator": 90 + i % 10, "denominator": 100}
                if int(leaf.split(".")[1]) % 2
                else {"points": "1.50"}
            )
            batch.append(
                sign_command(
                    key,
                    ledger=ledger_name,
                    type="record_self_score",
                    args={
                        "campaign": "INGEST",
                        "unit": code,
                        "criterion": leaf,
                        "inputs": inputs,
                        "explanation": "thử tải",
                    },
                    issued_at=datetime.now(UTC),
                ).envelope()
            )
        batches.append(batch)
    latencies: list[float] = []
    accepted = [0]
    lock = threading.Lock()

    def client(batch: list[dict[str, Any]]) -> None:
        with httpx.Client(base_url=base, timeout=60) as http:
            for envelope in batch:
                t0 = time.perf_counter()
                response = http.post("/v1/commands", json=envelope)
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    if response.status_code == 201:
                        accepted[0] += 1

    threads = [threading.Thread(target=client, args=(b,)) for b in batches]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - started, latencies, accepted[0]


def bare_run(url: str, commands: int, clients: int) -> tuple[float, list[float]]:
    # the library as it ships: its own PostgreSQL recorder, not the ledger's
    env = {
        **{k: v for k, v in persistence_env(url).items() if not k.startswith("AGGREGATE_CACHE")},
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
    }
    app = Bare(env=env)
    per_client = commands // clients
    counters = [Counter(name=f"c{i}") for i in range(clients)]
    app.save(*counters)
    latencies: list[float] = []
    lock = threading.Lock()

    def client(counter_id: Any) -> None:
        counter = app.repository.get(counter_id)
        for _ in range(per_client):
            t0 = time.perf_counter()
            counter.increment(points="1.50")
            app.save(counter)
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)

    threads = [threading.Thread(target=client, args=(c.id,)) for c in counters]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    app.close()
    return seconds, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=4000)
    parser.add_argument("--clients", type=int, default=16)
    args = parser.parse_args()
    url = os.environ.get("PARLEDGER_DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set PARLEDGER_DATABASE_URL to a PostgreSQL database (postgresql://…)")
    url, drop = fresh_schema(url)
    server: subprocess.Popen[bytes] | None = None
    try:
        with tempfile.TemporaryDirectory() as home:
            ledger_name, staff = setup(url, home, args.clients)
            port = free_port()
            env = {
                **os.environ,
                "PARLEDGER_DATABASE_URL": url,
                "PARLEDGER_HOME": home,
                "PARLEDGER_LOG_JSON": "true",
            }
            server = subprocess.Popen(  # noqa: S603
                [
                    str(Path(sys.executable).parent / "parledger"),
                    "serve",
                    "--no-seed",
                    "--port",
                    str(port),
                ],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            base = f"http://127.0.0.1:{port}"
            for _ in range(300):
                try:
                    if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            else:
                sys.exit("the server did not become ready")
            seconds, latencies, accepted = http_run(base, ledger_name, staff, args.commands)
            http_rate = accepted / seconds
            h50, h99 = percentiles(latencies)
            print(
                f"HTTP (signed commands, rules, events, projection): {accepted} accepted of "
                f"{len(latencies)} in {seconds:.2f} s = {http_rate:,.0f} commands/s; "
                f"latency p50 {h50:.1f} ms, p99 {h99:.1f} ms ({args.clients} clients)"
            )
            bare_seconds, bare_latencies = bare_run(url, len(latencies), args.clients)
            bare_rate = len(bare_latencies) / bare_seconds
            b50, b99 = percentiles(bare_latencies)
            print(
                f"bare eventsourcing application: {len(bare_latencies)} events in "
                f"{bare_seconds:.2f} s = {bare_rate:,.0f} events/s; "
                f"latency p50 {b50:.1f} ms, p99 {b99:.1f} ms ({args.clients} threads)"
            )
            print(f"full path / bare library = {http_rate / bare_rate:.2f}")
            print(f"ratio={http_rate / bare_rate:.2f}")
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        drop()


if __name__ == "__main__":
    main()
