"""Failure transparency projection: published reviews (post-mortems, win/loss, third party).

Lost and no-decision deals come from `deals.DEAL_CLOSES`; war stories and lessons from
`knowledge.KNOWLEDGE_SHARED`. Lessons are kept as a JSON array string (chDB's DataFrame
insert cannot carry arrays) with their count beside it.
"""
from __future__ import annotations

import json
from typing import Any

from .rows import Rows, fact_table

REVIEWS = fact_table(
    "reviews",
    (
        ("review_id", "String"),
        ("deal_id", "String"),
        ("author", "String"),
        ("kind", "LowCardinality(String)"),
        ("lesson_count", "UInt16"),
        ("lessons", "String"),
    ),
    ("review_id",),
    latest_wins=True,
)


def _published(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    lessons = list(d.lessons or ())
    rows[REVIEWS.name].append(
        (d.review_id, d.deal_id, d.author, d.kind, len(lessons), json.dumps(lessons, ensure_ascii=False), ms, e.source, e.id)
    )


TABLES = (REVIEWS,)
MAPPERS = {"teamflow.review.published": _published}
