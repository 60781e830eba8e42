"""The no-ranking rule as code: what a page must never show. Used by the unit and browser tests.

Teamflow never ranks people against each other: no "top", "rank", "leaderboard" or "best
performer" wording, and no table of people ordered by a figure.
"""
from __future__ import annotations

import re
from typing import Any, Iterable

FORBIDDEN = re.compile(r"\b(top\s+\d*\s*(performers?|sellers?|reps?|people)?|top|rank(s|ed|ing)?|leaderboards?|"
                       r"best\s+performers?|worst\s+performers?|star\s+performers?|league\s+table)\b", re.I)
PEOPLE_HEADERS = re.compile(r"\b(person|people|name|owner|rep|member|shared by|by|who|author)\b", re.I)


def text_violations(text: str) -> list[str]:
    """Ranking words found in visible text."""
    return sorted({m.group(0).lower() for m in FORBIDDEN.finditer(text or "")})


def _number(cell: str) -> float | None:
    s = str(cell).strip().replace(",", "").rstrip("%")
    try:
        return float(s.split()[0]) if s else None
    except (ValueError, IndexError):
        return None


def table_violations(header: list[str], rows: list[list[str]]) -> list[str]:
    """A table naming people whose rows are ordered by a numeric column is a ranking."""
    if len(rows) < 5 or not any(PEOPLE_HEADERS.search(h or "") for h in header):
        return []
    found = []
    for i, h in enumerate(header):
        values = [_number(r[i]) if i < len(r) else None for r in rows]
        if any(v is None for v in values) or len(set(values)) < 3:
            continue
        if values == sorted(values, reverse=True) or values == sorted(values):
            found.append(f"rows ordered by {h!r}")
    return found


def walk(component: Any) -> Iterable[Any]:
    """Every Dash component and string in a layout tree."""
    yield component
    children = getattr(component, "children", None) if not isinstance(component, (str, list, tuple)) else component
    if isinstance(component, str):
        return
    if isinstance(children, (list, tuple)):
        for c in children:
            yield from walk(c)
    elif children is not None:
        yield from walk(children)


def layout_text(component: Any) -> str:
    return " ".join(str(c) for c in walk(component) if isinstance(c, (str, int, float)))


def layout_violations(component: Any) -> list[str]:
    """Ranking words and people-tables ordered by a figure anywhere in a Dash layout tree."""
    from dash import html

    found = text_violations(layout_text(component))
    for c in walk(component):
        if isinstance(c, html.Table):
            header: list[str] = []
            rows: list[list[str]] = []
            for part in walk(c):
                if isinstance(part, html.Tr):
                    cells = [layout_text(x) for x in (part.children or [])]
                    if any(isinstance(x, html.Th) for x in (part.children or [])):
                        header = cells
                    else:
                        rows.append(cells)
            found += table_violations(header, rows)
    return found
