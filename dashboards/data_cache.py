"""Results reused until the data under them changes (exact: never older than the store's data).

Several pages need the same team metrics (team live, deals and the executive page all read
`team_metrics(team, period)`), and past periods rarely change, so `cached` memoises a result per
key and recomputes it only when `projections.activity.data_version` (parts and rows of the
database, metadata only) moved. Page snapshots themselves live in `dashboards.read_model`.
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


def team_metrics(store: Any, team: str, period: str) -> dict[str, Any]:
    """`projections.metrics.team_metrics`, shared by the pages until the data changes."""
    from projections.metrics import team_metrics as compute

    return cached(store, ("team_metrics", team, period), lambda: compute(store, team, period))


def clear() -> None:
    with _lock:
        _items.clear()
