"""``parledger project`` on PostgreSQL stops within seconds of SIGINT or SIGTERM at any point
of a catch-up, says where it stopped, and the next start resumes from there: the read
models then equal a rebuild. Also on a loaded machine, where a signal can come while the
follower is starting its subscription's threads (which once kept the process alive for
ever)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from bench.synthetic import build
from projections.store import TABLES

PARLEDGER = Path(sys.executable).parent / "parledger"
# a generous bound: the command waits at most two seconds for the batch in progress
PROMPTLY = 15.0
# a machine so loaded that a new thread runs only half a second after it was started
LOADED = """
import sys, threading, time
start = threading.Thread.start
def late(self):
    start(self)
    time.sleep(0.5)
threading.Thread.start = late
from api.cli.main import main
sys.argv = ["parledger", *sys.argv[1:]]
main()
"""


def environment(url: str, home: Path) -> dict[str, str]:
    return {**os.environ, "PARLEDGER_DATABASE_URL": url, "PARLEDGER_HOME": str(home)}


def tracked(url: str) -> int:
    schema = url.split("schema=", 1)[1]
    with psycopg.connect(url.split("?")[0]) as conn:
        row = conn.execute(
            f'SELECT max(notification_id) FROM "{schema}".ledger_tracking '
            "WHERE application_name <> '__migration__'"
        ).fetchone()
    return int(row[0] or 0) if row else 0


def read_models(url: str) -> dict[str, tuple[int, str]]:
    schema = url.split("schema=", 1)[1]
    found = {}
    with psycopg.connect(url.split("?")[0]) as conn:
        for table in sorted(TABLES):
            row = conn.execute(
                f"SELECT count(*), md5(string_agg(t::text, '|' ORDER BY t::text)) "
                f'FROM "{schema}".{table} t'
            ).fetchone()
            assert row is not None
            found[table] = (int(row[0]), str(row[1]))
    return found


def parledger(url: str, home: Path, *args: str) -> str:
    done = subprocess.run(
        [str(PARLEDGER), *args],
        env=environment(url, home),
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    return done.stdout + done.stderr


def stop(worker: subprocess.Popen[str], signum: int) -> tuple[str, float]:
    """Signal the worker; what it wrote to stderr and how long it took to exit."""
    began = time.monotonic()
    worker.send_signal(signum)
    try:
        _, stderr = worker.communicate(timeout=PROMPTLY)
    except subprocess.TimeoutExpired:
        worker.kill()
        worker.communicate()
        pytest.fail(f"parledger project still ran {PROMPTLY:.0f} s after signal {signum}")
    assert worker.returncode == 0, stderr
    return stderr, time.monotonic() - began


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_mid_catch_up_stops_it_and_the_next_start_resumes(
    pg_url: str, tmp_path: Path, signum: int
) -> None:
    home = tmp_path / "home"
    synthetic = build(pg_url, str(home), 4000, lambda n: None)
    head = synthetic.events
    synthetic.ledger.close()
    worker = subprocess.Popen(
        [str(PARLEDGER), "project"],
        env=environment(pg_url, home),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 300
    while tracked(pg_url) == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    at_signal = tracked(pg_url)
    assert 0 < at_signal < head, "the catch-up was not under way when signalled"
    stderr, _ = stop(worker, signum)
    said = re.search(r"stopped: the read models are at log position (\d+)", stderr)
    assert said, stderr
    assert at_signal <= int(said[1]) < head
    assert tracked(pg_url) == int(said[1])
    assert "Traceback" not in stderr

    assert f"read models at log position {head}" in parledger(pg_url, home, "project", "--once")
    resumed = read_models(pg_url)
    parledger(pg_url, home, "rebuild")
    assert resumed == read_models(pg_url)


def test_a_signal_while_the_follower_subscribes_on_a_loaded_machine(
    pg_url: str, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    synthetic = build(pg_url, str(home), 200, lambda n: None)
    head = synthetic.events
    synthetic.ledger.close()
    parledger(pg_url, home, "project", "--once")
    for delay in (0.2, 0.7):
        worker = subprocess.Popen(
            [sys.executable, "-c", LOADED, "project"],
            env=environment(pg_url, home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert worker.stderr is not None
        assert "following the log" in worker.stderr.readline()
        time.sleep(delay)  # the follower is starting its subscription
        stderr, _ = stop(worker, signal.SIGINT)
        assert f"stopped: the read models are at log position {head}" in stderr
