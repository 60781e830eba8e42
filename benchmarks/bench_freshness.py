"""How old is what a screen shows? Event -> queryable -> page figure -> on screen, p50/p95/max.

    python benchmarks/bench_freshness.py [--rows 20k:1,1m:1,1m:8,1m:100] [--seconds 60] [--tick-ms 5000]
                                         [--news-ms 250]
                                         [--store-root DIR] [--teams 100] [--mixed K] [--no-memo]
                                         [--page team_live|deals] [--my-views N] [--executive]

Runs the components `teamflow up` runs in one process, in-process: a chDB store holding a simulated
history (streams.simulator with --teams teams, built as bench_dashboards builds it: decode ->
the encoder -> `insert_arrow`; kept under --store-root and reused), the dashboards' read model with
its refresher thread, and a writer standing in for the worker that lands one marked event a second
for --seconds. On Team live (`--page team_live`, the default) a mark is a `recognition.given` by a
member of a watched team, to a fresh receiver so the per-pair cap never hides it: the team's
recognition count must move by one. On Deals (`--page deals`) it is a seller-side `deal.exchange`
on one of the team's open deals: the seller gives summed over its open deals must move by one. With
--mixed K each mark lands in a batch with K simulated events of the other types (help, deals,
knowledge, outcomes...; on Deals no deal events, which could close or move the marked deals), so
the tables change as they do under live traffic. The pages
read the store through the query memo, as the dashboards do (--no-memo: straight from the store).
No broker: the broker-to-store leg is what bench_pipeline measures; this measures the read side.

Per marked event it records
- queryable: until a query of the store sees the event (its row in `recognitions`);
- figure: until the page data (`team_live.fetch` or `deals.fetch`, what the page's callback calls) of
  the event's team shows the new count, watched for every page at once, as browsers would;
- on screen: until the page's callback body (fetch + render) shows it. As in the browser, it runs on the
  page's tick (every --tick-ms, each watched page with its own phase) and whenever the page's "anything
  new?" poll (every --news-ms, dashboards/news.py: `read_model.team_as_of`, what /api/news answers) sees a
  snapshot the page does not show. Each page also runs its needs-attention tile's callback body on its
  first visit and on every ATTENTION_EVERY_TICKS-th tick, as the page does (in a thread of its own: the
  browser sends it as a request of its own), so the read model keeps that tile's snapshot current too.
  The HTTP round trips are not in these figures.
A row `1m:8` is 1 million events with 8 team pages watched; the marked events rotate over them.
With --my-views N, N people open My view once before the marks start (a page that does not poll:
its snapshots must not take the watched pages' turns); with --executive an executive opens the
executive page once (nor does it poll).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]

SIZES = {"20k": 20_000, "200k": 200_000, "1m": 1_000_000, "10m": 10_000_000}


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def open_history(root: Path, events: int, teams: int):
    """The store of `events` simulated events (built on first use under root)."""
    from bench_dashboards import simulated_store

    return simulated_store(root / f"s{events}-{teams}", events, teams)


def _event(n: int, kind: str, data: dict) -> bytes:
    now = datetime.now(timezone.utc)
    return json.dumps({
        "specversion": "1.0", "id": f"fresh-{time.time_ns()}-{n}", "source": "bench-freshness",
        "type": f"teamflow.{kind}", "time": now.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        "datacontenttype": "application/json", "dataschema": f"https://schemas.teamflow.dev/{kind}/v1",
        "data": data}).encode()


def marked_event(n: int, giver: str) -> bytes:
    return _event(n, "recognition.given", {"giver": giver, "receiver": f"bench-r-{time.time_ns()}", "reason": "helping"})


def marked_exchange(n: int, deal_id: str) -> bytes:
    return _event(n, "deal.exchange", {"deal_id": deal_id, "direction": "seller_gave", "kind": "demo"})


@dataclass(frozen=True)
class Page:
    """What the benchmark needs of a page: its data, the count a mark moves, a mark for a team's
    `subject` (a giver; a deal), the table a mark lands in, its callback body and what the mix leaves out."""
    module: Any
    count: Callable[[dict], int]
    subjects: Callable[[Any, str, str, dict], list[str]]
    mark: Callable[[int, str], bytes]
    table: str
    leaves_out: tuple[str, ...]
    tick: Callable[[dict, Any, Any], list]
    attention: Callable[[Any, str, Any], Any]


def _team_live() -> Page:
    from dashboards.pages import team_live
    from projections.metrics import views

    def givers(store, team, period, _data) -> list[str]:
        return [p for p in views.team_roster(store, team, period)["person"] if views.current_team(store, p) == team]
    return Page(team_live, lambda d: int(d["metrics"]["recognition"]["recognitions"]["value"]), givers,
                marked_event, "recognitions", MIX_LEAVES_OUT,
                lambda data, user, shown: team_live.ticked(data, user, shown), team_live.attention_outputs)


def _deals() -> Page:
    from dashboards.pages import deals, team_live

    def open_deals(_store, _team, _period, data) -> list[str]:
        return [str(d) for d in data["open"]["deal_id"]][:1]

    def attention(store, team, _user):  # the Deals page's needs-attention callback body
        data = team_live.attention_data(store, team)
        return deals.render_attention(data["items"], data["names"], "", data["summary"])
    return Page(deals, lambda d: int(d["open"]["seller_gave"].sum()) if not d["open"].empty else 0, open_deals,
                marked_exchange, "deal_exchanges", (*MIX_LEAVES_OUT, "teamflow.deal."),
                lambda data, user, shown: deals.ticked(data, user, False, shown), attention)


PAGES = {"team_live": _team_live, "deals": _deals}


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


def mixed_events(per_second: int, seconds: float, teams: int, leaves_out: tuple[str, ...] = MIX_LEAVES_OUT) -> list[bytes]:
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
        if not json.loads(value)["type"].startswith(leaves_out):
            out.append(value)
    return out[:wanted]


def my_view_visits(store, people: int, period: str) -> float:
    """`people` members open My view once, on its default range (the last 180 days by month), one
    after another; returns how long that took. The page does not poll: what it shows is what they got."""
    from datetime import date, timedelta

    from dashboards.components import periods_between
    from dashboards.pages import my_view
    from projections.metrics import teams, views

    persons = [p for t in teams(store) for p in views.team_roster(store, t, period)["person"]][:people]
    last = date.today()
    periods = periods_between(last - timedelta(days=180), last, "month")
    started = time.perf_counter()
    for person in persons:
        my_view.fetch(store, str(person), periods)
    return time.perf_counter() - started


def run_row(store, pages: int, seconds: float, tick_ms: int, label: str, mixed: int = 0, memo: bool = True,
            page: str = "team_live", my_views: int = 0, executive: bool = False, news_ms: int = 0) -> dict:
    """`store` is written as the worker writes; the pages read it as the dashboards do (through the
    query memo unless `memo` is off)."""
    from dashboards import query_memo, read_model
    from dashboards.components import period_of
    from dashboards.users import User
    from projections.metrics import teams

    read_model.clear()
    kind = PAGES[page]()
    writer, store = store, (query_memo.memoised(store) if memo else store)
    trickle = mixed_events(mixed, seconds, len(teams(store)), kind.leaves_out)
    period = period_of(datetime.now(timezone.utc), "quarter")
    watched, givers = [], {}
    t0 = time.perf_counter()
    first = {}
    for team in teams(store):  # first visits, one after another as people arrive (page data, then the tile below)
        s = time.perf_counter()
        data = kind.module.fetch(store, team, period)
        subjects = kind.subjects(store, team, period, data)
        if subjects:
            first[team] = time.perf_counter() - s
            watched.append(team)
            givers[team] = subjects
        if len(watched) == pages:
            break
    users = {t: User("m", "manager", "p-bench", (t,)) for t in watched}
    for team in watched:  # a first visit draws the needs-attention tile too
        s = time.perf_counter()
        kind.attention(store, team, users[team])
        first[team] += time.perf_counter() - s
    if my_views:
        print(f"  [{label}] {my_views} people opened My view in {my_view_visits(store, my_views, period):.1f}s",
              file=sys.stderr, flush=True)
    if executive:
        from dashboards.pages import executive as executive_page

        s = time.perf_counter()
        executive_page.fetch(store, period)
        print(f"  [{label}] an executive opened the executive page in {time.perf_counter() - s:.1f}s",
              file=sys.stderr, flush=True)
    print(f"  [{label}] {len(watched)} pages visited in {time.perf_counter() - t0:.1f}s "
          f"(first visit max {max(first.values()):.2f}s)", file=sys.stderr, flush=True)

    count, fetch = kind.count, kind.module.fetch
    lock = threading.Lock()
    expected = {t: count(fetch(store, t, period)) for t in watched}  # marks land on top of this
    pending: dict[str, list[tuple[int, float]]] = {t: [] for t in watched}  # team -> [(count needed, sent)]
    results = {"queryable": [], "figure": [], "screen": []}
    figure_seen: dict[tuple, bool] = {}
    screen_seen: dict[tuple, bool] = {}
    stop = threading.Event()

    def browser(team: str) -> None:  # one open tab: ticks and polls at its own phase, runs the callbacks' bodies
        tick = tick_ms / 1000
        shown, next_tick = None, time.perf_counter() + random.random() * tick  # its own phase; already open
        while not stop.is_set():
            ticked = due = time.perf_counter() >= next_tick  # the page's own tick
            if not due and news_ms:  # the page's "anything new?" poll (dashboards/news.py: what /api/news answers)
                as_of = read_model.team_as_of(store, page, team, period)
                due = as_of is not None and (shown is None or shown.get("as_of") != as_of)
            if due:
                if ticked:
                    next_tick += tick
                data = fetch(store, team, period)
                out = kind.tick(data, users[team], shown)  # the callback's body: nothing sent when nothing changed
                shown = out[-1] if isinstance(out[-1], dict) else shown
                now, c = time.perf_counter(), count(data)
                with lock:
                    for need, sent in pending[team]:
                        if c >= need and not screen_seen.get((team, need)):
                            screen_seen[(team, need)] = True
                            results["screen"].append(now - sent)
            stop.wait(news_ms / 1000 if news_ms else max(0.0, next_tick - time.perf_counter()))

    def attention(team: str) -> None:  # the needs-attention tile's callback: its own request on the page's tick
        ticks = 0
        while not stop.wait(tick_ms / 1000):
            if ticks % kind.module.ATTENTION_EVERY_TICKS == 0:
                kind.attention(store, team, users[team])
            ticks += 1

    def watcher() -> None:  # the page data of every watched page, polled tightly (no tick)
        while not stop.is_set():
            for team in watched:
                c = count(fetch(store, team, period))
                now = time.perf_counter()
                with lock:
                    for need, sent in pending[team]:
                        if c >= need and not figure_seen.get((team, need)):
                            figure_seen[(team, need)] = True
                            results["figure"].append(now - sent)
            stop.wait(0.05)

    threads = [threading.Thread(target=tab, args=(t,), daemon=True) for t in watched for tab in (browser, attention)]
    threads.append(threading.Thread(target=watcher, daemon=True))
    for th in threads:
        th.start()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        team = watched[n % len(watched)]
        giver = givers[team][n % len(givers[team])]
        sent = time.perf_counter()
        event_id = land(writer, kind.mark(n, giver), 10_000_000 + n, trickle[n * mixed:(n + 1) * mixed])
        with lock:
            expected[team] += 1
            pending[team].append((expected[team], sent))
        while not writer.query_scalar(f"SELECT count() FROM {kind.table} WHERE event_id = {{e:String}}", {"e": event_id}):
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
    return {"label": label, "page": page, "pages": len(watched), "events": n, "missing": missing, "mixed": mixed,
            "first_visit_max": max(first.values()), **results}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter,
                                 epilog="rows: comma list of SIZE:PAGES, SIZE one of " + ", ".join(SIZES))
    ap.add_argument("--rows", default="20k:1,1m:1,1m:8,1m:100")
    ap.add_argument("--seconds", type=float, default=60, help="how long marked events land (one a second)")
    ap.add_argument("--tick-ms", type=int, default=None,
                    help="the browser tick (default: the page's own interval)")
    ap.add_argument("--news-ms", type=int, default=None,
                    help="the page's 'anything new?' poll (default: dashboards.news.NEWS_MS; 0: none, the tick only)")
    ap.add_argument("--teams", type=int, default=100, help="teams in the simulated history")
    ap.add_argument("--mixed", type=int, default=0, metavar="K",
                    help="K events a second of every other type in the marks' batches (default 0: marks only)")
    ap.add_argument("--no-memo", action="store_true",
                    help="pages read the store without the query memo (dashboards.query_memo), for comparison")
    ap.add_argument("--store-root", default="/tmp/teamflow-bench-freshness", help="built stores are kept here")
    ap.add_argument("--page", default="team_live", choices=sorted(PAGES),
                    help="the watched page (default team_live); its marks are described above")
    ap.add_argument("--my-views", type=int, default=0, metavar="N",
                    help="N people open My view once before the marks start (it does not poll)")
    ap.add_argument("--executive", action="store_true",
                    help="an executive opens the executive page once before the marks start (it does not poll)")
    args = ap.parse_args(argv)
    from dashboards.settings import DashboardSettings

    refresh_ms = DashboardSettings().dash_refresh_ms  # the default a browser gets
    tick = args.tick_ms or min(refresh_ms, PAGES[args.page]().module.TICK_MS)
    news_ms = args.news_ms
    if news_ms is None:
        from dashboards.news import NEWS_MS

        news_ms = NEWS_MS
    rows = []
    stores = {}
    for spec in args.rows.split(","):
        size, pages = spec.split(":")
        events = SIZES[size.lower()]
        if events not in stores:
            for s in stores.values():
                s.close()
            stores = {events: open_history(Path(args.store_root), events, args.teams)}
        print(f"row {spec}: {events:,} events, {pages} pages, tick {tick} ms, news poll {news_ms or 'none'} ms",
              file=sys.stderr, flush=True)
        rows.append(run_row(stores[events], int(pages), args.seconds, tick, spec, args.mixed, not args.no_memo,
                            args.page, args.my_views, args.executive, news_ms))
    for s in stores.values():
        s.close()
    print(f"\n{args.page} pages; seconds from sending a marked event; browser tick {tick} ms, 'anything new?' poll "
          f"{f'{news_ms} ms' if news_ms else 'none'}; one marked event a second for "
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
