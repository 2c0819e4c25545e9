"""Public pages benchmark: 64 concurrent readers on loopback against the published results
page, a unit's page, their JSON/CSV twins, the verify page's data endpoints and the
tlog-proof, and ETag revalidations; prints requests/s, p50 and p99 per address.

    .venv/bin/python bench/web_public.py [--units 100] [--readers 64] [--requests 2000]

It builds the synthetic campaign of bench/synthetic.py (50 leaves per unit, the whole cycle)
on a fresh SQLite store (or, with PARLEDGER_DATABASE_URL=postgresql://…, in a fresh schema of
that database, dropped at the end), finalises and publishes it, starts the service
(`parledger serve`, one uvicorn process) on it and reads it over HTTP with one asyncio
client per reader. The first request of each address warms the service's cache of the
publication; it is not counted."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ingest import free_port
from bench.synthetic import CAMPAIGN, EVENTS_PER_UNIT, build, fresh_schema
from bench.verify import publish


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def hammer(
    base: str, path: str, readers: int, requests: int, etag: bool
) -> tuple[float, list[float], int]:
    """``requests`` GETs of ``path`` spread over ``readers`` clients; seconds, latencies (ms)
    and the count of failed requests and answers other than 200 (or 304 when revalidating)."""
    headers = {}
    async with httpx.AsyncClient(base_url=base, timeout=60) as probe:
        first = await probe.get(path)
        first.raise_for_status()
        if etag:
            headers["if-none-match"] = first.headers["etag"]
    latencies: list[float] = []
    bad = 0
    share = [requests // readers + (1 if n < requests % readers else 0) for n in range(readers)]

    async def reader(count: int) -> None:
        nonlocal bad
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            for _ in range(count):
                started = time.perf_counter()
                try:
                    answer = await client.get(path, headers=headers)
                except httpx.TransportError:  # a kept-alive connection the server closed
                    bad += 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                if answer.status_code != (304 if etag else 200):
                    bad += 1

    started = time.perf_counter()
    await asyncio.gather(*(reader(n) for n in share))
    return time.perf_counter() - started, latencies, bad


def serve(url: str, home: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {
        **os.environ,
        "PARLEDGER_DATABASE_URL": url,
        "PARLEDGER_HOME": home,
        "PARLEDGER_LOG_JSON": "true",
        "PARLEDGER_CHECKPOINT_INTERVAL_SECONDS": "3600",
    }
    server = subprocess.Popen(  # noqa: S603
        [str(Path(sys.executable).parent / "parledger"), "serve", "--no-seed", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return server, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    server.kill()
    sys.exit("the server did not become ready")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--readers", type=int, default=64)
    parser.add_argument("--requests", type=int, default=2000)
    args = parser.parse_args()
    url = os.environ.get("PARLEDGER_DATABASE_URL", "")
    drop = None
    server = None
    with tempfile.TemporaryDirectory() as home:
        if url.startswith("postgres"):
            url, drop = fresh_schema(url)
        else:
            url = f"sqlite:///{home}/bench.sqlite3"
        try:
            synthetic = build(url, home, args.units * EVENTS_PER_UNIT, lambda n: None)
            publish(synthetic)
            unit = sorted(synthetic.units)[0]
            synthetic.ledger.close()
            server, base = serve(url, home)
            print(
                f"{args.units} units published on {url.split(':')[0]}; {args.readers} readers, "
                f"{args.requests} requests per address, loopback",
                flush=True,
            )
            cases = [
                (f"/cong-bo/{CAMPAIGN}", False),
                (f"/cong-bo/{CAMPAIGN}", True),
                (f"/cong-bo/{CAMPAIGN}.json", False),
                (f"/cong-bo/{CAMPAIGN}.csv", False),
                (f"/cong-bo/{CAMPAIGN}/don-vi/{unit}", False),
                (f"/cong-bo/{CAMPAIGN}/kiem-tra", False),
                (f"/cong-bo/{CAMPAIGN}/kiem-tra.json", False),
                (f"/v1/campaigns/{CAMPAIGN}/results", False),
                (f"/cong-bo/{CAMPAIGN}/bang-chung.tlog-proof", False),
            ]
            for path, etag in cases:
                seconds, latencies, bad = asyncio.run(
                    hammer(base, path, args.readers, args.requests, etag)
                )
                label = path + (" (If-None-Match → 304)" if etag else "")
                print(
                    f"{label}: {len(latencies) / seconds:,.0f} req/s, "
                    f"p50 {statistics.median(latencies):.1f} ms, "
                    f"p99 {percentile(latencies, 0.99):.1f} ms"
                    + (f", {bad} failed or unexpected" if bad else ""),
                    flush=True,
                )
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            if drop is not None:
                drop()


if __name__ == "__main__":
    main()
