"""The dashboards' read model: pages get the latest snapshot at once; the refresher keeps it current."""
from __future__ import annotations

import time
from datetime import datetime

import pytest
from support.store_rows import insert_event, raw_events

from dashboards.read_model import ReadModel

pytestmark = pytest.mark.integration


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def timed_page(store, clock: Clock, order: list[str], name: str, cost: float):
    """A page compute that notes its name in `order` and "takes" `cost` seconds on the model's clock."""
    def compute():
        order.append(name)
        clock.now += cost
        return {"events": int(store.query_scalar("SELECT count() FROM events FINAL"))}
    return compute


def counting(store, calls: list):
    def compute():
        calls.append(1)
        return {"events": int(store.query_scalar("SELECT count() FROM events FINAL"))}
    return compute


def shows_events(model, compute, events: int, *, within: float, why: str) -> None:
    """Wait until the page ("page",) shows `events` events, failing with `why` after `within` seconds."""
    deadline = time.monotonic() + within
    while model.get(("page",), compute)["events"] != events:
        assert time.monotonic() < deadline, why
        time.sleep(0.02)


def test_first_read_computes_then_reads_never_query(store):
    model, calls = ReadModel(store), []
    first = model.get(("page",), counting(store, calls))
    assert first["events"] == 0 and first["summary"]["last_ingested"] is None
    datetime.fromisoformat(first["summary"]["as_of"])
    insert_event(store, 1)
    stale = model.get(("page",), counting(store, calls))
    assert len(calls) == 1 and stale is first, "a read serves the snapshot; the refresher recomputes"
    assert model.refresh_stale() == 1
    fresh = model.get(("page",), counting(store, calls))
    assert len(calls) == 2 and fresh["events"] == 1
    landed = datetime.fromisoformat(fresh["summary"]["last_ingested"])
    assert landed <= datetime.fromisoformat(fresh["summary"]["as_of"]), "the newest landing is read with the figures"
    assert model.refresh_stale() == 0, "nothing changed since: nothing recomputed"


def test_refresher_thread_brings_new_data_without_any_request(store):
    model, calls = ReadModel(store, poll_seconds=0.05).start(), []
    try:
        assert model.get(("page",), counting(store, calls))["events"] == 0
        insert_event(store, 1)
        shows_events(model, counting(store, calls), 1, within=10, why="the refresher did not pick up the new event")
    finally:
        model.stop()


def test_a_write_by_the_worker_in_this_process_wakes_the_refresher_before_its_poll(store):
    """The poll is a minute here: only the writer's signal (`activity.written`, sent by the worker's write
    path) can bring the new figure within seconds; a row stored without it waits for the poll."""
    import schemas
    from projections.project import Positioned
    from streams.fold.sink import store_events
    from streams.simulator import simulate

    model, calls = ReadModel(store, poll_seconds=60).start(), []
    try:
        assert model.get(("page",), counting(store, calls))["events"] == 0
        insert_event(store, 1)  # no signal: another process's writer, as the refresher sees it
        time.sleep(1.0)
        assert model.get(("page",), counting(store, calls))["events"] == 0, "nothing told the refresher"
        (_, value), = simulate(1, 1, start=datetime(2026, 1, 5))
        store_events(store, [Positioned(schemas.decode(value), 0, 7)], 0)
        shows_events(model, counting(store, calls), 2, within=5, why="the worker's write did not wake the refresher")
    finally:
        model.stop()


def test_a_snapshot_refreshed_at_most_every_n_seconds_waits_out_its_interval_and_then_refreshes(store):
    clock = Clock()
    model, slow, live = ReadModel(store, clock=clock), [], []
    model.get(("attention",), counting(store, slow), every=10.0)
    model.get(("live",), counting(store, live))
    insert_event(store, 1)
    clock.now += 3
    assert model.refresh_stale() == 1 and len(live) == 2 and len(slow) == 1, "only the live one, within 10 s"
    assert model.get(("attention",), counting(store, slow), every=10.0)["events"] == 0
    clock.now += 7
    assert model.refresh_stale() == 1 and len(slow) == 2, "10 s after its compute: recomputed"
    assert model.get(("attention",), counting(store, slow), every=10.0)["events"] == 1
    clock.now += 60
    assert model.refresh_stale() == 0, "nothing changed since: nothing recomputed, however long ago"

def test_unwatched_keys_wait_until_read_again(store):
    clock = Clock()
    model, calls = ReadModel(store, watch_seconds=60, clock=clock), []
    model.get(("old",), counting(store, calls))
    clock.now += 120
    model.get(("recent",), counting(store, calls))
    insert_event(store, 1)
    assert model.refresh_stale() == 1 and model.get(("recent",), counting(store, calls))["events"] == 1
    assert model.get(("old",), counting(store, calls))["events"] == 0, "served stale once, then refreshed"
    assert model.refresh_stale() == 1 and model.get(("old",), counting(store, calls))["events"] == 1


