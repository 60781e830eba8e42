"""The demo producer: an organisation in the present, continued (not repeated) on every restart.

The stream is `streams.simulator.demo_stream`: a history over the days before the run's anchor
time (the first run's start), then an open-ended future. The history keeps its simulated times;
each future event is stamped with the wall clock when it is sent (the simulated future only
decides the order, so a deal's lifecycle that takes weeks of simulated time passes in minutes of
trickle; dates inside events, such as a criterion's due date, stay on the simulated calendar).

Every event names its place in the stream: source `teamflow-demo/<seed>/<backlog>/<teams>/<days>/
<anchor>` and id `demo-<index>`. On start the producer reads the last records of each partition of
the topic: when they hold this seed's demo events, it rebuilds the same stream from their source
(same anchor and parameters), skips what the topic already holds and goes on with new events. So
a restart neither re-sends the history nor duplicates the organisation, and a deal opened before
the restart closes after it. A topic without them gets a new stream anchored now.
"""
from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Callable, Iterator

from .simulator import DemoEvent, demo_stream, envelope

log = logging.getLogger("teamflow.demo")

TAIL = 200
"""Records read back from the end of each partition to find where the demo stopped (other sources,
such as the ingest API, may have written after it)."""
_SOURCE = re.compile(r"^teamflow-demo/(\d+)/(\d+)/(\d+)/(\d+)/(\d{8}T\d{6}Z)$")
_ID = re.compile(r"^demo-(\d+)$")


@dataclass(frozen=True)
class Plan:
    seed: int
    backlog: int
    teams: int
    days: int
    anchor: datetime

    @property
    def source(self) -> str:
        return f"teamflow-demo/{self.seed}/{self.backlog}/{self.teams}/{self.days}/{self.anchor:%Y%m%dT%H%M%SZ}"

    @classmethod
    def from_source(cls, source: str) -> "Plan | None":
        m = _SOURCE.match(source)
        if not m:
            return None
        anchor = datetime.strptime(m.group(5), "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)
        return cls(int(m.group(1)), int(m.group(2)), int(m.group(3)), int(m.group(4)), anchor)

    def stream(self) -> Iterator[DemoEvent]:
        return demo_stream(self.seed, self.backlog, now=self.anchor, teams=self.teams, days=self.days)


def resume_point(records: list[tuple[str, str]], seed: int) -> tuple[Plan, int] | None:
    """(plan, next index) from (source, id) pairs read off the topic's tail; None: no demo of this seed.
    When several runs' streams are there (an older topic), the newest anchor wins. Pure."""
    best: tuple[Plan, int] | None = None
    for source, id_ in records:
        plan, m = Plan.from_source(source), _ID.match(id_)
        if plan is None or m is None or plan.seed != seed:
            continue
        nxt = int(m.group(1)) + 1
        if best is None or (plan.anchor, nxt) > (best[0].anchor, best[1]):
            best = (plan, nxt)
    return best


def read_tail(bootstrap_servers: str, topic: str, tail: int = TAIL) -> list[tuple[str, str]]:
    """(source, id) of the last `tail` records of every partition of the topic (empty if it has none)."""
    import json

    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=None, enable_auto_commit=False,
                             consumer_timeout_ms=3000)
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(parts)]
        if not tps:
            return []
        consumer.assign(tps)
        ends = consumer.end_offsets(tps)
        begins = consumer.beginning_offsets(tps)
        wanted = 0
        for tp in tps:
            start = max(begins[tp], ends[tp] - tail)
            consumer.seek(tp, start)
            wanted += ends[tp] - start
        out: list[tuple[str, str]] = []
        deadline = time.monotonic() + 30
        while len(out) < wanted and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=1000).values():
                for r in batch:
                    try:
                        event = json.loads(r.value)
                        out.append((str(event.get("source", "")), str(event.get("id", ""))))
                    except (ValueError, AttributeError):
                        out.append(("", ""))  # not a JSON event: not the demo's
        return out
    finally:
        consumer.close()


def run_demo(bootstrap_servers: str, topic: str, *, seed: int, backlog: int, count: int, rate: float,
             teams: int = 4, days: int = 270, clock: Callable[[], float] = time.time,
             sleep: Callable[[float], None] = time.sleep) -> int:
    """Produce the history (when the topic does not hold it yet), then `count` live events at `rate`
    per second stamped as they are sent. Returns how many events this run produced."""
    from .producer import make_producer, send_all, send_chunked

    found = resume_point(read_tail(bootstrap_servers, topic), seed)
    if found:
        plan, skip = found
        log.info("the topic holds this demo up to event %d (anchored %s): continuing from there",
                 skip - 1, plan.anchor.isoformat())
    else:
        plan, skip = Plan(seed, backlog, teams, days, datetime.fromtimestamp(int(clock()), tz=timezone.utc)), 0
        log.info("new demo anchored now (%s): history over the %d days before, then a live trickle",
                 plan.anchor.isoformat(), days)
    events = (e for e in plan.stream() if e.index >= skip)
    producer = make_producer(bootstrap_servers)
    sent, live, last = 0, 0, 0
    try:
        first = next(events)
        history = []
        e = first
        while not e.live:  # the history still missing from the topic, at full speed
            history.append((e.key, envelope(e.type, e.data, e.time, source=plan.source, id_=f"demo-{e.index:09d}")))
            e = next(events)
        if history:
            sent = send_chunked(producer, topic, history, len(history), chunk=2000,
                                progress=lambda n: log.info("history: %d/%d events produced", n, len(history)))
        log.info("trickling live events at %.1f/s to %s (Ctrl-C stops)", rate, topic)
        pause = 1.0 / rate if rate > 0 else 0.0
        while live < count:
            last = max(last, int(clock()))
            send_all(producer, topic, [(e.key, envelope(e.type, e.data, last, source=plan.source,
                                                        id_=f"demo-{e.index:09d}"))])
            sent += 1
            live += 1
            if live % 100 == 0:
                log.info("%d live events produced", live)
            if live < count:
                sleep(pause)
                e = next(events)
    except KeyboardInterrupt:
        pass
    finally:
        producer.close(timeout=5)
        log.info("demo producer stopped after %d events", sent)
    return sent
