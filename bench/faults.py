"""Fault injection on PostgreSQL: nothing acknowledged is lost, nothing is recorded twice,
the read models end equal to a rebuild, and the service recovers by itself.

    PARLEDGER_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/faults.py --clients 8 --commands 1600 --events 100000

It creates databases of its own on that server (dropped at the end) and runs two parts.

1. The service (``parledger serve``, its projector following the log in process) takes
   signed commands from N concurrent clients. Meanwhile the script kills the service with
   SIGKILL several times and starts it again, terminates its database connections, and
   stops the database for a while (``ALLOW_CONNECTIONS false`` and its connections
   terminated). A client sends each envelope again until it is acknowledged, as a client
   whose request failed must. The script prints what was sent, acknowledged, lost and
   duplicated, the longest a request waited during the outage, the time from the
   database's return to the first answer, and whether the read models equal a rebuild.
2. A log of ``--events`` synthetic events (bench/synthetic.py); the projector worker
   (``parledger project``) is killed with SIGKILL twice in the middle of catching up, and
   started again; its read models must end equal to a rebuild.

The last line is ``lost=0 duplicated=0 …``."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.bootstrap import open_runtime
from bench.ingest import free_port, setup
from bench.synthetic import build
from ledger.application.postgres_timeouts import APPLICATION
from ledger.application.service import stored_events
from ledger.application.settings import Settings
from ledger.audit.event_checks import Undecodable, verify_events
from ledger.core.crypto import SigningKey
from ledger.core.envelope import sign_command
from projections.projector import Projector
from projections.store import TABLES

SCRIPT = Path(sys.executable).parent / "parledger"


# -- databases of our own --------------------------------------------------------------------


@contextmanager
def own_database(server_url: str, purpose: str) -> Iterator[str]:
    admin = server_url.split("?", 1)[0]
    name = f"parledger_faults_{purpose}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{admin.rsplit('/', 1)[0]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def terminate_connections(url: str) -> int:
    """Terminate the ledger's connections to this (our own) database."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = %s",
            (name, APPLICATION),
        ).fetchall()
    return len(rows)


def allow_connections(url: str, allowed: bool) -> None:
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allowed).lower()}')


def read_model_digest(url: str) -> dict[str, str]:
    """An MD5 of every rebuildable read-model table's rows, and the tracked position."""
    found = {}
    with psycopg.connect(url) as conn:
        for table in sorted(TABLES):
            row = conn.execute(
                f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) FROM {table} t"  # noqa: S608
            ).fetchone()
            assert row is not None
            found[table] = f"{row[0]} rows, md5 {row[1]}"
        row = conn.execute("SELECT max(notification_id) FROM ledger_tracking").fetchone()
        found["tracked position"] = str(row[0] if row else None)
    return found


def equal_to_rebuild(url: str, home: str) -> tuple[bool, int, float]:
    """Whether the read models as projected equal a rebuild from the first event; the
    number of tables compared and the rebuild's time."""
    projected = read_model_digest(url)
    runtime = open_runtime(Settings(database_url=url, home=Path(home)), project=False)
    ledger = runtime.ledger
    try:
        started = time.perf_counter()
        Projector(runtime.storage).rebuild()
        seconds = time.perf_counter() - started
    finally:
        ledger.close()
    rebuilt = read_model_digest(url)
    for table in projected:
        if projected[table] != rebuilt[table]:
            print(f"  differs from a rebuild: {table}: {projected[table]} ≠ {rebuilt[table]}")
    return projected == rebuilt, len(projected) - 1, seconds


# -- part 1: the service under faults -----------------------------------------------------------


@dataclass
class Request:
    started: float
    ended: float
    status: int  # 0: no answer (connection refused, reset, timed out)
    what: str  # "command" or "read"


@dataclass
class Run:
    requests: list[Request] = field(default_factory=list)
    receipts: dict[str, dict[str, Any]] = field(default_factory=dict)  # nonce -> receipt
    refused: Counter[str] = field(default_factory=Counter)
    sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def note(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)


