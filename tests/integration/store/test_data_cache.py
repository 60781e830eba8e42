"""Page data is reused while the store's data is unchanged and recomputed as soon as it changes."""
from __future__ import annotations

import pandas as pd
import pytest

from dashboards import data_cache
from projections import activity, ddl

pytestmark = pytest.mark.integration


def _insert_event(store, n: int) -> None:
    now = pd.Timestamp.now(tz="UTC")
    store.insert_df("events", pd.DataFrame([dict(
        source="s", id=str(n), type="teamflow.help.given", version=1, time=now, subject="", data="{}",
        _partition=0, _offset=n, _ingested_at=now, _version=ddl.first_copy_version(0, n))]))


def test_recomputes_only_when_data_changed(store):
    data_cache.clear()
    calls = []

    def compute():
        calls.append(1)
        return {"events": int(store.query_scalar("SELECT count() FROM events FINAL")), "summary": "stale"}

    first = data_cache.page_data(store, ("page", "t"), compute)
    again = data_cache.page_data(store, ("page", "t"), compute)
    assert len(calls) == 1 and first["events"] == again["events"] == 0
    assert again["summary"] == activity.summary(store), "the freshness line is always read anew"

    v0 = activity.data_version(store)
    _insert_event(store, 1)
    assert activity.data_version(store) != v0
    after = data_cache.page_data(store, ("page", "t"), compute)
    assert len(calls) == 2 and after["events"] == 1 and after["summary"]["events"] == 1

    other_key = data_cache.page_data(store, ("page", "u"), compute)
    assert len(calls) == 3 and other_key["events"] == 1
