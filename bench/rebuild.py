"""Rebuild benchmark: the rate of a full rebuild of every read model against the raw rate
of reading the notification log, on PostgreSQL, in the same run.

    PARLEDGER_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/rebuild.py --events 200000

It creates a schema of its own in that database (dropped at the end unless --keep),
generates a synthetic campaign (about 1,400 units × 50 leaves × the cycle's steps for
200,000 events), then prints the raw read rate, the rebuild rate, their ratio, and the
p50/p99 time to read one scorecard view and one ranking. The last line is the ratio."""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.synthetic import CAMPAIGN, build, fresh_schema
from projections.projector import Projector
from projections.read_models.queries import ReadModels


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) * 1000, p99 * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=2000, help="events per rebuild batch")
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--keep", action="store_true", help="keep the benchmark schema")
    args = parser.parse_args()

    url = os.environ.get("PARLEDGER_DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("set PARLEDGER_DATABASE_URL to a PostgreSQL database (postgresql://…)")
    url, drop = fresh_schema(url)
    try:
        with tempfile.TemporaryDirectory() as home:
            started = time.perf_counter()
            last = [0.0]

            def progress(n: int) -> None:
                if time.perf_counter() - last[0] > 10:
                    last[0] = time.perf_counter()
                    print(f"  generating… {n} events", flush=True)

            synthetic = build(url, home, args.events, progress)
            ledger = synthetic.ledger
            print(
                f"generated {synthetic.events} events for {len(synthetic.units)} units "
                f"in {time.perf_counter() - started:.1f} s"
            )

            started = time.perf_counter()
            read = 0
            position = 0
            while rows := ledger.recorder.select_notifications(
                position, args.batch, inclusive_of_start=False
            ):
                read += len(rows)
                position = rows[-1].id
            raw_seconds = time.perf_counter() - started
            raw_rate = read / raw_seconds

            projector = Projector(synthetic.runtime.storage)
            started = time.perf_counter()
            rebuilt = projector.rebuild(batch_size=args.batch)
            rebuild_seconds = time.perf_counter() - started
            rebuild_rate = rebuilt / rebuild_seconds
            assert rebuilt == read, (rebuilt, read)

            reads = ReadModels(projector.views, owner=ledger)
            sample = random.Random(7)
            card_times = []
            for _ in range(args.samples):
                unit = sample.choice(synthetic.units)
                t0 = time.perf_counter()
                view = reads.scorecard(CAMPAIGN, unit)
                card_times.append(time.perf_counter() - t0)
                assert view is not None
            ranking_times = []
            for i in range(max(10, args.samples // 10)):
                t0 = time.perf_counter()
                rows_ranked = reads.ranking(CAMPAIGN, ("department", "district")[i % 2])
                ranking_times.append(time.perf_counter() - t0)
                assert rows_ranked

            card_p50, card_p99 = percentiles(card_times)
            rank_p50, rank_p99 = percentiles(ranking_times)
            ratio = rebuild_rate / raw_rate
            print(
                f"raw notification-log read: {read} events in {raw_seconds:.2f} s "
                f"= {raw_rate:,.0f} events/s"
            )
            print(
                f"full rebuild of every read model: {rebuilt} events in {rebuild_seconds:.2f} s "
                f"= {rebuild_rate:,.0f} events/s"
            )
            print(f"rebuild / raw read = {ratio:.2f}")
            print(
                f"read one scorecard view: p50 {card_p50:.2f} ms, p99 {card_p99:.2f} ms "
                f"({args.samples} samples)"
            )
            print(
                f"read one ranking ({len(synthetic.units) // 2} units): p50 {rank_p50:.2f} ms, "
                f"p99 {rank_p99:.2f} ms ({len(ranking_times)} samples)"
            )
            ledger.close()
            print(f"ratio={ratio:.2f}")
    finally:
        if not args.keep:
            drop()


if __name__ == "__main__":
    main()
