#!/usr/bin/env python3
"""Throughput and latency of the ingest API on loopback, to broker acknowledgement (acks=all).

Starts what it needs and stops it afterwards: a local Kafka broker (infra/kafka/broker.sh, temp
data directory, free ports), the ingest API as a separate process (`python -m teamflow
ingest-api`), a token. Then, with an aiohttp client and a few requests in flight, it posts
simulated events (streams/simulator.py, realistic mix) in batches of 1 and of 500
(`application/cloudevents-batch+json`) and reports accepted events per second and per-request
latency (p50/p95: from sending the request to the answer, which comes after the broker acked).
Bounded in count and time per phase; progress on stderr, results on stdout.

    python benchmarks/bench_ingest.py                    # the defaults below
    python benchmarks/bench_ingest.py --seconds 10 --json
    python benchmarks/bench_ingest.py --bootstrap 127.0.0.1:9092   # use a running broker
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def say(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def wait_http(url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if json.loads(r.read()).get("broker") == "connected":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise TimeoutError(f"{url} not ready in {timeout}s")


async def phase(url: str, token: str, bodies: list[bytes], per_body: int, concurrency: int, seconds: float,
                label: str) -> dict:
    import aiohttp

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/cloudevents-batch+json"}
    latencies: list[float] = []
    accepted = errors = 0
    next_body = 0
    start = time.perf_counter()
    deadline = start + seconds
    last_print = start

    async def one(session: aiohttp.ClientSession) -> None:
        nonlocal next_body, accepted, errors, last_print
        while next_body < len(bodies) and time.perf_counter() < deadline:
            body = bodies[next_body]
            next_body += 1
            t0 = time.perf_counter()
            async with session.post(url, data=body, headers=headers) as r:
                answer = await r.json()
            latencies.append(time.perf_counter() - t0)
            if r.status == 200:
                accepted += answer["accepted"]
            else:
                errors += 1
            now = time.perf_counter()
            if now - last_print >= 1.0:
                last_print = now
                say(f"{label}: {accepted:,} events accepted, {accepted / (now - start):,.0f}/s, "
                    f"{len(latencies):,} requests")

    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(one(session) for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    q = statistics.quantiles(latencies, n=100) if len(latencies) >= 2 else [latencies[0]] * 99
    return {"batch": per_body, "concurrency": concurrency, "requests": len(latencies), "errors": errors,
            "events_accepted": accepted, "seconds": round(elapsed, 2),
            "events_per_second": round(accepted / elapsed), "latency_ms_p50": round(q[49] * 1000, 2),
            "latency_ms_p95": round(q[94] * 1000, 2)}


async def burst(url: str, token: str, bodies: list[bytes]) -> dict:
    """Every body at once, one request each (no client-side limit): p50/p99 and answers by status."""
    import aiohttp

    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/cloudevents+json"}
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    start = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        async def one(body: bytes) -> None:
            t0 = time.perf_counter()
            try:
                async with session.post(url, data=body, headers=headers) as r:
                    await r.read()
                    status = r.status
            except aiohttp.ClientError:
                status = 0
            latencies.append(time.perf_counter() - t0)
            statuses[status] = statuses.get(status, 0) + 1
        await asyncio.gather(*(one(b) for b in bodies))
    q = statistics.quantiles(latencies, n=100)
    return {"requests": len(bodies), "seconds": round(time.perf_counter() - start, 2),
            "latency_ms_p50": round(q[49] * 1000, 1), "latency_ms_p99": round(q[98] * 1000, 1),
            "statuses": {str(k): v for k, v in sorted(statuses.items())},
            "errors": sum(v for k, v in statuses.items() if k != 200)}


async def slow_clients(host: str, port: int, n: int, seconds: float) -> dict:
    """n connections that send one header byte per second; how long the API keeps each open."""
    async def one() -> float:
        reader, writer = await asyncio.open_connection(host, port)
        t0 = time.perf_counter()
        head = b"POST /events HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 1000
        try:
            for byte in head:
                writer.write(bytes([byte]))
                await writer.drain()
                try:
                    if await asyncio.wait_for(reader.read(1024), 1.0) == b"":
                        break
                except asyncio.TimeoutError:
                    pass
                if time.perf_counter() - t0 > seconds:
                    break
        except (ConnectionError, OSError):
            pass
        held = time.perf_counter() - t0
        writer.close()
        return held

    held = sorted(await asyncio.gather(*(one() for _ in range(n))))
    return {"connections": n, "held_s_min": round(held[0], 1), "held_s_max": round(held[-1], 1),
            "held_s_median": round(statistics.median(held), 1), "cap_s": seconds}


def batches(events: list[bytes], size: int) -> list[bytes]:
    return [b"[" + b",".join(events[i:i + size]) + b"]" for i in range(0, len(events) - size + 1, size)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--bootstrap", help="use this running Kafka instead of starting a local broker")
    p.add_argument("--single-requests", type=int, default=3000, help="max requests of 1 event (default 3000)")
    p.add_argument("--big-requests", type=int, default=300, help="max requests of 500 events (default 300)")
    p.add_argument("--seconds", type=float, default=15.0, help="max seconds per phase (default 15)")
    p.add_argument("--concurrency", type=int, default=8, help="requests in flight (default 8)")
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--abuse", action="store_true",
                   help="also: 1,000 concurrent single-event requests (p50/p99, errors) and 50 slow clients")
    p.add_argument("--min-rate", type=float, default=0, help="exit 1 if batches of 500 are slower (events/s)")
    args = p.parse_args()

    from streams.ingest.tokens import TokenStore
    from streams.simulator import simulate
    from streams.topics import ensure_topics

    tmp = Path(tempfile.mkdtemp(prefix="teamflow-bench-ingest-"))
    broker_env = None
    api = None
    try:
        if args.bootstrap:
            bootstrap = args.bootstrap
        else:
            port, cport = free_port(), free_port()
            broker_env = dict(os.environ, TEAMFLOW_KAFKA_PORT=str(port), TEAMFLOW_KAFKA_CONTROLLER_PORT=str(cport),
                              TEAMFLOW_KAFKA_DATA_DIR=str(tmp / "kafka"))
            say(f"starting a local Kafka broker on 127.0.0.1:{port}")
            subprocess.run(["bash", str(REPO / "infra/kafka/broker.sh"), "start"], env=broker_env, check=True)
            bootstrap = f"127.0.0.1:{port}"
        run = uuid.uuid4().hex[:8]
        events_topic, dead_topic = f"bench-events-{run}", f"bench-dead-{run}"
        ensure_topics(bootstrap, [events_topic, dead_topic], 4)

        seed = int(time.time()) % 100_000
        n_single, n_big = args.single_requests, args.big_requests * 500
        n_burst = 1000 if args.abuse else 0
        say(f"simulating {n_single + n_big:,} events")
        events = [v for _, v in simulate(seed, n_single + n_big + n_burst,
                                         start=datetime(2025, 1, 1, tzinfo=timezone.utc))]
        tokens = TokenStore.load(tmp / "tokens.json")
        token = tokens.create("bench", [f"teamflow-sim/{seed}"])

        api_port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("TEAMFLOW_")}
        env.update(TEAMFLOW_KAFKA_BOOTSTRAP_SERVERS=bootstrap, TEAMFLOW_EVENTS_TOPIC=events_topic,
                   TEAMFLOW_DEAD_LETTER_TOPIC=dead_topic, TEAMFLOW_INGEST_PORT=str(api_port),
                   TEAMFLOW_TOKENS_FILE=str(tmp / "tokens.json"), TEAMFLOW_DATA_DIR=str(tmp / "var"))
        say(f"starting the ingest API on 127.0.0.1:{api_port}")
        api = subprocess.Popen([sys.executable, "-m", "teamflow", "ingest-api"], cwd=REPO, env=env,
                               stdout=open(tmp / "api.log", "wb"), stderr=subprocess.STDOUT)
        wait_http(f"http://127.0.0.1:{api_port}/healthz", 60)
        url = f"http://127.0.0.1:{api_port}/events"

        # warm-up (connections, metadata), not counted: re-sent later ones are answered as duplicates anyway
        asyncio.run(phase(url, token, batches(events[:50], 1), 1, 2, 5, "warm-up"))
        results = [
            asyncio.run(phase(url, token, batches(events[50:n_single], 1), 1, args.concurrency, args.seconds,
                              "batch of 1")),
            asyncio.run(phase(url, token, batches(events[n_single:n_single + n_big], 500), 500,
                              max(2, args.concurrency // 2), args.seconds, "batch of 500")),
        ]
        abuse = {}
        if args.abuse:
            say("burst: 1,000 concurrent single-event requests")
            abuse["burst"] = asyncio.run(burst(url, token, events[n_single + n_big:]))
            say("50 slow clients (one header byte per second, given up after 60 s)")
            abuse["slow_clients"] = asyncio.run(slow_clients("127.0.0.1", api_port, 50, 60.0))
    finally:
        if api is not None:
            api.terminate()
            try:
                api.wait(15)
            except subprocess.TimeoutExpired:
                api.kill()
        if broker_env is not None:
            subprocess.run(["bash", str(REPO / "infra/kafka/broker.sh"), "stop"], env=broker_env, check=False)
        shutil.rmtree(tmp, ignore_errors=True)

    machine = f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}"
    if args.json:
        print(json.dumps({"machine": machine, "results": results, **abuse}, indent=2))
    else:
        print(f"ingest API on loopback, to broker ack (acks=all, idempotent); {machine}")
        print(f"{'batch':>6} {'in flight':>9} {'requests':>9} {'events/s':>10} {'p50 ms':>8} {'p95 ms':>8} {'errors':>6}")
        for r in results:
            print(f"{r['batch']:>6} {r['concurrency']:>9} {r['requests']:>9,} {r['events_per_second']:>10,} "
                  f"{r['latency_ms_p50']:>8} {r['latency_ms_p95']:>8} {r['errors']:>6}")
    if abuse:
        b, sc = abuse["burst"], abuse["slow_clients"]
        print(f"burst of {b['requests']:,} concurrent single-event requests: p50 {b['latency_ms_p50']} ms, "
              f"p99 {b['latency_ms_p99']} ms, {b['seconds']} s in all, answers {b['statuses']}, errors {b['errors']}")
        print(f"{sc['connections']} slow clients (1 header byte/s): held {sc['held_s_min']}-{sc['held_s_max']} s "
              f"(median {sc['held_s_median']} s; the client gives up at {sc['cap_s']:g} s)")
    if args.min_rate and results[1]["events_per_second"] < args.min_rate:
        say(f"batches of 500: {results[1]['events_per_second']:,}/s is below --min-rate {args.min_rate:,.0f}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
