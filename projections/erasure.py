"""Right to be forgotten: a person's identity removed from events before they are projected.

The Kafka log is immutable, so erasure happens on the way into the store: every field of an
event that names a person is replaced by the person's erasure token (`erased-<random>`), and a
display name by "erased". The token is the same in every event, so team-level history keeps its
shape (help ties, counts, reciprocity) while nobody can be named. `teamflow erase` records an
erasure; the worker applies the list to new events and `teamflow replay` rebuilds every table
with it. Pure: no I/O.
"""
from __future__ import annotations

from typing import Any, Mapping, Sequence

import msgspec

ERASED_NAME = "erased"

PERSON_FIELDS: dict[str, tuple[str, ...]] = {
    "teamflow.roster.member_joined": ("person",),
    "teamflow.roster.member_left": ("person",),
    "teamflow.help.requested": ("requester",),
    "teamflow.help.given": ("helper", "recipient"),
    "teamflow.help.acknowledged": ("recipient",),
    "teamflow.knowledge.shared": ("author",),
    "teamflow.knowledge.reused": ("user",),
    "teamflow.recognition.given": ("giver", "receiver"),
    "teamflow.deal.opened": ("owner",),
    "teamflow.deal.stage_changed": ("owner",),
    "teamflow.deal.collaborator_added": ("person",),
    "teamflow.review.published": ("author",),
    "teamflow.outcome.handoff_completed": ("from_person", "to_person"),
    "teamflow.referral.made": ("referrer",),
}
"""Every data field, per event type, that holds a person id (a test checks this against the catalog)."""

NAME_FIELDS: dict[str, tuple[str, ...]] = {
    "teamflow.roster.member_joined": ("display_name",),
    "teamflow.roster.member_left": ("display_name",),
}


def erase(events: Sequence[Any], tokens: Mapping[str, str]) -> list[Any]:
    """The events with every erased person's id replaced by their token and their names blanked.

    `tokens` maps person id -> erasure token. Events naming nobody erased come back unchanged
    (the same objects), so the common case costs one dictionary lookup per person field.
    """
    if not tokens:
        return list(events)
    out = []
    for event in events:
        fields = PERSON_FIELDS.get(event.type)
        if fields:
            data = event.data
            changes = {f: tokens[v] for f in fields if (v := getattr(data, f, None)) in tokens}
            if changes:
                for f in NAME_FIELDS.get(event.type, ()):
                    if getattr(data, f, None) is not None:
                        changes[f] = ERASED_NAME
                event = msgspec.structs.replace(event, data=msgspec.structs.replace(data, **changes))
        out.append(event)
    return out
