"""Failure transparency projection: published reviews (post-mortems, win/loss, third party).

Lost and no-decision deals come from `deals.DEAL_CLOSES`; war stories and lessons from
`knowledge.KNOWLEDGE_SHARED`. Lessons are kept as a JSON array string (chDB's DataFrame
insert cannot carry arrays) with their count beside it.
"""
from __future__ import annotations

import json
from typing import Any

from schemas.events import review

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


def _published(d: Any) -> Rows:
    lessons = list(d.lessons or ())
    return ((REVIEWS, {"review_id": d.review_id, "deal_id": d.deal_id, "author": d.author, "kind": d.kind,
                       "lesson_count": len(lessons), "lessons": json.dumps(lessons, ensure_ascii=False)}),)


TABLES = (REVIEWS,)
MAPPERS = {review.ReviewPublishedV1: _published}