def test_failed_refresh_keeps_the_last_snapshot_and_retries_later(store, caplog):
    clock = Clock()
    model = ReadModel(store, clock=clock)
    fail = {"on": False}

    def compute():
        if fail["on"]:
            raise RuntimeError("store refused")
        return {"events": int(store.query_scalar("SELECT count() FROM events FINAL"))}

    model.get(("page",), compute)
    insert_event(store, 1)
    fail["on"] = True
    assert model.refresh_stale() == 0
    assert "refreshing ('page',) failed" in caplog.text
    assert model.get(("page",), compute)["events"] == 0
    fail["on"] = False
    assert model.refresh_stale() == 0, "backs off before retrying"
    clock.now += 5
    assert model.refresh_stale() == 1 and model.get(("page",), compute)["events"] == 1


def test_warming_computes_the_first_pages_people_open(store):
    from datetime import datetime, timedelta, timezone

    import schemas
    from dashboards import read_model
    from dashboards.app import warm_read_model
    from dashboards.components import period_options
    from dashboards.pages import team_live
    from projections.metrics import teams, views
    from projections.project import Positioned
    from streams.simulator import simulate
    from streams.fold.sink import store_events

    events = [schemas.decode(v) for _, v in simulate(5, 3000, start=datetime.now(timezone.utc) - timedelta(days=60),
                                                     teams=2)]
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(events)],
                 int(datetime.now(timezone.utc).timestamp() * 1000))
    read_model.clear()
    try:
        assert warm_read_model(store) == 2 + 2 * len(teams(store)) == 6
        model = read_model.for_store(store)
        computed = model.refreshes
        quarter = period_options(views.data_span(store), "quarter")[0]
        data = team_live.fetch(store, teams(store)[0], quarter)
        assert model.refreshes == computed, "the warmed page is served, not computed"
        assert data["metrics"]["reciprocity"]["members"]["value"] > 0
    finally:
        read_model.clear()


def test_refresher_takes_the_cheapest_stale_page_first_and_lets_each_rest_while_another_waits(store):
    clock = Clock()
    model = ReadModel(store, clock=clock, watch_seconds=10_000)
    order: list[str] = []

    def page(name: str, cost: float):
        return timed_page(store, clock, order, name, cost)

    model.get(("slow",), page("slow", 100.0))
    model.get(("fast",), page("fast", 1.0))
    clock.now += 200  # both rested
    order.clear()
    insert_event(store, 1)
    assert model.refresh_next() == 1.0 and order == ["fast"], "cheapest stale page first"
    assert model.refresh_next() == 100.0 and order == ["fast", "slow"]
    insert_event(store, 2)
    assert model.refresh_next() == 1.0 and order[-1] == "fast", "fast rested while slow computed"
    insert_event(store, 3)  # both stale again; both rest (slow for 100 s, fast for 1 s)
    assert model.refresh_next() == 100.0 and order[-1] == "slow", "resting, but stale longest and alone in line"
    assert model.refresh_next() == 1.0 and order[-1] == "fast"
    assert model.refresh_next() is None, "nothing stale: nothing computed"
    clock.now += 0.5
    insert_event(store, 4)  # both stale at once, both resting
    assert model.refresh_next() == 1.0 and order[-1] == "fast", "stale as long: cheapest first"
    assert model.refresh_next() == 100.0 and order[-1] == "slow"
    insert_event(store, 5)  # both stale again; fast rests 1 s, slow 100 s
    clock.now += 1.5  # fast rested, slow still rests: fast goes first though slow went stale as early
    assert model.refresh_next() == 1.0 and order[-1] == "fast", "a rested page before a resting one"
    assert model.refresh_next() == 100.0 and order[-1] == "slow", "then the resting one, nothing else waiting"


def test_a_resting_page_waits_out_its_rest_while_a_backlog_is_written(store):
    clock = Clock()
    model = ReadModel(store, clock=clock, watch_seconds=10_000)
    order: list[str] = []
    model.get(("slow",), timed_page(store, clock, order, "slow", 10.0))
    insert_event(store, 1)
    model.busy = True  # what catching_up() concludes while a worker writes a backlog
    assert model.refresh_next() is None and order == ["slow"], "it rests as long as its compute took"
    clock.now += 10.5
    assert model.refresh_next() == 10.0 and order == ["slow", "slow"]


