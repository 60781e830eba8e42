"""Reciprocity projection: help requested, given and acknowledged, one table per kind of fact.

Help counts only once its recipient acknowledges it as useful; the ack is its own row keyed by
`(help_id, recipient)` and joined at query time, so an ack that arrives before the help (or an
ack from someone who was not the recipient) is handled by the query, not by update order.
"""
from __future__ import annotations

from typing import Any

from schemas.events import help

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


def _requested(d: Any) -> Rows:
    return ((HELP_REQUESTS, {"request_id": d.request_id, "requester": d.requester, "topic": d.topic,
                             "deal_id": s(d.deal_id)}),)


def _given(d: Any) -> Rows:
    return ((HELP_GIVEN, {"help_id": d.help_id, "helper": d.helper, "recipient": d.recipient,
                          "request_id": s(d.request_id), "deal_id": s(d.deal_id), "kind": d.kind,
                          "minutes": int(d.minutes)}),)


def _acknowledged(d: Any) -> Rows:
    return ((HELP_ACKS, {"help_id": d.help_id, "recipient": d.recipient, "useful": 1 if d.useful else 0}),)


TABLES = (HELP_REQUESTS, HELP_GIVEN, HELP_ACKS)
MAPPERS = {
    help.HelpRequestedV1: _requested,
    help.HelpGivenV1: _given,
    help.HelpAcknowledgedV1: _acknowledged,
}
