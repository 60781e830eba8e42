"""Dashboard query and callback latency on a store of simulated events: p50/p95 per page.

    python benchmarks/bench_dashboards.py [--events 200000] [--teams 8] [--store-dir DIR] [--live-seconds 60]

Builds a chDB database in-process (simulator -> decode -> the encoder -> `insert_arrow`, plus
the raw events table the activity tile reads; in a temporary directory, or in --store-dir to
build once and reuse), then measures two things per page:

1. compute: every query of the page with nothing cached, which is what the read model's
   refresher runs in the background (dashboards.read_model) and what a page's very first visit
   costs; it bounds how far a snapshot can trail the data;
2. live: the page's data and the full callback (data + figures) on refresh ticks for
   --live-seconds while one event lands per second and the refresher keeps the snapshots current:
   what a person waits for.

The issue asks for 10 million events: `--events 10000000 --store-dir DIR` (build it once: its
time is in docs/dashboards.md). Figures go to docs/dashboards.md by hand.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]


def build(store, n_events: int, teams: int, batch: int = 50_000) -> None:
    import schemas
    from projections.project import Positioned
    from streams.simulator import simulate
    from streams.sink import store_events

    start = datetime.now(timezone.utc) - timedelta(days=270)
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

    for _, value in simulate(11, n_events, start=start, teams=teams):
        chunk.append(value)
        if len(chunk) == batch:
            flush()
    if chunk:
        flush()
    print(file=sys.stderr)
    store.command("OPTIMIZE TABLE events FINAL")


def pcts(times: list[float]) -> tuple[float, float]:
    times = sorted(times)
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--teams", type=int, default=8)
    ap.add_argument("--compute-repeat", type=int, default=3, help="cold computes per page (executive: 1)")
    ap.add_argument("--live-seconds", type=float, default=60, help="how long to tick the pages while events land")
    ap.add_argument("--store-dir", help="keep the built store here and reuse it on later runs with the same "
                                        "--events/--teams (building 10 million events takes a while)")
    ap.add_argument("--build-only", action="store_true", help="build the store (needs --store-dir) and stop")
    args = ap.parse_args(argv)

    from support.store_rows import insert_event

    from dashboards import data_cache, read_model
    from dashboards.components import period_options, periods_between
    from dashboards.pages import activity, deals, executive, my_view, team_live
    from dashboards.users import User
    from projections.metrics import teams, views
    from projections.migrations import migrate
    from projections.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(args.store_dir) if args.store_dir else Path(tmp)
        directory.mkdir(parents=True, exist_ok=True)
        marker = directory / f"built-{args.events}-{args.teams}"
        store = open_store(url=None, data_dir=str(directory), database="bench")
        if marker.exists():
            print(f"reusing the store of {args.events:,} events in {directory}")
        else:
            store.command("DROP DATABASE IF EXISTS bench")
            store.command("CREATE DATABASE bench")
            migrate(store)
            t = time.perf_counter()
            build(store, args.events, args.teams)
            print(f"built {args.events:,} events in {time.perf_counter() - t:.0f}s")
            marker.touch()
        if args.build_only:
            store.close()
            return 0
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
            "executive (all teams, 2 quarters)": (
                lambda: executive.fetch(store, quarter),
                lambda d: executive.render(d, executive.ORG, "reciprocity.reciprocity_index")),
            "my view (7 months)": (lambda: my_view.fetch(store, manager.person_id, months), my_view.render),
            "activity feed": (lambda: activity.fetch(store), activity.render),
        }
        n_teams = len(teams(store))
        print(f"\n{args.events:,} events, {n_teams} teams, team {team}, period {quarter} (ms)")

        # 1. What the refresher does per page: every query of the page, nothing cached.
        print(f"\ncompute = every query of the page, caches emptied ({args.compute_repeat} runs; the executive "
              "page 1): what a page's first visit costs and how far behind the data a refreshed snapshot can be")
        print("| page | compute p50 | compute max |\n|---|---|---|")
        for name, (fetch, _render) in cases.items():
            runs = []
            for _ in range(1 if name.startswith("executive") else args.compute_repeat):
                read_model.clear()
                data_cache.clear()
                t = time.perf_counter()
                fetch()
                runs.append((time.perf_counter() - t) * 1000)
                print(f"  {name}: {runs[-1]:,.0f} ms", file=sys.stderr, flush=True)
            print(f"| {name} | {statistics.median(runs):,.0f} | {max(runs):,.0f} |", flush=True)

        # 2. What a person waits for: page data and the full callback on refresh ticks while events keep
        #    landing (one a second) and the refresher recomputes in the background.
        read_model.clear()
        data_cache.clear()
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
        print("| page | data p50 | data p95 | callback p50 | callback p95 | ticks |\n|---|---|---|---|---|---|")
        for name in cases:
            d50, d95 = pcts(served[name])
            c50, c95 = pcts(callback[name])
            print(f"| {name} | {d50:,.1f} | {d95:,.1f} | {c50:,.0f} | {c95:,.0f} | {len(served[name])} |", flush=True)
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
