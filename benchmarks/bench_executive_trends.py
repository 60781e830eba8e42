"""Executive page compute: the quarter-vs-previous figures and the 8-quarter culture trends.

    python benchmarks/bench_executive_trends.py [--events 200000] [--teams 8] [--days 730] [--store-dir DIR]

Builds a chDB store of simulated events spread over --days (two years by default, so that eight
quarters hold data), then times, with every cache emptied, what the read model's refresher runs
for the executive page: `executive.fetch` (every team, the last eight quarters, which also hold
the quarter table's two). Figures go to docs/dashboards.md by hand.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]


def build(store, n_events: int, teams: int, days: int, batch: int = 50_000) -> None:
    import schemas
    from projections.project import Positioned
    from streams.fold.sink import store_events
    from streams.simulator import simulate

    start = datetime.now(timezone.utc) - timedelta(days=days)
    chunk: list = []
    done = 0

    def flush() -> None:
        nonlocal done
        events = [schemas.decode(v) for v in chunk]
        store_events(store, [Positioned(e, 0, done + i) for i, e in enumerate(events)],
                     int(datetime.now(timezone.utc).timestamp() * 1000))
        done += len(chunk)
        chunk.clear()

    for _, value in simulate(11, n_events, start=start, teams=teams, days=days):
        chunk.append(value)
        if len(chunk) == batch:
            flush()
    if chunk:
        flush()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--teams", type=int, default=8)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--store-dir")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args(argv)

    from dashboards import data_cache, read_model
    from dashboards.components import period_options
    from dashboards.pages import executive
    from projections.metrics import views
    from projections.migrations import migrate
    from projections.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(args.store_dir) if args.store_dir else Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        marker = directory / f"built-{args.events}-{args.teams}-{args.days}"
        store = open_store(url=None, data_dir=str(directory), database="bench")
        if not marker.exists():
            store.command("DROP DATABASE IF EXISTS bench")
            store.command("CREATE DATABASE bench")
            migrate(store)
            t = time.perf_counter()
            build(store, args.events, args.teams, args.days)
            print(f"built {args.events:,} events over {args.days} days in {time.perf_counter() - t:.0f}s")
            marker.touch()
        quarter = period_options(views.data_span(store), "quarter")[0]
        print(f"{args.events:,} events, quarter {quarter} (ms, caches emptied before each run)")
        cases = {"executive.fetch (every team, 8 quarters)": lambda: executive.fetch(store, quarter)}
        for name, fn in cases.items():
            for _ in range(args.runs):
                read_model.clear()
                data_cache.clear()
                t = time.perf_counter()
                fn()
                print(f"| {name} | {(time.perf_counter() - t) * 1000:,.0f} |")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
