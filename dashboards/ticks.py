"""What a page's tick sends, once `read_model.unchanged` has said what changed: nothing, the
freshness footers only, or tiles. A page's outputs are its tiles' (figure, texts, footer) in
order, then the stamp of the snapshot the browser shows (a dcc.Store). Pure."""
from __future__ import annotations

from typing import Any

from dash import no_update

PARTS = 3
"""Outputs per tile: figure, texts, footer."""


def nothing(tiles: int) -> list[Any]:
    """Every output of a page of `tiles` tiles (and its stamp) left as the browser shows it."""
    return [no_update] * (PARTS * tiles + 1)


def feet_only(outputs: list[Any]) -> list[Any]:
    """`outputs` (the tiles' parts, no stamp) with everything but the footers left as shown."""
    return [x if i % PARTS == PARTS - 1 else no_update for i, x in enumerate(outputs)]