def test_an_expensive_page_is_not_starved_by_cheap_ones_while_the_data_changes_every_second(store):
    clock = Clock()
    model = ReadModel(store, clock=clock, watch_seconds=10_000)
    order: list[str] = []

    def page(name: str, cost: float):
        return timed_page(store, clock, order, name, cost)

    model.get(("all teams",), page("all teams", 2.5))
    for name in ("shape", "attention"):
        model.get((name,), page(name, 0.3))
    clock.now += 10
    order.clear()
    for i in range(1, 6):  # one event a second; the refresher takes one compute per turn
        insert_event(store, i)
        model.refresh_next()
        clock.now += 1.0
    assert "all teams" in order[:3], f"the page stale longest goes within one round: {order}"


def test_warming_an_empty_store_gives_up_after_its_wait(store):
    from dashboards import read_model
    from dashboards.app import warm_read_model

    read_model.clear()
    try:
        started = time.monotonic()
        assert warm_read_model(store, wait_seconds=2.5) == 0
        assert time.monotonic() - started >= 2.0, "it looked again before giving up"
    finally:
        read_model.clear()


def test_warming_waits_while_a_worker_fills_the_store_fast(store, monkeypatch):
    import threading

    from dashboards import app, read_model

    monkeypatch.setattr(read_model, "BUSY_ROWS_PER_SECOND", 2)  # rows per second that count as a backlog
    insert_event(store, 0)
    filling = threading.Event()
    stopped_at: list[float] = []

    def worker() -> None:  # ~20 rows a second for 1.5 s, then quiet
        end = time.monotonic() + 1.5
        n = 1
        while time.monotonic() < end:
            insert_event(store, n)
            n += 1
            filling.set()
            time.sleep(0.05)
        stopped_at.append(time.monotonic())

    thread = threading.Thread(target=worker)
    thread.start()
    filling.wait(5)
    app._wait_while_catching_up(store, time.monotonic() + 30, every=0.3)
    returned = time.monotonic()
    thread.join()
    assert stopped_at and returned >= stopped_at[0], "it waited until the store stopped growing fast"
    started = time.monotonic()
    app._wait_while_catching_up(store, started + 30, every=0.3)
    assert time.monotonic() - started < 1.0, "a quiet store is warmed at once"


def test_a_first_visit_goes_before_the_refresher_and_warming_does_not(store):
    import threading

    from dashboards.read_model import in_background

    model, calls = ReadModel(store, poll_seconds=0.05), []
    try:
        model.get(("watched",), counting(store, calls))
        model.start()
        release, entered = threading.Event(), threading.Event()

        def slow_first():
            entered.set()
            release.wait(10)
            return {"events": 0}

        visit = threading.Thread(target=model.get, args=(("new",), slow_first))
        visit.start()
        entered.wait(5)
        insert_event(store, 1)
        time.sleep(0.6)
        assert model.get(("watched",), counting(store, calls))["events"] == 0, "the refresher waited"
        release.set()
        visit.join(5)
        deadline = time.monotonic() + 10
        while model.get(("watched",), counting(store, calls))["events"] != 1:
            assert time.monotonic() < deadline, "the refresher did not resume after the first visit"
            time.sleep(0.05)
        # warming blocks on events of its own: "new" stays watched and is refreshed too, at once
        warm_release, warm_entered = threading.Event(), threading.Event()

        def slow_warm():
            warm_entered.set()
            warm_release.wait(10)
            return {"events": 0}

        with in_background():  # warming: the refresher keeps going
            warm = threading.Thread(target=lambda: (_bg(), model.get(("warm",), slow_warm)))
            warm.start()
        warm_entered.wait(5)
        insert_event(store, 2)
        deadline = time.monotonic() + 10
        while model.get(("watched",), counting(store, calls))["events"] != 2:
            assert time.monotonic() < deadline, "warming held the refresher up"
            time.sleep(0.05)
        warm_release.set()
        warm.join(5)
    finally:
        model.stop()


def _bg():
    from dashboards.read_model import _background
    _background.on = True  # in_background is per thread: the warming thread marks itself


def test_the_refresher_knows_a_backlog_from_a_trickle(store):
    """Rows per second between two looks, from the store's metadata: a burst above the threshold is a
    worker catching up (the refresher then rests between computes), a few rows are a live trickle."""
    from dashboards import read_model

    now = [100.0]
    model = ReadModel(store, clock=lambda: now[0])
    assert model.catching_up() is False  # the first look has nothing to compare with
    for n in range(3):
        insert_event(store, n)
    now[0] += 2.0
    assert model.catching_up() is False and model.busy is False  # 3 rows in two seconds: a trickle

    burst = read_model.BUSY_ROWS_PER_SECOND
    store.insert_arrow("events", raw_events([dict(id=f"b{i}", _offset=1000 + i) for i in range(4 * burst)]))
    now[0] += 0.5
    assert model.catching_up() is False, "a look within the window keeps the last verdict"
    now[0] += 1.5
    assert model.catching_up() is True and model.busy is True  # twice the threshold over two seconds
    now[0] += 2.0
    assert model.catching_up() is False and model.busy is False  # nothing since: quiet again


