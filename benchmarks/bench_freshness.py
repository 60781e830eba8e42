"""How old is what a screen shows? Event -> queryable -> Team live figure -> on screen, p50/p95/max.

    python benchmarks/bench_freshness.py [--rows 20k:1,1m:1,1m:8,1m:100] [--seconds 60] [--tick-ms 1000]
                                         [--store-root DIR] [--teams 100] [--mixed K] [--no-memo]

Runs the components `teamflow up` runs in one process, in-process: a chDB store holding a simulated
history (streams.simulator with --teams teams, built as bench_dashboards builds it: decode ->
the encoder -> `insert_arrow`; kept under --store-root and reused), the dashboards' read model with
its refresher thread, and a writer standing in for the worker that lands one marked event a second
for --seconds (a `recognition.given` by a member of a watched team, to a fresh receiver so the
per-pair cap never hides it; the team's recognition count on Team live must move by one). With
--mixed K each mark lands in a batch with K simulated events of the other types (help, deals,
knowledge, outcomes...), so every kind of table changes as it does under live traffic. The pages
read the store through the query memo, as the dashboards do (--no-memo: straight from the store).
No broker: the broker-to-store leg is what bench_pipeline measures; this measures the read side.

Per marked event it records
- queryable: until a query of the store sees the event (its row in `recognitions`);
- figure: until the Team live page data (`team_live.fetch`, what the page's callback calls) of the
  event's team shows the new count, watched for every page at once, as browsers would;
- on screen: until the first browser tick (each watched page ticks every --tick-ms with its own phase,
  calling the page's callback body: fetch + render) shows it. Each page also runs its needs-attention
  tile's callback body on every ATTENTION_EVERY_TICKS-th tick, as the page does, so the read model
  keeps that tile's snapshot current too.
A row `1m:8` is 1 million events with 8 team pages watched; the marked events rotate over them.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]

SIZES = {"20k": 20_000, "200k": 200_000, "1m": 1_000_000, "10m": 10_000_000}


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def open_history(root: Path, events: int, teams: int):
    """The store of `events` simulated events (built on first use under root)."""
    from bench_dashboards import simulated_store

    return simulated_store(root / f"s{events}-{teams}", events, teams)


def marked_event(n: int, giver: str) -> bytes:
    now = datetime.now(timezone.utc)
    return json.dumps({
        "specversion": "1.0", "id": f"fresh-{time.time_ns()}-{n}", "source": "bench-freshness",
        "type": "teamflow.recognition.given", "time": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "datacontenttype": "application/json",
        "dataschema": "https://schemas.teamflow.dev/recognition.given/v1",
        "data": {"giver": giver, "receiver": f"bench-r-{time.time_ns()}", "reason": "helping"},
    }).encode()


def land(store, value: bytes, offset: int, others: list[bytes] = ()) -> str:
    """Write one event, with `others` in the same batch, as the worker does (raw rows + projection
    rows); returns the first event's id."""
    import schemas
    from projections.project import Positioned
    from streams.fold.sink import store_events

    events = [schemas.decode(v) for v in (value, *others)]
    store_events(store, [Positioned(e, 0, offset * 1000 + i) for i, e in enumerate(events)], time.time_ns() // 1_000_000)
    return events[0].id


MIX_LEAVES_OUT = ("teamflow.recognition.given", "teamflow.roster.")
"""The mixed trickle has every other event type: not recognitions (the marks count those) nor roster
changes (they would move the marks' givers between teams)."""


def mixed_events(per_second: int, seconds: float, teams: int) -> list[bytes]:
    """Events of every other type, dated over the last day (so they land in the current period),
    for a trickle of `per_second` beside the marks."""
    from datetime import timedelta

    from streams.simulator import simulate

    if per_second <= 0:
        return []
    wanted = int(per_second * (seconds + 5))
    out: list[bytes] = []
    n = 4 * wanted
    for _, value in simulate(97, n, start=datetime.now(timezone.utc) - timedelta(days=1), teams=teams, days=1):
        if not json.loads(value)["type"].startswith(MIX_LEAVES_OUT):
            out.append(value)
    return out[:wanted]


def run_row(store, pages: int, seconds: float, tick_ms: int, label: str, mixed: int = 0, memo: bool = True) -> dict:
    """`store` is written as the worker writes; the pages read it as the dashboards do (through the
    query memo unless `memo` is off)."""
    from dashboards import query_memo, read_model
    from dashboards.components import period_of
    from dashboards.pages import team_live
    from dashboards.users import User
    from projections.metrics import teams, views

    read_model.clear()
    writer, store = store, (query_memo.memoised(store) if memo else store)
    trickle = mixed_events(mixed, seconds, len(teams(store)))
    period = period_of(datetime.now(timezone.utc), "quarter")
    watched, givers = [], {}
    for team in teams(store):
        members = [p for p in views.team_roster(store, team, period)["person"] if views.current_team(store, p) == team]
        if members:
            watched.append(team)
            givers[team] = members
        if len(watched) == pages:
            break
    users = {t: User("m", "manager", givers[t][0], (t,)) for t in watched}
    t0 = time.perf_counter()
    first = {}
    for t in watched:  # first visits, one after another as people arrive
        s = time.perf_counter()
        team_live.fetch(store, t, period)
        first[t] = time.perf_counter() - s
    print(f"  [{label}] {len(watched)} pages visited in {time.perf_counter() - t0:.1f}s "
          f"(first visit max {max(first.values()):.2f}s)", file=sys.stderr, flush=True)

    def count(data) -> int:
        return int(data["metrics"]["recognition"]["recognitions"]["value"])

    lock = threading.Lock()
    expected = {t: count(team_live.fetch(store, t, period)) for t in watched}  # marks land on top of this
    pending: dict[str, list[tuple[int, float]]] = {t: [] for t in watched}  # team -> [(count needed, sent)]
    results = {"queryable": [], "figure": [], "screen": []}
    figure_seen: dict[tuple, bool] = {}
    screen_seen: dict[tuple, bool] = {}
    stop = threading.Event()

    def browser(team: str) -> None:  # one open tab: ticks at its own phase, runs the callbacks' bodies
        tick = tick_ms / 1000
        stop.wait(random.random() * tick)
        shown, ticks = None, 0
        while not stop.is_set():
            if ticks % team_live.ATTENTION_EVERY_TICKS == 0:  # the needs-attention tile's own callback
                team_live.attention_outputs(store, team, users[team])
            ticks += 1
            data = team_live.fetch(store, team, period)
            if hasattr(team_live, "ticked"):  # the callback's body: nothing sent when nothing changed
                out = team_live.ticked(data, users[team], shown)
                shown = out[-1] if isinstance(out[-1], dict) else shown
            else:
                team_live.render(data, users[team])
            now, c = time.perf_counter(), count(data)
            with lock:
                for need, sent in pending[team]:
                    if c >= need and not screen_seen.get((team, need)):
                        screen_seen[(team, need)] = True
                        results["screen"].append(now - sent)
            stop.wait(tick)

    def watcher() -> None:  # the page data of every watched page, polled tightly (no tick)
        while not stop.is_set():
            for team in watched:
                c = count(team_live.fetch(store, team, period))
                now = time.perf_counter()
                with lock:
                    for need, sent in pending[team]:
                        if c >= need and not figure_seen.get((team, need)):
                            figure_seen[(team, need)] = True
                            results["figure"].append(now - sent)
            stop.wait(0.05)

    threads = [threading.Thread(target=browser, args=(t,), daemon=True) for t in watched]
    threads.append(threading.Thread(target=watcher, daemon=True))
    for th in threads:
        th.start()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        team = watched[n % len(watched)]
        giver = givers[team][n % len(givers[team])]
        sent = time.perf_counter()
        event_id = land(writer, marked_event(n, giver), 10_000_000 + n, trickle[n * mixed:(n + 1) * mixed])
        with lock:
            expected[team] += 1
            pending[team].append((expected[team], sent))
        while not writer.query_scalar("SELECT count() FROM recognitions WHERE event_id = {e:String}", {"e": event_id}):
            time.sleep(0.01)
        results["queryable"].append(time.perf_counter() - sent)
        n += 1
        if n % 10 == 0:
            print(f"  [{label}] {n} marked events, {len(results['figure'])} on figures, "
                  f"{len(results['screen'])} on screens", file=sys.stderr, flush=True)
        time.sleep(max(0.0, sent + 1.0 - time.perf_counter()))
    drain = time.perf_counter() + 30  # let the last events reach the screens (or give up)
    while time.perf_counter() < drain and len(results["screen"]) < n:
        time.sleep(0.2)
    stop.set()
    for th in threads:
        th.join(timeout=10)
    missing = n - len(results["screen"])
    read_model.clear()
    return {"label": label, "pages": len(watched), "events": n, "missing": missing, "mixed": mixed,
            "first_visit_max": max(first.values()), **results}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter,
                                 epilog="rows: comma list of SIZE:PAGES, SIZE one of " + ", ".join(SIZES))
    ap.add_argument("--rows", default="20k:1,1m:1,1m:8,1m:100")
    ap.add_argument("--seconds", type=float, default=60, help="how long marked events land (one a second)")
    ap.add_argument("--tick-ms", type=int, default=None,
                    help="the browser tick (default: Team live's own interval)")
    ap.add_argument("--teams", type=int, default=100, help="teams in the simulated history")
    ap.add_argument("--mixed", type=int, default=0, metavar="K",
                    help="K events a second of every other type in the marks' batches (default 0: marks only)")
    ap.add_argument("--no-memo", action="store_true",
                    help="pages read the store without the query memo (dashboards.query_memo), for comparison")
    ap.add_argument("--store-root", default="/tmp/teamflow-bench-freshness", help="built stores are kept here")
    args = ap.parse_args(argv)
    from dashboards.settings import DashboardSettings
    from dashboards.pages import team_live

    refresh_ms = DashboardSettings().dash_refresh_ms  # the default a browser gets
    tick = args.tick_ms or min(refresh_ms, team_live.TICK_MS)
    rows = []
    stores = {}
    for spec in args.rows.split(","):
        size, pages = spec.split(":")
        events = SIZES[size.lower()]
        if events not in stores:
            for s in stores.values():
                s.close()
            stores = {events: open_history(Path(args.store_root), events, args.teams)}
        print(f"row {spec}: {events:,} events, {pages} pages, tick {tick} ms", file=sys.stderr, flush=True)
        rows.append(run_row(stores[events], int(pages), args.seconds, tick, spec, args.mixed, not args.no_memo))
    for s in stores.values():
        s.close()
    print(f"\nseconds from sending a marked event; browser tick {tick} ms; one marked event a second for "
          f"{args.seconds:.0f}s, with {args.mixed} other events in each batch; query memo "
          f"{'off' if args.no_memo else 'on'}")
    print("| history, pages | queryable p50 / p95 / max | figure p50 / p95 / max | on screen p50 / p95 / max "
          "| first visit max | not shown |\n|---|---|---|---|---|---|")
    for r in rows:
        cells = [" / ".join(f"{pct(r[k], q):.2f}" for q in (0.5, 0.95, 1.0)) for k in ("queryable", "figure", "screen")]
        print(f"| {r['label']} ({r['pages']} pages) | {' | '.join(cells)} | {r['first_visit_max']:.2f} "
              f"| {r['missing']} of {r['events']} |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
