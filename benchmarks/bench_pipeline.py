#!/usr/bin/env python3
"""End-to-end and replay throughput of the stream worker, next to a baseline measured in the same run.

What it does, on a local single-node broker it starts on free ports (or --bootstrap):
1. simulates N events (streams.simulator, seeded) and produces them to a fresh topic;
2. baseline: a plain aiokafka consumer that only decodes and inserts the raw events into chDB
   (in this process, batches of --batch), timed from first poll to last insert;
3. the real worker (`python -m teamflow worker --with-dashboards`, one process) on the same topic,
   timed from its fold starting (`/api/health` says `folding`) to all N events written and committed
   (the worker's own count in `/api/health`, which runs no query; `/api/status` then confirms the
   store holds N), its start before that reported apart (`worker_start_s`), with its RSS sampled at each
   quarter of the way, its prepare processes included (memory must stay flat as the count grows), and
   the CPU time per event its process and its prepare processes spent (`worker_cpu_us_per_event_*`:
   steadier than a rate on a shared machine, and it says which side a change moved), and the share of
   the machine's CPU time the hypervisor gave to other machines meanwhile (`worker_cpu_stolen_share`);
4. `teamflow replay` of the same topic into the worker's store (worker stopped), its own timing;
5. with --replay-events M: M simulated events produced to a topic of their own and replayed into a
   fresh store, the sustained replay rate (a replay's fixed costs, process start, table creation and
   warm-up, weigh on a 200,000-event log).

    python benchmarks/bench_pipeline.py                  # 200,000 events
    python benchmarks/bench_pipeline.py --events 50000 --json
    python benchmarks/bench_pipeline.py --replay-events 1000000
    python benchmarks/bench_pipeline.py --worker-repo ../teamflow-before   # another version, same baseline
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from projections.migrations import migrate  # noqa: E402
from projections.store import open_store  # noqa: E402
from schemas import Event, decode  # noqa: E402
from streams.producer import make_producer, send_chunked  # noqa: E402
from streams.simulator import simulate  # noqa: E402
from projections.project import Positioned, encode  # noqa: E402
from streams.topics import ensure_topics  # noqa: E402
from support.processes import WorkerProcess  # noqa: E402
from support.services import start_local_broker  # noqa: E402


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def produce(bootstrap: str, topic: str, events: list[tuple[str, bytes]]) -> float:
    producer = make_producer(bootstrap, linger_ms=20, batch_size=512 * 1024)
    started = time.perf_counter()
    send_chunked(producer, topic, events, len(events), chunk=20_000,
                 progress=lambda n: say(f"  produced {n:,}/{len(events):,}"))
    producer.close()
    return len(events) / (time.perf_counter() - started)


async def _baseline(bootstrap: str, topic: str, n: int, store, batch: int) -> float:
    import pyarrow as pa
    from aiokafka import AIOKafkaConsumer

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"baseline-{uuid.uuid4().hex[:8]}",
                                auto_offset_reset="earliest", enable_auto_commit=False,
                                max_partition_fetch_bytes=8 * 1024 * 1024, fetch_max_bytes=64 * 1024 * 1024)
    await consumer.start()
    done, started, pending = 0, None, []
    try:
        while done < n:
            polled = await consumer.getmany(timeout_ms=1000, max_records=batch)
            for records in polled.values():
                for r in records:
                    result = decode(r.value, r.headers)
                    if isinstance(result, Event):
                        pending.append(Positioned(result, r.partition, r.offset))
            if started is None and pending:
                started = time.perf_counter()
            if len(pending) >= batch or (pending and done + len(pending) >= n):
                # The yardstick's work is the raw events through a DataFrame into chDB, as in every
                # earlier version of this benchmark, so that ratios to it compare with docs/benchmarks.md.
                raw = encode(pending, int(time.time() * 1000), {"events"})["events"].to_pandas()
                store.insert_arrow("events", pa.Table.from_pandas(raw, preserve_index=False))
                await consumer.commit()
                done += len(pending)
                pending = []
                if done % (batch * 10) < batch:
                    say(f"  baseline {done:,}/{n:,}")
    finally:
        await consumer.stop()
    return n / (time.perf_counter() - started)


def cpu_ticks() -> list[int]:
    """The machine's CPU time so far by kind, from /proc/stat (user nice system idle iowait irq softirq steal)."""
    return [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]


