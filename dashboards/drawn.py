"""The last component drawn for a key, reused while it is drawn from the same objects.

A live page's needs-attention tile is redrawn on every tick of every open tab, but its items change
only when the read model computes the team's items again (a snapshot holds each team's list as one
object until then). With a hundred tabs open that redrawing took about a seventh of the server's
interpreter time (docs/benchmarks.md, "Fifth round"). `Drawn.get(key, inputs, draw)` gives the value
drawn last for `key` when `inputs` are the very objects it was drawn from, and draws it again
otherwise: the pages' `team_views.LastBuilt` with `SameObjects` as the fingerprint.
"""
from __future__ import annotations

from typing import Any, Callable, Hashable

from projections.metrics.team_views import LastBuilt


class SameObjects:
    """A fingerprint equal to another only when it holds the very same objects, in order (compared
    with `is`: equal lists of two snapshots are not the same drawing's inputs). It holds them, so none
    can be freed and its id reused while the drawing is kept."""
    __slots__ = ("objects",)
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, objects: tuple) -> None:
        self.objects = objects

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, SameObjects) and len(other.objects) == len(self.objects)
                and all(a is b for a, b in zip(self.objects, other.objects)))


class Drawn:
    def __init__(self, size: int = 2048) -> None:
        self._kept = LastBuilt(size)

    def get(self, key: Hashable, inputs: tuple, draw: Callable[[], Any]) -> Any:
        return self._kept.get(key, SameObjects(inputs), draw)

    @property
    def draws(self) -> int:
        return self._kept.builds
