"""The pages' query memo reuses a result only while every table the query reads is unchanged, and a
page computed through it equals the page computed from the store after any write."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from support.store_rows import insert_event

import schemas
from dashboards.query_memo import QueryMemo
from projections.project import Positioned
from streams.fold.sink import store_events
from streams.simulator import simulate

pytestmark = pytest.mark.integration

EVENTS = "SELECT source, id FROM events FINAL ORDER BY id"
RECOGNITIONS = "SELECT giver, receiver FROM recognitions FINAL ORDER BY giver, receiver"


def recognition(n: int) -> Positioned:
    value = json.dumps({
        "specversion": "1.0", "id": f"r-{n}", "source": "memo-test", "type": "teamflow.recognition.given",
        "time": "2026-11-30T10:00:00.000Z", "datacontenttype": "application/json",
        "dataschema": "https://schemas.teamflow.dev/recognition.given/v1",
        "data": {"giver": f"g{n}", "receiver": f"r{n}", "reason": "helping"},
    }).encode()
    return Positioned(schemas.decode(value), 0, 1_000 + n)


def test_a_result_is_reused_until_a_table_it_reads_changes(store):
    memo = QueryMemo(store)
    insert_event(store, 1)
    first = memo.query_df(EVENTS)
    again = memo.query_df(EVENTS)
    assert (memo.misses, memo.hits) == (1, 1)
    assert first.equals(again) and list(first["id"]) == ["1"]

    insert_event(store, 2)  # the table it reads changed: run again, see the new row
    assert list(memo.query_df(EVENTS)["id"]) == ["1", "2"]
    assert memo.misses == 2


def test_a_write_to_another_table_leaves_the_result_reused(store):
    memo = QueryMemo(store)
    memo.query_df(RECOGNITIONS)
    insert_event(store, 1)  # events only, not recognitions
    assert memo.query_df(RECOGNITIONS).empty
    assert (memo.misses, memo.hits) == (1, 1)

    store_events(store, [recognition(1)], 0)  # recognitions (and events): run again
    assert memo.query_df(RECOGNITIONS).to_dict("records") == [{"giver": "g1", "receiver": "r1"}]
    assert memo.misses == 2


def test_a_merge_keeps_the_result_and_a_delete_drops_it(store):
    memo = QueryMemo(store)
    insert_event(store, 1)
    insert_event(store, 2)
    memo.query_df(EVENTS)
    store.command("OPTIMIZE TABLE events FINAL")  # rearranges parts, same rows
    memo.query_df(EVENTS)
    assert (memo.misses, memo.hits) == (1, 1)

    store.command("ALTER TABLE events DELETE WHERE id = '1' SETTINGS mutations_sync = 2")  # as erasure does
    assert list(memo.query_df(EVENTS)["id"]) == ["2"]
    assert memo.misses == 2


def test_parameters_are_part_of_the_key_and_results_are_copies(store):
    memo = QueryMemo(store)
    for n in (1, 2, 3):
        insert_event(store, n)
    sql = "SELECT id FROM events FINAL WHERE id IN {ids:Array(String)} ORDER BY id"
    assert list(memo.query_df(sql, {"ids": ["1"]})["id"]) == ["1"]
    assert list(memo.query_df(sql, {"ids": ["2", "3"]})["id"]) == ["2", "3"]
    shown = memo.query_df(sql, {"ids": ["1"]})
    shown["id"] = "changed by a caller"
    assert list(memo.query_df(sql, {"ids": ["1"]})["id"]) == ["1"]
    assert (memo.misses, memo.hits) == (2, 2)


def test_queries_of_system_tables_always_run(store):
    memo = QueryMemo(store)
    sql = "SELECT count() FROM system.parts WHERE database = currentDatabase() AND table = 'events' AND active"
    before = int(memo.query_scalar(sql))
    insert_event(store, 1)
    assert int(memo.query_scalar(sql)) == before + 1
    assert memo.hits == 0


def test_team_live_through_the_memo_equals_the_store_after_mixed_writes(store):
    """Every team's Team live page data, computed through one memo before and after batches of every
    event type, equals the same computed straight from the store each time."""
    from dashboards.components import period_of
    from dashboards.pages import team_live

    now = datetime.now(timezone.utc)
    history = [schemas.decode(v) for _, v in simulate(3, 3_000, start=now - timedelta(days=120), teams=3, days=120)]
    live = [schemas.decode(v) for _, v in simulate(4, 900, start=now - timedelta(days=1), teams=3, days=1)]
    store_events(store, [Positioned(e, 0, i) for i, e in enumerate(history)], 0)
    memo = QueryMemo(store)
    period = period_of(now, "quarter")

    def plain(value):
        return value.to_dict("records") if hasattr(value, "to_dict") and hasattr(value, "columns") else str(value)

    def figures(s) -> str:
        data = team_live._fetch_all(s, period)
        assert data["teams"]
        pages = {team: dict(data["teams"][team]) for team in data["teams"]}  # every team's page, built
        return json.dumps(pages, sort_keys=True, default=plain)

    assert figures(memo) == figures(store)
    for start in range(0, len(live), 300):  # three live batches, each of many types
        batch = live[start:start + 300]
        store_events(store, [Positioned(e, 1, start + i) for i, e in enumerate(batch)], 0)
        assert figures(memo) == figures(store)
    assert memo.hits > 0 and memo.misses > 0


class CountingStore:
    """The store, counting the metadata reads (`table_versions`) that reach it."""

    def __init__(self, store) -> None:
        self.store, self.version_reads = store, 0

    def __getattr__(self, name):
        return getattr(self.store, name)

    def query_df(self, sql, params=None):
        self.version_reads += "system.parts" in sql
        return self.store.query_df(sql, params)


def test_versions_pinned_for_a_snapshot_are_read_once_and_a_later_write_is_seen(store):
    from projections import activity

    counting = CountingStore(store)
    memo = QueryMemo(counting)
    insert_event(store, 1)
    with activity.versions_pinned(counting):
        for _ in range(3):
            memo.query_df(EVENTS)
            memo.query_df(RECOGNITIONS)
        assert activity.data_version(counting) == activity.data_version(store)
    assert counting.version_reads == 1  # on entering, not per query
    assert (memo.misses, memo.hits) == (2, 4)

    with activity.versions_pinned(counting):
        insert_event(store, 2)  # written during a compute: that compute may not see it ...
        memo.query_df(EVENTS)
    assert list(memo.query_df(EVENTS)["id"]) == ["1", "2"]  # ... the next one does (not filed as current)
    assert counting.version_reads == 3  # the second pin, then the plain call outside any pin