def stolen_share(before: list[int], after: list[int]) -> float:
    """The share of the machine's CPU time the hypervisor gave to other machines between two looks:
    on a shared host, a run with much stolen time is slower for that reason alone."""
    spent = [b - a for a, b in zip(before, after)]
    return spent[7] / sum(spent) if sum(spent) else 0.0


def time_worker(worker: WorkerProcess, n: int) -> dict:
    """Start the worker on a topic already holding n events; time from its fold starting (it reports
    `folding`) until all are queryable, and the start before that; sample RSS; the CPU time its process
    and its prepare processes spent meanwhile. The start is timed apart: when the dashboards answer (what
    `worker.start` waits for) depends on the order the process starts its parts in, not on how fast it
    folds."""
    begun = time.perf_counter()
    worker.start()
    try:  # a benchmark that fails halfway must not leave the worker running beside the next one
        while not worker.folding():
            time.sleep(0.05)
        started = time.perf_counter()
        cpu_before, machine_before = worker.cpu_seconds(), cpu_ticks()
        rss = [("ready", 0, worker.rss_mb())]
        marks = [n // 4, n // 2, 3 * n // 4, n]
        while marks:  # the worker's own count (no store query: the benchmark must not load what it times)
            folded = (worker.health().get("worker") or {}).get("events_folded", 0)
            while marks and folded >= marks[0]:
                rss.append((f"{marks[0]:,}", folded, worker.rss_mb()))
                say(f"  {folded:,}/{n:,} after {time.perf_counter() - started:.1f}s, RSS {rss[-1][2]:.0f} MB")
                marks.pop(0)
            time.sleep(0.1)
        while worker.status()["events"] < n:  # written and committed means stored; the store confirms it
            time.sleep(0.1)
        rate = n / (time.perf_counter() - started)
        cpu = {k: v - cpu_before[k] for k, v in worker.cpu_seconds().items()}
        stolen = stolen_share(machine_before, cpu_ticks())
    finally:
        worker.stop()
    return {"rate": rate, "rss": rss, "start": started - begun, "stolen": stolen,
            "cpu_us": {k: 1e6 * v / n for k, v in cpu.items()}}


def time_replay(env: dict, repo: Path) -> float:
    """`teamflow replay` as a user runs it; the rate it reports (read, prepare, write, swap)."""
    replay = subprocess.run([sys.executable, "-m", "teamflow", "replay"], cwd=repo, env=env,
                            capture_output=True, text=True, check=True)
    return float(re.search(r"\(([\d,]+) events/s\)", replay.stdout).group(1).replace(",", ""))



def run(args: argparse.Namespace) -> dict:
    work = Path(tempfile.mkdtemp(prefix="teamflow-bench-"))
    broker = None
    if args.bootstrap:
        bootstrap = args.bootstrap
    else:
        say("starting a local broker")
        broker = start_local_broker(work / "kafka")
        bootstrap = broker.bootstrap_servers
    try:
        say(f"simulating {args.events:,} events (seed {args.seed})")
        events = list(simulate(args.seed, args.events, start=datetime(2025, 1, 1, tzinfo=timezone.utc)))
        worker = WorkerProcess(bootstrap, work / "worker",
                               extra_env={"TEAMFLOW_BATCH_SIZE": str(args.batch),
                                          "TEAMFLOW_BATCH_WITHIN_SECONDS": "1.0"})
        ensure_topics(bootstrap, [worker.events_topic, worker.dead_letter_topic], 4)
        say(f"producing to {worker.events_topic}")
        produce_rate = produce(bootstrap, worker.events_topic, events)

        say("baseline: plain aiokafka consumer, decode + insert raw events into chDB")
        store = open_store(url=None, data_dir=str(work / "baseline-chdb"), database="baseline")
        migrate(store)
        baseline_rate = asyncio.run(_baseline(bootstrap, worker.events_topic, args.events, store, args.batch))
        store.close()

        worker = WorkerProcess(bootstrap, work / "worker-timed", events_topic=worker.events_topic,
                               dead_letter_topic=worker.dead_letter_topic, repo=args.worker_repo,
                               extra_env={"TEAMFLOW_BATCH_SIZE": str(args.batch),
                                          "TEAMFLOW_BATCH_WITHIN_SECONDS": "1.0",
                                          **({"TEAMFLOW_PREPARE_PROCESSES": str(args.prepare_processes)}
                                             if args.prepare_processes is not None else {})})
        say(f"worker ({args.worker_repo}): decode + dead letters + raw store + all projections")
        timed = time_worker(worker, args.events)
        say("replay: teamflow replay (worker stopped)")
        replay_rate = time_replay(worker.env, args.worker_repo)
        long_replay_rate = None
        if args.replay_events:
            say(f"simulating {args.replay_events:,} events for the long replay")
            long_events = list(simulate(args.seed + 1, args.replay_events,
                                        start=datetime(2025, 1, 1, tzinfo=timezone.utc)))
            topic = f"bench-replay-{uuid.uuid4().hex[:8]}"
            ensure_topics(bootstrap, [topic], 4)
            say(f"producing to {topic}")
            produce(bootstrap, topic, long_events)
            del long_events
            say(f"replay of {args.replay_events:,} events into a fresh store")
            long_replay_rate = time_replay({**worker.env, "TEAMFLOW_EVENTS_TOPIC": topic,
                                            "TEAMFLOW_DATA_DIR": str(work / "replay-chdb")}, args.worker_repo)
    finally:
        if broker:
            broker.stop()
        if args.keep:
            say(f"kept the broker's and stores' files in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return {
        "events": args.events,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "produce_events_per_s": round(produce_rate),
        "baseline_events_per_s": round(baseline_rate),
        "worker_events_per_s": round(timed["rate"]),
        "worker_vs_baseline": round(timed["rate"] / baseline_rate, 3),
        "worker_start_s": round(timed["start"], 2),
        "worker_cpu_stolen_share": round(timed["stolen"], 3),
        **{f"worker_cpu_us_per_event_{k}": round(v, 1) for k, v in timed["cpu_us"].items()},
        "replay_events_per_s": round(replay_rate),
        "replay_vs_baseline": round(replay_rate / baseline_rate, 3),
        **({f"replay_{args.replay_events}_events_per_s": round(long_replay_rate)} if long_replay_rate else {}),
        "worker_rss_mb": [(label, round(mb)) for label, _, mb in timed["rss"]],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("--events", type=int, default=200_000, help="simulated events (default 200000)")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--batch", type=int, default=10_000, help="batch size for worker and baseline (default 10000)")
    p.add_argument("--bootstrap", help="use this broker instead of starting one")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.add_argument("--prepare-processes", type=int,
                   help="TEAMFLOW_PREPARE_PROCESSES for the worker (default: the worker's default)")
    p.add_argument("--worker-repo", type=Path, default=REPO, metavar="DIR",
                   help="time the worker and replay of this checkout (another version), against the same "
                        "baseline and simulated events (default: this checkout)")
    p.add_argument("--replay-events", type=int, default=0, metavar="M",
                   help="also replay a log of M events of its own (sustained replay rate; default: off)")
    p.add_argument("--keep", action="store_true",
                   help="keep the temporary directory (broker log, worker and replay stores, logs) after the run")
    args = p.parse_args()
    figures = run(args)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for k, v in figures.items():
            print(f"{k:32} {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
