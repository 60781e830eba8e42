"""The last component drawn for a key, reused while it is drawn from the same objects.

A live page's needs-attention tile is redrawn on every tick of every open tab, but its items change
only when the read model computes the team's items again (a snapshot holds each team's list as one
object until then). With a hundred tabs open that redrawing took about a seventh of the server's
interpreter time (docs/benchmarks.md, "Fifth round"). `Drawn.get(key, inputs, draw)` gives the value
drawn last for `key` when `inputs` are the very objects it was drawn from (compared with `is`; the
kept entry holds them, so none of them can be freed and its id reused), and draws it again otherwise.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any, Callable, Hashable


class Drawn:
    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._kept: OrderedDict[Hashable, tuple[tuple, Any]] = OrderedDict()
        self._lock = threading.Lock()
        self.draws = 0

    def get(self, key: Hashable, inputs: tuple, draw: Callable[[], Any]) -> Any:
        with self._lock:
            kept = self._kept.get(key)
            if kept is not None and len(kept[0]) == len(inputs) and all(a is b for a, b in zip(kept[0], inputs)):
                self._kept.move_to_end(key)
                return kept[1]
        value = draw()  # outside the lock: two tabs drawing at once draw at once
        with self._lock:
            self.draws += 1
            self._kept[key] = (inputs, value)
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return value
