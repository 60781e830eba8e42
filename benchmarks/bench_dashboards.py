"""Dashboard query and callback latency on a store of simulated events: p50/p95 per page.

    python benchmarks/bench_dashboards.py [--events 200000] [--repeat 15] [--teams 8]

Builds a fresh chDB database in a temporary directory in-process (simulator -> decode ->
`project_batch` -> `insert_df`, plus the raw events table the activity tile reads), then times,
for each page, its data queries (`fetch`: projections query functions only) and the full
callback work (`fetch` + `render`: queries and figure building). The issue asks for 10 million
events; pass `--events 10000000` on a machine with the time (about 1 min per million here to
build). Figures go to docs/dashboards.md by hand.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def build(store, n_events: int, teams: int, batch: int = 50_000) -> None:
    import schemas
    from projections.project import project_batch
    from streams.simulator import simulate
    from streams.sink import Positioned, raw_event_frame

    start = datetime.now(timezone.utc) - timedelta(days=270)
    t0, done, chunk = time.perf_counter(), 0, []

    def flush() -> None:
        nonlocal done
        events = [schemas.decode(v) for v in chunk]
        store.insert_df("events", raw_event_frame([Positioned(e, 0, done + i) for i, e in enumerate(events)],
                                                  datetime.now(timezone.utc)))
        for table, df in project_batch(events).items():
            store.insert_df(table, df)
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


def timed(fn, repeat: int) -> tuple[float, float]:
    fn()  # warm-up
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(round(0.95 * (len(times) - 1))))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--teams", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=15)
    args = ap.parse_args(argv)

    from dashboards import data_cache
    from dashboards.components import period_options, periods_between
    from dashboards.pages import activity, deals, executive, my_view, team_live
    from dashboards.users import User
    from projections.metrics import teams, views
    from projections.migrations import migrate
    from projections.store import open_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(url=None, data_dir=tmp, database="bench")
        migrate(store)
        t = time.perf_counter()
        build(store, args.events, args.teams)
        print(f"built {args.events:,} events in {time.perf_counter() - t:.0f}s")
        team = teams(store)[0]
        quarter = period_options(views.data_span(store), "quarter")[1]  # the last full quarter
        manager = User("m", "manager", views.team_roster(store, team, quarter)["person"].iloc[0], (team,))
        last = views.data_span(store)[1].date()
        months = periods_between(last - timedelta(days=180), last, "month")

        def cold(fn):
            """Time the queries, not the page cache: empty it first."""
            def run():
                data_cache.clear()
                return fn()
            return run

        cases = {
            "team live": (lambda: team_live.fetch(store, team, quarter),
                          lambda: team_live.render(team_live.fetch(store, team, quarter), manager)),
            "deals": (lambda: deals.fetch(store, team, quarter),
                      lambda: deals.render(deals.fetch(store, team, quarter), manager)),
            "executive (all teams, 2 quarters)": (
                lambda: executive.fetch(store, quarter),
                lambda: executive.render(executive.fetch(store, quarter), executive.ORG,
                                         "reciprocity.reciprocity_index")),
            "my view (7 months)": (lambda: my_view.fetch(store, manager.person_id, months),
                                   lambda: my_view.render(my_view.fetch(store, manager.person_id, months))),
            "activity feed": (lambda: activity.fetch(store), lambda: activity.render(activity.fetch(store))),
        }
        print(f"\n{args.events:,} events, {len(teams(store))} teams, team {team}, period {quarter}, "
              f"{args.repeat} runs each (ms)")
        print("cold = page cache emptied before each run (every query runs); warm = a refresh tick while the "
              "data did not change (data version + freshness line only)")
        print("| page | queries p50 | queries p95 | callback p50 | callback p95 | warm refresh p50 | warm p95 |\n"
              "|---|---|---|---|---|---|---|")
        for name, (fetch, full) in cases.items():
            q50, q95 = timed(cold(fetch), args.repeat)
            c50, c95 = timed(cold(full), args.repeat)
            full()
            w50, w95 = timed(full, args.repeat)
            print(f"| {name} | {q50:,.0f} | {q95:,.0f} | {c50:,.0f} | {c95:,.0f} | {w50:,.0f} | {w95:,.0f} |",
                  flush=True)
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
