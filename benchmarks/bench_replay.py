#!/usr/bin/env python3
"""Replay rate of several checkouts (versions) against each other, alternating on one log.

A replay's rate on a shared 2-core machine moves by a quarter from one run to the next, more than
most changes move it, so one run per version says little. This runs `teamflow replay` (as a user
runs it, the rate it reports: read, prepare, write, swap) of each checkout in turn on the same
simulated log, a fresh store each time, for several rounds, the order reversed every other round so
that a drift of the machine's speed does not favour one version. It prints each version's runs and
each version's rate against the first's, per round, with their median and geometric mean.

    python benchmarks/bench_replay.py ../teamflow-before .      # 10 rounds of 200,000 events
    python benchmarks/bench_replay.py --rounds 4 --events 50000 --json A B C

Every checkout runs with this interpreter (one virtual environment); the broker is this checkout's.
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import uuid
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "benchmarks")]

from bench_pipeline import cpu_ticks, produce, say, stolen_share, time_replay  # noqa: E402
from streams.simulator import simulate  # noqa: E402
from streams.topics import ensure_topics  # noqa: E402
from support.processes import WorkerProcess  # noqa: E402
from support.services import start_local_broker  # noqa: E402


def order_of(round_: int, versions: list[Path]) -> list[Path]:
    """The versions in the order round `round_` runs them: as given, then reversed, and so on."""
    return list(versions) if round_ % 2 == 0 else list(reversed(versions))


def summary(versions: list[Path], runs: dict[Path, list[dict]]) -> dict:
    """Each version's rates, and per round its rate over the first version's (pure)."""
    first = runs[versions[0]]
    out: dict = {"versions": {}}
    for v in versions:
        rates = [r["rate"] for r in runs[v]]
        row: dict = {"rates": rates, "median": statistics.median(rates),
                     "stolen_max": max(r["stolen"] for r in runs[v])}
        if v != versions[0]:
            ratios = [r["rate"] / f["rate"] for r, f in zip(runs[v], first)]
            row.update(ratios=[round(x, 3) for x in ratios], ratio_median=round(statistics.median(ratios), 3),
                       ratio_geomean=round(statistics.geometric_mean(ratios), 3),
                       rounds_faster=sum(x > 1 for x in ratios))
        out["versions"][str(v)] = row
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    p.add_argument("checkouts", nargs="*", type=Path, default=[REPO], metavar="DIR",
                   help="checkouts to replay, the first is the yardstick (default: this checkout)")
    p.add_argument("--events", type=int, default=200_000, help="simulated events in the log (default 200000)")
    p.add_argument("--rounds", type=int, default=10, help="rounds; each replays every checkout once (default 10)")
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = p.parse_args()
    versions = [c.resolve() for c in args.checkouts]
    for v in versions:
        if not (v / "teamflow").is_dir():
            p.error(f"{v} is not a Teamflow checkout (no teamflow/ package)")

    work = Path(tempfile.mkdtemp(prefix="teamflow-bench-replay-"))
    runs: dict[Path, list[dict]] = {v: [] for v in versions}
    broker = start_local_broker(work / "kafka")
    try:
        topic = f"bench-replay-{uuid.uuid4().hex[:8]}"
        ensure_topics(broker.bootstrap_servers, [topic, f"{topic}-dead"], 4)
        say(f"simulating and producing {args.events:,} events (seed {args.seed})")
        produce(broker.bootstrap_servers, topic,
                list(simulate(args.seed, args.events, start=datetime(2025, 1, 1, tzinfo=timezone.utc))))
        for round_ in range(args.rounds):
            for v in order_of(round_, versions):
                store = work / f"store-{uuid.uuid4().hex[:8]}"
                before = cpu_ticks()
                env = WorkerProcess(broker.bootstrap_servers, store, events_topic=topic,
                                    dead_letter_topic=f"{topic}-dead").env  # what a worker of this log would get
                rate = time_replay(env, v)
                runs[v].append({"rate": rate, "stolen": round(stolen_share(before, cpu_ticks()), 3)})
                shutil.rmtree(store, ignore_errors=True)
                say(f"  round {round_ + 1}/{args.rounds} {v}: {rate:,.0f} events/s")
    finally:
        broker.stop()
        shutil.rmtree(work, ignore_errors=True)

    figures = {"events": args.events, "rounds": args.rounds, **summary(versions, runs)}
    if args.json:
        print(json.dumps(figures, indent=2))
        return 0
    print(f"replay of {args.events:,} events, {args.rounds} rounds (events/s; ratios to {versions[0]})")
    for name, row in figures["versions"].items():
        print(f"{name}\n  runs   {' '.join(f'{r:,.0f}' for r in row['rates'])}  median {row['median']:,.0f}"
              f"  (stolen CPU at most {row['stolen_max']:.1%})")
        if "ratios" in row:
            print(f"  ratios {' '.join(f'{x:.2f}' for x in row['ratios'])}  median {row['ratio_median']:.2f}"
                  f"  geometric mean {row['ratio_geomean']:.2f}  faster in {row['rounds_faster']}/{args.rounds}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
