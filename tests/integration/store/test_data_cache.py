"""Memoised results are reused while the store's data is unchanged and recomputed as soon as it changes."""
from __future__ import annotations

import pytest
from support.store_rows import insert_event

from dashboards import data_cache
from projections import activity

pytestmark = pytest.mark.integration


def test_recomputes_only_when_data_changed(store):
    data_cache.clear()
    calls = []

    def compute():
        calls.append(1)
        return {"events": int(store.query_scalar("SELECT count() FROM events FINAL"))}

    first = data_cache.cached(store, ("page", "t"), compute)
    again = data_cache.cached(store, ("page", "t"), compute)
    assert len(calls) == 1 and first["events"] == again["events"] == 0

    v0 = activity.data_version(store)
    insert_event(store, 1)
    assert activity.data_version(store) != v0
    after = data_cache.cached(store, ("page", "t"), compute)
    assert len(calls) == 2 and after["events"] == 1

    other_key = data_cache.cached(store, ("page", "u"), compute)
    assert len(calls) == 3 and other_key["events"] == 1


def test_data_version_moves_on_writes_not_on_merges(store):
    insert_event(store, 1)
    insert_event(store, 2)
    before = activity.data_version(store)
    store.command("OPTIMIZE TABLE events FINAL")  # a merge alone: same rows, fewer parts
    assert activity.data_version(store) == before
    insert_event(store, 3)
    after_insert = activity.data_version(store)
    assert after_insert != before
    store.command("ALTER TABLE events DELETE WHERE id = '3' SETTINGS mutations_sync = 2")
    assert activity.data_version(store) != after_insert
