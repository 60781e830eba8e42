"""Dashboard query and callback latency on a store of simulated events: p50/p95 per page.

    python benchmarks/bench_dashboards.py [--events 200000[,1000000]] [--teams 8] [--store-dir DIR] [--live-seconds 60]

Builds a chDB database in-process (simulator -> decode -> the encoder -> `insert_arrow`, plus
the raw events table the activity tile reads; in a temporary directory, or in --store-dir to
build once and reuse), then measures two things per page:

1. compute: every query of the page with nothing cached, which is what the read model's
   refresher runs in the background (dashboards.read_model) and what a page's very first visit
   costs; it bounds how far a snapshot can trail the data;
2. live: the page's data and the full callback (data + figures) on refresh ticks for
   --live-seconds while one event lands per second and the refresher keeps the snapshots current:
   what a person waits for.

The issue asks for 10 million events: `--events 10000000 --store-dir DIR` (build it once: its time is in
docs/dashboards.md). Several sizes (`--events 1000000,10000000`) are measured one after another,
each in its own store under --store-dir, and a last table prints how each page's compute grows from
the smallest to the largest (a ratio near 1 means the page costs what it shows, not the history).
Figures go to docs/dashboards.md by hand.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]


def build(store, n_events: int, teams: int, days: int = 270, batch: int = 50_000) -> None:
    import schemas
    from projections.project import Positioned
    from streams.simulator import simulate
    from streams.fold.sink import store_events

    start = datetime.now(timezone.utc) - timedelta(days=days)
    t0, done, chunk = time.perf_counter(), 0, []

    def flush() -> None:
        nonlocal done
        events = [schemas.decode(v) for v in chunk]
        store_events(store, [Positioned(e, 0, done + i) for i, e in enumerate(events)],
                     int(datetime.now(timezone.utc).timestamp() * 1000))
        done += len(chunk)
        chunk.clear()
        rate = done / (time.perf_counter() - t0)
        print(f"\rbuilding: {done:,}/{n_events:,} events ({rate:,.0f}/s)", end="", file=sys.stderr, flush=True)

    for _, value in simulate(11, n_events, start=start, teams=teams, days=days):
        chunk.append(value)
        if len(chunk) == batch:
            flush()
    if chunk:
        flush()
    print(file=sys.stderr)
    store.command("OPTIMIZE TABLE events FINAL")


def simulated_store(directory: Path, n_events: int, teams: int, days: int = 270):
    """The chDB store of `n_events` simulated events in `directory`, built there on first use and
    reused after (a marker file names what was built)."""
    from projections.migrations import migrate
    from projections.store import open_store

    directory.mkdir(parents=True, exist_ok=True)
    marker = directory / (f"built-{n_events}-{teams}" + ("" if days == 270 else f"-{days}"))
    store = open_store(url=None, data_dir=str(directory), database="bench")
    if marker.exists():
        print(f"reusing the store of {n_events:,} events in {directory}", file=sys.stderr)
        applied = migrate(store)  # a store built by an earlier version gets what later ones added
        if applied:
            print(f"migrated it: {applied}", file=sys.stderr)
        return store
    store.command("DROP DATABASE IF EXISTS bench")
    store.command("CREATE DATABASE bench")
    migrate(store)
    t = time.perf_counter()
    build(store, n_events, teams, days)
    print(f"built {n_events:,} events over {days} days in {time.perf_counter() - t:.0f}s", file=sys.stderr)
    marker.touch()
    return store


def pcts(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", default="200000", help="events in the store; a comma list measures each size")
    ap.add_argument("--teams", type=int, default=8)
    ap.add_argument("--compute-repeat", type=int, default=3, help="cold computes per page (executive: 1)")
    ap.add_argument("--live-seconds", type=float, default=60, help="how long to tick the pages while events land")
    ap.add_argument("--store-dir", help="keep the built store here and reuse it on later runs with the same "
                                        "--events/--teams (building 10 million events takes a while)")
    ap.add_argument("--build-only", action="store_true", help="build the store (needs --store-dir) and stop")
    args = ap.parse_args(argv)
    sizes = [int(x) for x in str(args.events).split(",")]
    growth: dict[int, dict[str, float]] = {}
    root = args.store_dir  # measure() sets args.store_dir to each size's own directory
    for n in sizes:
        growth[n] = measure(args, n, os.path.join(root, f"e{n}") if root and len(sizes) > 1 else root)
    if len(sizes) > 1 and not args.build_only:
        small, large = sizes[0], sizes[-1]
        print(f"\ncompute growth from {small:,} to {large:,} events ({large / small:.0f}x the history)")
        print("| page | compute p50 small | compute p50 large | ratio |\n|---|---|---|---|")
        for name in growth[small]:
            a, b = growth[small][name], growth[large][name]
            print(f"| {name} | {a:,.0f} | {b:,.0f} | {b / a if a else float('nan'):.1f} |")
    return 0


def measure(args, n_events: int, store_dir: str | None) -> dict[str, float]:
    """Build or reuse the store of `n_events`, print its tables; returns compute p50 (ms) per page."""
    args.events = n_events
    args.store_dir = store_dir
    from support.store_rows import insert_event

    from dashboards import read_model
    from dashboards.components import period_options, periods_between
    from dashboards.pages import activity, deals, executive, my_view, team_live
    from dashboards.users import User
    from projections.metrics import teams, views

    with tempfile.TemporaryDirectory() as tmp:
        store = simulated_store(Path(args.store_dir) if args.store_dir else Path(tmp), args.events, args.teams)
        if args.build_only:
            store.close()
            return {}
        team = teams(store)[0]
        quarter = period_options(views.data_span(store), "quarter")[1]  # the last full quarter
        manager = User("m", "manager", views.team_roster(store, team, quarter)["person"].iloc[0], (team,))
        last = views.data_span(store)[1].date()
        months = periods_between(last - timedelta(days=180), last, "month")

        def render_team(d):
            return team_live.render(d, manager)

        cases = {
            "team live": (lambda: team_live.fetch(store, team, quarter), render_team),
            "deals": (lambda: deals.fetch(store, team, quarter), lambda d: deals.render(d, manager)),
            "executive (all teams, 8 quarters)": (
                lambda: executive.fetch(store, quarter),
                lambda d: (executive.render_trends(d, executive.ORG, "reciprocity.reciprocity_index"),
                           executive.render(executive.quarter_data(d), executive.ORG))),
            "my view (7 months)": (lambda: my_view.fetch(store, manager.person_id, months), my_view.render),
            "activity feed": (lambda: activity.fetch(store), activity.render),
        }
        n_teams = len(teams(store))
        print(f"\n{args.events:,} events, {n_teams} teams, team {team}, period {quarter} (ms)")

        # 1. What the refresher does per page: every query of the page, nothing cached.
        print(f"\ncompute = every query of the page, caches emptied ({args.compute_repeat} runs; the executive "
              "page 1): what a page's first visit costs and how far behind the data a refreshed snapshot can be")
        print("| page | compute p50 | compute max |\n|---|---|---|")
        compute_p50: dict[str, float] = {}
        for name, (fetch, _render) in cases.items():
            runs = []
            for _ in range(1 if name.startswith("executive") else args.compute_repeat):
                read_model.clear()
                t = time.perf_counter()
                fetch()
                runs.append((time.perf_counter() - t) * 1000)
                print(f"  {name}: {runs[-1]:,.0f} ms", file=sys.stderr, flush=True)
            compute_p50[name] = statistics.median(runs)
            print(f"| {name} | {statistics.median(runs):,.0f} | {max(runs):,.0f} |", flush=True)

        # 2. What a person waits for: page data and the full callback on refresh ticks while events keep
        #    landing (one a second) and the refresher recomputes in the background.
        read_model.clear()
        model = read_model.for_store(store)
        for fetch, _render in cases.values():
            fetch()  # the first visit of each page (measured above)
        stop = threading.Event()

        def writer() -> None:
            n = 0
            while not stop.wait(1.0):
                n += 1
                insert_event(store, n)

        feeder = threading.Thread(target=writer, daemon=True)
        feeder.start()
        served: dict[str, list[float]] = {name: [] for name in cases}
        callback: dict[str, list[float]] = {name: [] for name in cases}
        deadline = time.monotonic() + args.live_seconds
        while time.monotonic() < deadline:
            for name, (fetch, render) in cases.items():
                t = time.perf_counter()
                data = fetch()
                served[name].append((time.perf_counter() - t) * 1000)
                render(data)
                callback[name].append((time.perf_counter() - t) * 1000)
            time.sleep(0.05)
        stop.set()
        feeder.join()
        refreshes = model.refreshes
        read_model.clear()
        print(f"\nlive = {args.live_seconds:.0f}s of refresh ticks while one event lands per second; the refresher "
              f"recomputed {refreshes} snapshots meanwhile")
        print("| page | snapshot lookup p50 | lookup p95 | callback p50 | callback p95 | ticks |\n"
              "|---|---|---|---|---|---|")
        print("(a lookup of the latest snapshot, not how old it is: bench_freshness.py measures that)")
        for name in cases:
            d50, d95 = pcts(served[name])
            c50, c95 = pcts(callback[name])
            print(f"| {name} | {d50:,.1f} | {d95:,.1f} | {c50:,.0f} | {c95:,.0f} | {len(served[name])} |", flush=True)
        store.close()
    return compute_p50


if __name__ == "__main__":
    raise SystemExit(main())
