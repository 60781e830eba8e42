"""Page data computed ahead of the pages and kept current in the background (a read model).

A page's data rests on dozens of queries over the projection tables; on a large store they take
seconds, while a live page asks every second whether anything changed. So pages never wait for
those queries on a refresh: `page_data` returns the latest snapshot of the page's data at once, and a
refresher (two threads, LIVE and SLOW) recomputes the snapshots of the pages people are looking at as
soon as the store's data changed (`projections.activity.data_version`: metadata only, and it moves on writes, not on
background merges). Each snapshot carries the summary read with it (`summary`: events, dead letters,
last event landed, `as_of` = when the snapshot was computed), so a tile's freshness line says
exactly how old its figures are instead of pretending they are live. While the data does not
change, the refresher notes when it last found the version unchanged (`summary.confirmed_at`):
the snapshot is exact as of then, so a quiet store does not make its tiles look stale.

Only the first request for a key computes in the request (nothing to show before), and while it
does the refresher starts no compute of its own, so a first visit waits for its own page only.
After that a request never runs the page's queries; `unchanged` tells a page callback whether the
browser already shows the latest snapshot, so an idle page costs a dictionary lookup per tick.
That holds for live pages, those that poll. A page that does not poll (My view: `live=False`) is
never recomputed in the background, since nobody would see the result: a visit finding its snapshot
older than the data computes it in the request, as a first visit does. Twenty people who had opened
My view in the last five minutes made 8 watched Team live pages 24 s late at 200,000 events
(docs/benchmarks.md, "Visited pages leave the refresher to watched ones").
Keys nobody asked for within `watch_seconds` stop being refreshed until someone asks again (they are
then served from the last snapshot and refreshed in the background at once). The refresher takes the
snapshot that has been stale longest first (the cheapest among those that went stale together), lets
each snapshot rest as long as its compute took while other snapshots are stale (alone, and with no
backlog being written, a snapshot is recomputed as soon as the data changed: a new event should be on
screen within seconds), and itself rests REST_RATIO as long after each compute (a share of the process kept for
the worker while it catches up). Oldest first is what keeps an expensive page current
while the data changes every second: cheapest first let the cheap snapshots, stale again after every
event, take every turn, and Team live's snapshot of all teams was never recomputed under a
one-a-second trickle. The process keeps a third of its time for page callbacks and the worker. A failing refresh keeps the last snapshot, logs, and retries
with backoff.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable

from projections import activity
from projections.store import turns

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
WATCH_SECONDS = 300.0
MAX_ENTRIES = 256
REST_RATIO = 0.5
BUSY_ROWS_PER_SECOND = 5_000
"""A store growing faster than this is being filled by a worker catching up on a backlog (a live trickle
is far below it): snapshots computed then are stale at once, and their queries take the cores from the
worker. Warming waits meanwhile, and a snapshot whose compute took longer than BUSY_CHEAP_SECONDS
rests BUSY_REST_SECONDS after each compute (cheap ones, such as the data span and team list every page
layout reads, stay current)."""
BUSY_REST_SECONDS = 5.0
BUSY_CHEAP_SECONDS = 0.25
BUSY_WINDOW_SECONDS = 2.0
ALWAYS_CURRENT = frozenset({("shape",)})
"""Snapshots that never rest for a backlog, whatever they cost: the data span and team list every page
layout reads (a page opened during a catch-up must offer the current period)."""
AFTER_UPDATE_SECONDS = 0.05
"""How long a lane waits after an update before it looks for the next change (after a whole compute:
half as long as the compute took, REST_RATIO; with nothing due: POLL_SECONDS)."""
FULL_EVERY_SECONDS = 300.0
"""A snapshot kept current by updates (`get(update=...)`: the teams new rows touched computed again) is
computed whole at least this often, whatever the updates say: it bounds how long a change the update
could not see (several workers writing at once, projections/changed_teams.py) stays off screen."""
FEET_EVERY_SECONDS = 5.0
"""While a snapshot is unchanged, a page re-sends its freshness footers this often (the footers say
when the figures were last confirmed; assets/freshness.js keeps their age ticking in between)."""


LIVE, SLOW = "live", "slow"
"""The refresher's two lanes, a thread each: LIVE keeps the live figures current after every write; SLOW
the snapshots recomputed at most every so often (`every` > 0: needs-attention lists, expensive on a large
store). A watched page's figures never wait behind a whole SLOW snapshot: the lanes share the store one
query at a time, not one snapshot at a time (docs/architecture.md, "Snapshots updated by the teams new
rows touched")."""


Update = Callable[[dict, dict, "set[str] | None"], "dict | None"]
"""How the refresher updates a snapshot instead of computing it whole: (its last value, the table versions
that value was computed at, the parts pages watch: None when a page reads it whole) -> the new value, or
None when it must be computed whole. An update may leave the parts nobody watches behind: it names them
in the value's `behind`, and a page reading one of them has the snapshot updated first (`ReadModel.get`)."""


SLOW_REST_RATIO = 10.0
"""A snapshot with a refresh interval (`every`: the SLOW lane's) waits at least this many times as long as its
last compute took, whatever its interval: on the embedded store its statements cannot be interrupted, so
each one a live update queues behind adds its length to that update, and a compute of seconds repeated
every `every` would sit in front of a large share of them (docs/benchmarks.md, "News without a tick")."""


def interval(entry: "_Entry") -> float:
    """How long after its last compute a snapshot may be computed again (0: as soon as the data changed)."""
    return max(entry.every, SLOW_REST_RATIO * entry.seconds) if entry.every > 0 else 0.0


def lane_of(entry: "_Entry") -> str:
    return SLOW if entry.every > 0 else LIVE


def growing_fast(rows_before: int, rows_after: int, seconds: float) -> bool:
    """Whether a store that grew from `rows_before` to `rows_after` stored rows in `seconds` is being
    filled by a worker catching up (faster than BUSY_ROWS_PER_SECOND), not by a trickle."""
    return seconds > 0 and (rows_after - rows_before) / seconds > BUSY_ROWS_PER_SECOND


@dataclass
class _Entry:
    compute: Callable[[], dict]
    value: dict | None = None
    version: tuple | None = None
    last_read: float = 0.0
    seconds: float = 0.0  # how long the last compute took
    failures: int = 0
    retry_at: float = 0.0
    rest_until: float = 0.0  # refresh_next leaves it alone until then (as long again as its last compute took)
    confirmed_at: str | None = None  # wall-clock time the refresher last found its data version unchanged
    every: float = 0.0  # recomputed at most this often (seconds), however often the data changes
    computed_at: float | None = None  # clock time its last compute ended
    stale_since: float | None = None  # when the refresher first found it older than the data (None: current)
    live: bool = True  # its page polls: the refresher keeps it current (False: computed again when asked)
    update: "Update | None" = None  # (last value, its table versions, parts watched) -> new value or None
    full_at: float | None = None  # clock time its last whole compute began
    updates: int = 0  # computes done by `update` since the last whole one
    read_whole_at: float | None = None  # clock time a page last read it whole (not one part of it)
    parts_read_at: dict[str, float] = field(default_factory=dict)  # part (team) -> clock time a page last read it
    lock: threading.Lock = field(default_factory=threading.Lock)


def snapshot(store: Any, compute: Callable[[], dict]) -> tuple[tuple, dict]:
    """(data version read before computing, the page's data with the summary read with it: when it was
    computed and when the newest event it includes landed, for its freshness footers; a page that shows the
    store's totals reads them in its own compute: an exact count of a large store is dear, and every
    snapshot update of every page would pay it, docs/benchmarks.md)."""
    # The versions are read once, before computing (a change during the compute forces a redo), and
    # every query of the compute is filed under them (one metadata read, not one per query).
    with activity.versions_pinned(store):
        version = activity.data_version(store)
        value = compute()
        summary = {"last_ingested": activity.newest_ingested(store), "as_of": datetime.now(timezone.utc).isoformat()}
    return version, {**value, "summary": summary}


def stamp(value: dict) -> dict:
    """What a browser keeps of the snapshot it shows (a page's dcc.Store): when it was computed and when
    it was last confirmed unchanged."""
    summary = value.get("summary", {})
    return {"as_of": summary.get("as_of"), "confirmed_at": summary.get("confirmed_at")}


def unchanged(value: dict, shown: Any, feet_every: float = FEET_EVERY_SECONDS) -> str:
    """What a tick must send for `value` when the browser shows the snapshot stamped `shown`:
    'all' (a new snapshot), 'feet' (same figures, confirmed again more than `feet_every` s after the
    shown confirmation: only the freshness footers) or 'none' (nothing: dash.no_update). Pure."""
    now = stamp(value)
    if not isinstance(shown, dict) or shown.get("as_of") != now["as_of"]:
        return "all"
    if now["confirmed_at"] == shown.get("confirmed_at") or not now["confirmed_at"]:
        return "none"
    if not shown.get("confirmed_at"):
        return "feet"
    try:
        gap = (datetime.fromisoformat(now["confirmed_at"]) - datetime.fromisoformat(shown["confirmed_at"]))
    except (TypeError, ValueError):
        return "all"
    return "feet" if gap.total_seconds() >= feet_every else "none"


class ReadModel:
    def __init__(self, store: Any, *, poll_seconds: float = POLL_SECONDS, watch_seconds: float = WATCH_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.store = store
        self.poll_seconds = poll_seconds
        self.watch_seconds = watch_seconds
        self.clock = clock
        self._entries: "OrderedDict[tuple, _Entry]" = OrderedDict()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()  # set when a writer in this process stored rows (activity.on_write)
        self._threads: list[threading.Thread] = []
        self._foreground = 0  # first visits computing in a request right now: the refresher waits
        self._growth: tuple[float, int] | None = None  # (clock, stored rows) when the refresher last looked
        self.busy = False  # the store grew faster than BUSY_ROWS_PER_SECOND when last looked
        self.refreshes = 0

    # -- what pages call -------------------------------------------------------------------
    def get(self, key: tuple, compute: Callable[[], dict], every: float = 0.0, live: bool = True,
            update: Update | None = None, part: str | None = None,
            first: Callable[[], dict] | None = None) -> dict:
        """The latest snapshot for `key`; computed here only when there is none yet. `every`: the
        refresher recomputes it at most this often (for what changes by the day, such as needs-attention
        lists, so it does not take turns from live figures after every event). `live=False`: the page
        does not poll (what a visit shows is what it got), so the refresher never recomputes it and a
        visit finding it older than the data computes it again here, as a first visit does: a snapshot
        per person kept current after every event would take the turns of everyone's live pages.
        `update(last value, the table versions it was computed at)`: the new value from the last one
        (what changed since, computed again), or None when it must be computed whole; used by the
        refresher between whole computes (FULL_EVERY_SECONDS). `part`: the page reads this part of the
        snapshot only (a team of a snapshot of every team): the refresher's updates compute the parts
        pages watch, and a part an update left behind (`behind`) is brought current here before it is
        read, as a first visit is. `first`: with `part`, what a person's first visit computes when there is
        no snapshot yet: the part it reads, every other part `behind` (a visit to a period nobody watched
        waits for its team, not for every team; warming computes the whole snapshot); it counts as a
        whole compute (the next whole one is FULL_EVERY_SECONDS later)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                entry = self._entries[key] = _Entry(compute)
                self._evict()
            entry.compute, entry.every, entry.live, entry.update = compute, every, live, update
            if not getattr(_background, "on", False):  # warming computes a page; nobody watches it yet
                entry.last_read = self.clock()
                if part is None:
                    entry.read_whole_at = entry.last_read
                else:
                    entry.parts_read_at[part] = entry.last_read
            self._entries.move_to_end(key)

        def outdated() -> bool:  # nothing yet, a visited page's snapshot older than the data, or its part behind
            return (entry.value is None or (not live and entry.version != activity.data_version(self.store))
                    or (part is not None and part in entry.value.get("behind", ())))

        if outdated():
            person = not getattr(_background, "on", False)  # a request, not warming
            with self._lock:
                self._foreground += person
            try:
                with entry.lock:  # concurrent requests compute once
                    if outdated():
                        self._compute(key, entry, first if entry.value is None and part is not None and person else None)
            finally:
                with self._lock:
                    self._foreground -= person
        assert entry.value is not None
        if entry.confirmed_at and entry.version is not None:
            return {**entry.value, "summary": {**entry.value["summary"], "confirmed_at": entry.confirmed_at}}
        return entry.value

    # -- the refresher ---------------------------------------------------------------------
    def _due(self, *, resting_too: bool, lane: str | None = None) -> list[tuple[tuple, _Entry]]:
        """Watched snapshots older than the store's data: stale longest first, then cheapest. Without
        `resting_too`, those resting are left out while another one is due or a backlog is being
        written (a rest lets other snapshots take their turn; with nothing else waiting it would
        only make the page later). `lane`: LIVE or SLOW snapshots only (`lane_of`)."""
        version = activity.data_version(self.store)
        now = self.clock()
        wall = datetime.now(timezone.utc).isoformat()
        with self._lock:
            for e in self._entries.values():  # unchanged data: the snapshot is still exact as of now
                if e.value is not None and e.version == version and now - e.last_read <= self.watch_seconds:
                    e.confirmed_at = wall
                if e.value is not None and e.version != version and e.stale_since is None:
                    e.stale_since = now
            stale = [(k, e) for k, e in self._entries.items()
                     if e.value is not None and e.live and e.version != version
                     and now - e.last_read <= self.watch_seconds and now >= e.retry_at
                     and (e.computed_at is None or now >= e.computed_at + interval(e))
                     and (lane is None or lane_of(e) == lane)]
        due = stale if resting_too else [(k, e) for k, e in stale if now >= e.rest_until]
        if not due and not self.busy:  # nothing else waits: a resting snapshot need not
            due = stale
        return sorted(due, key=lambda item: (item[1].stale_since or 0.0, item[1].seconds))

    def refresh_stale(self) -> int:
        """Recompute every watched snapshot older than the store's data now; returns how many."""
        return sum(self._refresh(key, entry) for key, entry in self._due(resting_too=True)
                   if not self._stop.is_set())

    def refresh_next(self, lane: str | None = None) -> float | None:
        """Recompute the stale snapshot that has been stale longest, preferring those not resting;
        returns how long it took (None: nothing was due). A snapshot rests as long as its compute
        took while others are stale too, so cheap live pages refresh often and an expensive one (the
        executive page on a large store) neither starves nor hogs; alone, it is recomputed as soon as
        the data changed."""
        step = self._refresh_due(lane)
        return None if step is None else step[0]

    def _refresh_due(self, lane: str | None) -> tuple[float, bool] | None:
        """`refresh_next`'s step: (how long it took, whether it computed the snapshot whole)."""
        due = self._due(resting_too=False, lane=lane)
        if not due or self._foreground:  # a first visit began meanwhile: it goes first
            return None
        key, entry = due[0]
        if not self._refresh(key, entry):
            return 0.0, True
        return entry.seconds, entry.updates == 0

    def _refresh(self, key: tuple, entry: _Entry) -> bool:
        with entry.lock:
            try:
                self._compute(key, entry)
                return True
            except Exception:
                entry.failures += 1
                entry.retry_at = self.clock() + min(60.0, 2.0 ** entry.failures)
                log.exception("refreshing %s failed (attempt %d); showing the previous snapshot",
                              key, entry.failures)
                return False

    def _compute(self, key: tuple, entry: _Entry, first: Callable[[], dict] | None = None) -> None:
        started = self.clock()
        whole = True

        def compute() -> dict:
            nonlocal whole
            if first is not None:
                return first()
            if (entry.update is not None and entry.value is not None and entry.version is not None
                    and entry.full_at is not None and started - entry.full_at < FULL_EVERY_SECONDS):
                value = entry.update(entry.value, dict(entry.version), self._watched_parts(entry, started))
                if value is not None:
                    whole = False
                    return value
            return entry.compute()

        entry.version, entry.value = snapshot(self.store, compute)
        if whole:
            entry.full_at, entry.updates = started, 0
        else:
            entry.updates += 1
        entry.confirmed_at, entry.stale_since = None, None
        done = entry.computed_at = self.clock()
        entry.seconds = done - started
        entry.rest_until = done + entry.seconds  # it rests as long as it took
        if self.busy and entry.seconds > BUSY_CHEAP_SECONDS and key not in ALWAYS_CURRENT:
            entry.rest_until = max(entry.rest_until, done + BUSY_REST_SECONDS)
        entry.failures, entry.retry_at = 0, 0.0
        self.refreshes += 1
        if entry.seconds > 1.0:
            log.info("page data %s %s in %.1fs", key, "computed" if whole else "updated", entry.seconds)

    def _watched_parts(self, entry: _Entry, now: float) -> set[str] | None:
        """The parts of `entry` pages read within `watch_seconds` (None: a page read it whole then)."""
        if entry.read_whole_at is not None and now - entry.read_whole_at <= self.watch_seconds:
            return None
        with self._lock:
            return {p for p, at in entry.parts_read_at.items() if now - at <= self.watch_seconds}

    def catching_up(self) -> bool:
        """Whether the store grew faster than BUSY_ROWS_PER_SECOND over the last BUSY_WINDOW_SECONDS at
        least (metadata only; one worker batch landing between two close looks is not a backlog)."""
        now = self.clock()
        if self._growth is not None and now - self._growth[0] < BUSY_WINDOW_SECONDS:
            return self.busy
        rows = activity.stored_rows(self.store)
        last, self._growth = self._growth, (now, rows)
        busy = last is not None and growing_fast(last[1], rows, now - last[0])
        if busy != self.busy:
            log.info("read model: %s", ("a worker is catching up; expensive snapshots refresh at most every "
                                        f"{BUSY_REST_SECONDS:.0f}s meanwhile") if busy
                     else "the store grows slowly again; refreshing at once")
            self.busy = busy
        return busy

    def _evict(self) -> None:
        while len(self._entries) > MAX_ENTRIES:
            self._entries.popitem(last=False)

    def _run(self, lane: str) -> None:
        if lane == LIVE:
            log.info("read model: refreshing watched page data when the data changed (woken by this process's writes; "
                     "polls every %.1fs for other writers)",
                     self.poll_seconds)
        pause, idle = self.poll_seconds, True
        while True:
            # Idle, the live lane wakes as soon as a writer in this process stored rows (`activity.written`),
            # not at its next poll: the poll alone added up to POLL_SECONDS to every figure's way to the screen.
            # A rest after a whole compute, and a store being filled by a backlog, keep the poll.
            waiting_for_writes = lane == LIVE and idle and not self.busy
            (self._wake if waiting_for_writes else self._stop).wait(pause)
            if self._stop.is_set():
                return
            if lane == LIVE:
                self._wake.clear()  # before the data version is read: a write after it wakes the next wait
            if getattr(self.store, "_closed", False):
                log.info("read model: the store closed; refresher stops")
                return
            if self._foreground:  # a first visit computes its page: it goes first
                pause, idle = self.poll_seconds, False
                continue
            try:
                if lane == LIVE:
                    self.catching_up()  # a backlog: expensive snapshots would be stale at once (see _compute)
                    step = self._refresh_due(lane)
                else:
                    with turns.background():  # its statements wait for the live lane's and the worker's
                        step = self._refresh_due(lane)
            except Exception:  # the store went away or is closing: keep trying, quietly
                log.warning("read model refresh failed", exc_info=True)
                step = None
            # After a whole compute, rest half as long: on a large store with events arriving all the
            # time the refresher would otherwise keep the process (and its GIL) busy, and page callbacks
            # and the worker sharing it would wait; it stays busy at most about two thirds of the time.
            # Not after an update: its cost follows the teams touched since the last one, so a rest
            # would only make the next update larger (and every figure later); it looks again at once
            # for the rows written meanwhile.
            if step is None:
                pause, idle = self.poll_seconds, True
            elif step[1]:
                pause, idle = max(self.poll_seconds, REST_RATIO * step[0]), False
            else:
                pause, idle = AFTER_UPDATE_SECONDS, False

    def start(self) -> "ReadModel":
        if not self._threads:
            activity.on_write(self.store, self._wake.set)
            self._threads = [threading.Thread(target=self._run, args=(lane,), name=f"read-model-{lane}", daemon=True)
                             for lane in (LIVE, SLOW)]
            for thread in self._threads:
                thread.start()
        return self

    def stop(self) -> None:
        activity.off_write(self.store, self._wake.set)
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=30)
        self._threads = []


_background = threading.local()


class in_background:
    """Within it, a first compute of a page (warming at start) is background work: the refresher does
    not wait for it as it waits for a person's first visit."""

    def __enter__(self) -> "in_background":
        _background.on = True
        return self

    def __exit__(self, *exc: object) -> None:
        _background.on = False


_models: dict[int, ReadModel] = {}
_models_lock = threading.Lock()


def for_store(store: Any) -> ReadModel:
    """The process's read model over `store`, started on first use."""
    with _models_lock:
        model = _models.get(id(store))
        if model is None or model.store is not store:
            model = _models[id(store)] = ReadModel(store).start()
        return model


def page_data(store: Any, key: tuple, compute: Callable[[], dict], every: float = 0.0, live: bool = True,
              update: Update | None = None) -> dict:
    """A page's data from the store's read model (see the module text and `ReadModel.get`)."""
    return for_store(store).get(key, compute, every, live, update)


def team_page(store: Any, page: str, team: str, period: str, every_team: Callable[[], dict],
              one_team: Callable[[], dict], update: Update | None = None,
              first: Callable[[], dict] | None = None) -> dict:
    """A team's page data as its slice of one snapshot of every team, `(page + "_all", period)`:
    `every_team()` gives {"teams": team -> page data, "names": display names}, so any number of
    watched teams cost one compute. A team named after that snapshot was computed gets its own,
    `(page, team, period)` from `one_team()`, until the next one. `update`: `ReadModel.get`'s, for the
    snapshot of every team (the teams new rows touched computed again; those of teams no page watches
    when someone opens one). `first`: `ReadModel.get`'s (the team alone, when nobody watched the period yet)."""
    everyone = for_store(store).get((f"{page}_all", period), every_team, update=update, part=team, first=first)
    data = everyone["teams"].get(team)
    if data is None:
        return page_data(store, (page, team, period), one_team)
    return {**data, "team": team, "period": period, "names": everyone["names"], "summary": everyone["summary"]}


def team_as_of(store: Any, page: str, team: str, period: str) -> str | None:
    """When the snapshot `team_page` would serve for this team was computed (None: there is none yet):
    a lookup, never a compute, for the pages' "anything new?" poll (dashboards/news.py)."""
    with _models_lock:
        model = _models.get(id(store))
    if model is None or model.store is not store:  # nobody opened a page over this store yet
        return None
    with model._lock:
        everyone = model._entries.get((f"{page}_all", period))
        alone = model._entries.get((page, team, period))
    for entry, has_team in ((everyone, lambda v: team in v.get("teams", {})), (alone, lambda v: True)):
        value = entry.value if entry is not None else None
        if value is not None and has_team(value):
            return value["summary"]["as_of"]
    return None


def shape(store: Any) -> dict:
    """What page layouts and filters need (`span`: first and last event time or None, `teams`), from
    the read model: both scan the store, and every page visit needs them."""
    from projections.metrics import teams, views

    return page_data(store, ("shape",), lambda: {"span": views.data_span(store), "teams": teams(store)})


def clear() -> None:
    """Stop every refresher and forget every snapshot (tests, benchmarks)."""
    with _models_lock:
        models = list(_models.values())
        _models.clear()
    for model in models:
        model.stop()