def test_while_a_worker_catches_up_only_expensive_snapshots_rest(store):
    """Busy: a snapshot that took over BUSY_CHEAP_SECONDS rests BUSY_REST_SECONDS after its compute; a cheap
    one (the data span and team list page layouts read) rests only as long as it took, as when quiet."""
    from dashboards import read_model

    now = [100.0]

    def costing(seconds: float):
        def compute() -> dict:
            now[0] += seconds
            return {"n": 1}
        return compute

    model = ReadModel(store, clock=lambda: now[0])
    model.busy = True
    model.get(("expensive",), costing(1.0))
    model.get(("cheap",), costing(0.01))
    assert model._entries[("expensive",)].rest_until >= 101.0 + read_model.BUSY_REST_SECONDS
    assert model._entries[("cheap",)].rest_until == pytest.approx(101.01 + 0.01)  # done + its own time
    model.busy = False
    model.get(("quiet",), costing(1.0))  # from 101.01 to 102.01
    assert model._entries[("quiet",)].rest_until == pytest.approx(102.01 + 1.0)
    model.busy = True
    model.get(("shape",), costing(1.0))  # the layouts' span and teams, from 102.01: never held back
    assert model._entries[("shape",)].rest_until == pytest.approx(103.01 + 1.0)


def test_a_visited_page_is_never_refreshed_in_the_background_and_a_visit_after_new_data_computes_it(store):
    """My view does not poll (live=False): keeping a snapshot per visitor current after every event took
    the live pages' turns. The refresher leaves it alone; a visit finds it current or computes it."""
    model, visited, watched = ReadModel(store, watch_seconds=10_000), [], []
    assert model.get(("my_view", "p-1"), counting(store, visited), live=False)["events"] == 0
    model.get(("team_live_all", "q"), counting(store, watched))
    again = model.get(("my_view", "p-1"), counting(store, visited), live=False)
    assert len(visited) == 1 and again["events"] == 0, "unchanged data: the same snapshot, no compute"
    insert_event(store, 1)
    assert model.refresh_stale() == 1 and len(watched) == 2 and len(visited) == 1, "only the live page refreshed"
    after = model.get(("my_view", "p-1"), counting(store, visited), live=False)
    assert len(visited) == 2 and after["events"] == 1, "a visit after new data sees it"
    assert model.get(("my_view", "p-1"), counting(store, visited), live=False) is after and len(visited) == 2


def test_a_snapshot_with_a_refresh_interval_is_refreshed_in_its_own_lane(store):
    """The live figures never wait behind a whole needs-attention compute: a snapshot with `every` is
    refreshed by the SLOW lane only, one without by the LIVE lane only."""
    from dashboards.read_model import LIVE, SLOW

    clock = Clock()
    model = ReadModel(store, clock=clock, watch_seconds=10_000)
    order: list[str] = []
    model.get(("attention_all",), timed_page(store, clock, order, "attention", 100.0), every=30.0)
    model.get(("team_live_all",), timed_page(store, clock, order, "live", 1.0))
    clock.now += 1_100  # past the attention's rest after its 100 s compute (SLOW_REST_RATIO)
    order.clear()
    insert_event(store, 1)
    assert model.refresh_next(LIVE) == 1.0 and order == ["live"]
    assert model.refresh_next(LIVE) is None, "the live lane leaves the attention snapshot to the slow one"
    assert model.refresh_next(SLOW) == 100.0 and order == ["live", "attention"]
    insert_event(store, 2)
    assert model.refresh_next(SLOW) is None, "its interval has not passed"
    assert model.refresh_next(LIVE) == 1.0 and order[-1] == "live"


def test_a_snapshot_with_a_refresh_interval_rests_in_proportion_to_its_cost(store):
    """A slow-lane snapshot waits its interval or SLOW_REST_RATIO times its last compute, the longer: on
    the embedded store each of its statements delays the live updates queued behind it."""
    from dashboards.read_model import SLOW, SLOW_REST_RATIO

    clock = Clock()
    model = ReadModel(store, clock=clock, watch_seconds=10_000)
    order: list[str] = []
    model.get(("cheap",), timed_page(store, clock, order, "cheap", 0.5), every=10.0)
    model.get(("dear",), timed_page(store, clock, order, "dear", 5.0), every=10.0)
    insert_event(store, 1)
    clock.now += 11
    order.clear()
    while model.refresh_next(SLOW) is not None:
        pass
    assert order == ["cheap"], "the cheap one's interval passed; the dear one rests 10 x 5 s after its compute"
    clock.now += SLOW_REST_RATIO * 5.0
    insert_event(store, 2)
    while model.refresh_next(SLOW) is not None:
        pass
    assert order[-2:] == ["dear", "cheap"] or order[-2:] == ["cheap", "dear"], order
