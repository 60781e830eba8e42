"""Reciprocity projection: help requested, given and acknowledged, one table per kind of fact.

Help counts only once its recipient acknowledges it as useful; the ack is its own row keyed by
`(help_id, recipient)` and joined at query time, so an ack that arrives before the help (or an
ack from someone who was not the recipient) is handled by the query, not by update order.
"""
from __future__ import annotations

from typing import Any

from .rows import Rows, fact_table, s

HELP_REQUESTS = fact_table(
    "help_requests",
    (("request_id", "String"), ("requester", "String"), ("topic", "String"), ("deal_id", "String")),
    ("request_id",),
    latest_wins=True,
)
HELP_GIVEN = fact_table(
    "help_given",
    (
        ("help_id", "String"),
        ("helper", "String"),
        ("recipient", "String"),
        ("request_id", "String"),
        ("deal_id", "String"),
        ("kind", "LowCardinality(String)"),
        ("minutes", "UInt16"),
    ),
    ("help_id",),
    latest_wins=True,
    comment="Help as reported by the helper; counts once acknowledged (help_acks)",
)
HELP_ACKS = fact_table(
    "help_acks",
    (("help_id", "String"), ("recipient", "String"), ("useful", "UInt8")),
    ("help_id", "recipient"),
    latest_wins=True,
    comment="Acknowledgements; the latest by event time per (help_id, recipient) wins",
)


def _requested(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[HELP_REQUESTS.name].append((d.request_id, d.requester, d.topic, s(d.deal_id), ms, e.source, e.id))


def _given(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[HELP_GIVEN.name].append(
        (d.help_id, d.helper, d.recipient, s(d.request_id), s(d.deal_id), d.kind, int(d.minutes), ms, e.source, e.id)
    )


def _acknowledged(e: Any, ms: int, rows: Rows) -> None:
    d = e.data
    rows[HELP_ACKS.name].append((d.help_id, d.recipient, 1 if d.useful else 0, ms, e.source, e.id))


TABLES = (HELP_REQUESTS, HELP_GIVEN, HELP_ACKS)
MAPPERS = {
    "teamflow.help.requested": _requested,
    "teamflow.help.given": _given,
    "teamflow.help.acknowledged": _acknowledged,
}