class Service:
    def __init__(self, url: str, home: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PARLEDGER_DATABASE_URL": url,
            "PARLEDGER_HOME": home,
            "PARLEDGER_CHECKPOINT_INTERVAL_SECONDS": "1",
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.log = Path(home) / "service.log"

    def start(self) -> float:
        """Start the service; the seconds until it answers /healthz."""
        started = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [str(SCRIPT), "serve", "--no-seed", "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while True:
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return time.monotonic() - started
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None or time.monotonic() - started > 60:
                sys.exit(f"the service did not start: {self.log.read_text()[-3000:]}")
            time.sleep(0.05)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def client(
    base: str,
    ledger_name: str,
    unit: str,
    key: SigningKey,
    count: int,
    run: Run,
) -> None:
    """Send ``count`` self-scores, each until it is acknowledged: a failed request's outcome
    is unknown, so the same envelope goes again."""
    with httpx.Client(base_url=base, timeout=30) as http:
        for i in range(count):
            leaf = f"{i % 5 + 1}.{(i // 5) % 10 + 1}"
            inputs = (
                {"numerator": 80 + i % 20, "denominator": 100}
                if int(leaf.split(".")[1]) % 2
                else {"points": ("0.50", "1.00", "1.50", "2.00")[i % 4]}
            )
            envelope = sign_command(
                key,
                ledger=ledger_name,
                type="record_self_score",
                args={"campaign": "INGEST", "unit": unit, "criterion": leaf, "inputs": inputs},
                issued_at=datetime.now(UTC),
            ).envelope()
            nonce = envelope["command"]["nonce"]
            with run.lock:
                run.sent += 1
            pause = 0.05
            while True:
                started = time.monotonic()
                try:
                    response = http.post("/v1/commands", json=envelope)
                    status = response.status_code
                except httpx.HTTPError:
                    status = 0
                run.note(Request(started, time.monotonic(), status, "command"))
                if status == 201:
                    with run.lock:
                        run.receipts[nonce] = response.json()
                    break
                if status not in (0, 409, 503):
                    with run.lock:
                        run.refused[f"{status} {response.json().get('code')}"] += 1
                    break
                time.sleep(pause)
                pause = min(pause * 2, 1.0)


def prober(base: str, stop: threading.Event, run: Run) -> None:
    """Reads the ledger's position every 50 ms, to time the outage and the recovery."""
    with httpx.Client(base_url=base, timeout=30) as http:
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = http.get("/v1/ledger").status_code
            except httpx.HTTPError:
                status = 0
            run.note(Request(started, time.monotonic(), status, "read"))
            time.sleep(0.05)


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            sys.exit(f"gave up waiting for {what}")
        time.sleep(0.2)


def part_one(
    server_url: str, clients: int, commands: int, kills: int, outage: float
) -> dict[str, Any]:
    with own_database(server_url, "service") as url, tempfile.TemporaryDirectory() as home:
        ledger_name, staff = setup(url, home, clients)
        service = Service(url, home)
        service.start()
        run = Run()
        per_client = commands // clients
        threads = [
            threading.Thread(
                target=client, args=(service.base, ledger_name, unit, key, per_client, run)
            )
            for unit, key in staff
        ]
        stop_probe = threading.Event()
        probe = threading.Thread(target=prober, args=(service.base, stop_probe, run))
        for thread in [*threads, probe]:
            thread.start()
        total = per_client * clients
        # faults, paced by the clients' progress: kills and terminated connections
        # alternate, then the database goes away
        plan = [("kill", 0.10 + 0.45 * i / max(1, kills)) for i in range(kills)]
        plan += [("terminate", 0.17 + 0.45 * i / max(1, kills)) for i in range(kills)]
        plan.sort(key=lambda step: step[1])
        plan.append(("outage", 0.70))
        restarts, terminated, outage_window = [], 0, (0.0, 0.0)
        for fault, at in plan:
            wait_for(lambda at=at: len(run.receipts) >= at * total, 600, f"{at:.0%} acknowledged")
            if fault == "kill":
                service.kill()
                restarts.append(service.start())
            elif fault == "terminate":
                terminated += terminate_connections(url)
            else:
                allow_connections(url, False)
                began = time.monotonic()
                terminated += terminate_connections(url)
                time.sleep(outage)
                allow_connections(url, True)
                outage_window = (began, time.monotonic())
        for thread in threads:
            thread.join()
        stop_probe.set()
        probe.join()
        wait_for(lambda: caught_up(service.base), 120, "the read models to catch up with the log")
        service.stop()
        stored = stored_commands(url, home)
        lost = [
            nonce
            for nonce, receipt in run.receipts.items()
            if stored.event_of.get(nonce) != receipt["event_id"]
        ]
        duplicated = sum(n - 1 for n in stored.replay_keys.values() if n > 1)
        began, ended = outage_window
        during = [r for r in run.requests if r.started < ended and r.ended > began]
        slowest = max(during, key=lambda r: r.ended - r.started, default=None)
        answered = [r.ended for r in run.requests if r.ended > ended and r.status in (200, 201)]
        equal, tables, rebuild_seconds = equal_to_rebuild(url, home)
        return {
            "clients": clients,
            "sent": run.sent,
            "acknowledged": len(run.receipts),
            "lost": len(lost),
            "duplicated": duplicated,
            "refused": dict(run.refused),
            "requests": len(run.requests),
            "no_answer": sum(1 for r in run.requests if r.status == 0),
            "answered_503": sum(1 for r in run.requests if r.status == 503),
            "kills": kills,
            "restart_seconds": restarts,
            "terminated_connections": terminated,
            "outage_seconds": ended - began,
            "longest_wait_in_outage": slowest.ended - slowest.started if slowest else 0.0,
            "slowest": f"a {slowest.what} answered {slowest.status or 'nothing'}"
            if slowest
            else "",
            "outage_answers": dict(Counter(r.status for r in during)),
            "recovery_seconds": (min(answered) - ended) if answered else float("nan"),
            "verified": stored.verified,
            "equal": equal,
            "tables": tables,
            "rebuild_seconds": rebuild_seconds,
        }


def caught_up(base: str) -> bool:
    try:
        info = httpx.get(f"{base}/v1/ledger", timeout=5).json()
        ready = httpx.get(f"{base}/readyz", timeout=5).status_code == 200
    except (httpx.HTTPError, ValueError):
        return False
    return ready and info["projected_position"] >= info["position"]


@dataclass
class Stored:
    event_of: dict[str, str]  # nonce -> the event id that recorded its command
    replay_keys: Counter[str]  # key_id:nonce -> stored events with that command
    verified: int  # events verified, 0 if any fails


def stored_commands(url: str, home: str) -> Stored:
    """Every stored command: the event that recorded it, how often it is stored, and
    whether every stored event verifies."""
    ledger = open_runtime(Settings(database_url=url, home=Path(home)), project=False).ledger
    stored = Stored({}, Counter(), 0)
    try:
        for _, event in stored_events(ledger):
            if isinstance(event, Undecodable):
                continue
            command = event.command["command"]
            stored.replay_keys[f"{command['key_id']}:{command['nonce']}"] += 1
            stored.event_of[command["nonce"]] = f"{event.originator_id}/{event.originator_version}"
        report = verify_events(stored_events(ledger))
        stored.verified = report.events if report.ok else 0
    finally:
        ledger.close()
    return stored


# -- part 2: the projector worker killed while it catches up ------------------------------------


def tracked(url: str) -> int:
    try:
        with psycopg.connect(url, connect_timeout=5) as conn:
            row = conn.execute(
                "SELECT max(notification_id) FROM ledger_tracking "
                "WHERE application_name <> '__migration__'"
            ).fetchone()
    except psycopg.Error:
        return 0
    return int(row[0] or 0) if row else 0


def part_two(server_url: str, events: int) -> dict[str, Any]:
    with own_database(server_url, "worker") as url, tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        last = [0.0]

        def progress(n: int) -> None:
            if time.perf_counter() - last[0] > 15:
                last[0] = time.perf_counter()
                print(f"  generating… {n} events", flush=True)

        synthetic = build(url, home, events, progress)
        head = synthetic.events
        synthetic.ledger.close()
        print(f"  {head} events generated in {time.perf_counter() - started:.0f} s", flush=True)
        env = {**os.environ, "PARLEDGER_DATABASE_URL": url, "PARLEDGER_HOME": home}
        killed_at = []
        stopped_in = 0.0
        began = time.perf_counter()
        for fraction in (0.3, 0.65, None):
            worker = subprocess.Popen(  # noqa: S603
                [str(SCRIPT), "project"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            target = head if fraction is None else int(head * fraction)
            wait_for(lambda t=target: tracked(url) >= t, 1800, f"the worker to reach {target}")
            if fraction is None:
                signalled = time.perf_counter()
                worker.send_signal(signal.SIGINT)
                worker.wait(timeout=30)
                stopped_in = time.perf_counter() - signalled
            else:
                worker.send_signal(signal.SIGKILL)
                worker.wait()
                killed_at.append(tracked(url))
        seconds = time.perf_counter() - began
        equal, tables, rebuild_seconds = equal_to_rebuild(url, home)
        return {
            "events": head,
            "killed_at": killed_at,
            "catch_up_seconds": seconds,
            "stopped_in": stopped_in,
            "equal": equal,
            "tables": tables,
            "rebuild_seconds": rebuild_seconds,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--commands", type=int, default=1600)
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs of the service")
    parser.add_argument("--outage", type=float, default=6.0, help="seconds without database")
    parser.add_argument("--events", type=int, default=100_000, help="the worker part's log")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    server_url = os.environ.get("PARLEDGER_DATABASE_URL", "")
    if not server_url.startswith("postgres"):
        sys.exit("set PARLEDGER_DATABASE_URL to a PostgreSQL server (postgresql://…)")

    print("part 1: the service under faults", flush=True)
    one = part_one(server_url, args.clients, args.commands, args.kills, args.outage)
    print(
        f"  {one['clients']} clients: sent {one['sent']} signed commands, acknowledged "
        f"{one['acknowledged']}, lost {one['lost']}, duplicated {one['duplicated']}, refused "
        f"{sum(one['refused'].values())} {one['refused'] or ''}"
    )
    print(
        f"  {one['requests']} requests: {one['no_answer']} without an answer (service killed), "
        f"{one['answered_503']} answered 503 (database away or connections lost)"
    )
    restarts = ", ".join(f"{s:.1f}" for s in one["restart_seconds"])
    print(
        f"  faults: {one['kills']} SIGKILLs of the service (each restarted; up again in "
        f"{restarts} s), {one['terminated_connections']} database connections terminated, "
        f"the database away for {one['outage_seconds']:.1f} s"
    )
    print(
        f"  during the outage: answers by status {one['outage_answers']}; the longest request "
        f"waited {one['longest_wait_in_outage']:.2f} s ({one['slowest']}); the first answer "
        f"came {one['recovery_seconds']:.2f} s after the database was back (no restart)"
    )
    print(
        f"  the stored log verifies ({one['verified']} events); read models equal a rebuild: "
        f"{'yes' if one['equal'] else 'NO'} ({one['tables']} tables, rebuilt in "
        f"{one['rebuild_seconds']:.1f} s)"
    )
    print(f"part 2: the projector worker killed while catching up on {args.events:,} events")
    two = part_two(server_url, args.events)
    print(
        f"  {two['events']} events; the worker was killed (SIGKILL) at tracked positions "
        f"{', '.join(map(str, two['killed_at']))}, started again each time, and caught up in "
        f"{two['catch_up_seconds']:.0f} s overall; stopped with SIGINT, it exited in "
        f"{two['stopped_in']:.2f} s"
    )
    print(
        f"  read models equal a rebuild: {'yes' if two['equal'] else 'NO'} ({two['tables']} "
        f"tables, rebuilt in {two['rebuild_seconds']:.1f} s)"
    )
    print(
        f"lost={one['lost']} duplicated={one['duplicated']} "
        f"read_models_equal_rebuild={'yes' if one['equal'] else 'no'} "
        f"worker_killed_read_models_equal_rebuild={'yes' if two['equal'] else 'no'} "
        f"longest_wait_in_outage={one['longest_wait_in_outage']:.2f}s "
        f"recovery={one['recovery_seconds']:.2f}s"
    )


if __name__ == "__main__":
    main()
