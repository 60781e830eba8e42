"""Page data reused until the data under it changes.

A live page refreshes every few seconds, and its queries cost hundreds of milliseconds on a large
store while the data often has not changed since the last tick. `page_data` recomputes only when
`projections.activity.data_version` (parts and rows of the database, metadata only) moved; the
freshness line (`summary`: last event landed, counts) is always read fresh, so tiles never claim
to be newer or older than they are.
"""
from __future__ import annotations

from collections import OrderedDict
from threading import Lock
from typing import Any, Callable

from projections import activity

MAX_ENTRIES = 256

_items: "OrderedDict[tuple, tuple[tuple, Any]]" = OrderedDict()
_lock = Lock()


def cached(store: Any, key: tuple, compute: Callable[[], Any]) -> Any:
    """compute(), or the value computed for `key` on this database while its data has not changed."""
    version = activity.data_version(store)  # read before computing: a change during compute forces a redo
    full_key = (store.database, *key)
    with _lock:
        hit = _items.get(full_key)
        if hit is not None and hit[0] == version:
            _items.move_to_end(full_key)
            return hit[1]
    value = compute()
    with _lock:
        _items[full_key] = (version, value)
        _items.move_to_end(full_key)
        while len(_items) > MAX_ENTRIES:
            _items.popitem(last=False)
    return value


def page_data(store: Any, key: tuple, compute: Callable[[], dict]) -> dict:
    """A page's fetch result from the cache, with a freshly read `summary` (compute leaves it out)."""
    return {**cached(store, key, compute), "summary": activity.summary(store)}


def clear() -> None:
    with _lock:
        _items.clear()
