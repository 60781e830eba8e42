"""Small direct writes into a test store (for tests of what reads the store, not of the worker)."""
from __future__ import annotations

import pandas as pd

from projections import ddl


def insert_event(store, n: int) -> None:
    """One raw event `s/<n>` landed now."""
    now = pd.Timestamp.now(tz="UTC")
    store.insert_df("events", pd.DataFrame([dict(
        source="s", id=str(n), type="teamflow.help.given", version=1, time=now, subject="", data="{}",
        _partition=0, _offset=n, _ingested_at=now, _version=ddl.first_copy_version(0, n))]))
