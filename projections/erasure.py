"""Right to be forgotten: a person's identity removed from events before they are projected.

Every field of an event that names a person is replaced by the person's erasure token
(`erased-<random>`), and a display name by "erased". The token is the same in every event, so
team-level history keeps its shape (help ties, counts, reciprocity) while nobody can be named.
`teamflow erase` records an erasure and rewrites the Kafka log without the person
(streams/erasure/log_scrub.py); the worker applies the list to new events and `teamflow replay` rebuilds
every table with it. The list itself never holds a clear id: `Erasures` looks people up by a
keyed hash (HMAC-SHA256 with a secret from settings). Pure: no I/O.
"""
from __future__ import annotations

import hmac
from typing import Any, Mapping, Sequence, get_args, get_type_hints

import msgspec

from schemas.catalog import CURRENT_MODELS
from schemas.fields import Name, PersonId

ERASED_NAME = "erased"

def _fields_of(annotation: Any) -> dict[str, tuple[str, ...]]:
    """Event type -> the data fields (in struct order) annotated as `annotation`, alone or optional,
    for every current model of the catalog that has one."""
    out = {}
    for type_name, model in CURRENT_MODELS.items():
        hints = get_type_hints(model, include_extras=True)
        named = tuple(f for f in model.__struct_fields__
                      if hints[f] == annotation or annotation in get_args(hints[f]))
        if named:
            out[type_name] = named
    return out


PERSON_FIELDS: dict[str, tuple[str, ...]] = _fields_of(PersonId)
"""Every data field, per event type, that holds a person id: the fields the schemas mark `PersonId`."""

NAME_FIELDS: dict[str, tuple[str, ...]] = _fields_of(Name)
"""Every data field, per event type, that holds a display name: the fields the schemas mark `Name`."""


def person_key(secret: bytes, person: str) -> str:
    """The keyed hash the erasure list is keyed by: HMAC-SHA256(secret, person id), hex. Without the
    secret it cannot be tested against a guessed id; it is never turned back into the id."""
    return hmac.digest(secret, person.encode("utf-8"), "sha256").hex()


class Erasures:
    """Erased people as `erase` needs them (`id in erasures`, `erasures[id]` -> token), looked up by
    `person_key`: the list holds {keyed hash: token} and no clear id. Each id seen is hashed once
    and remembered (a bounded cache, so the common case stays one dictionary lookup per field).
    Pickles without its cache (it crosses to the prepare processes)."""

    CACHE_LIMIT = 200_000

    def __init__(self, secret: bytes, tokens: Mapping[str, str] | None = None) -> None:
        self.secret = secret
        self.tokens: dict[str, str] = dict(tokens or {})  # person_key -> token
        self._seen: dict[str, str | None] = {}

    def token(self, person: str) -> str | None:
        seen = self._seen
        try:
            return seen[person]
        except KeyError:
            if len(seen) >= self.CACHE_LIMIT:
                seen.clear()
            found = seen[person] = self.tokens.get(person_key(self.secret, person))
            return found

    def __contains__(self, person: object) -> bool:
        return isinstance(person, str) and self.token(person) is not None

    def __getitem__(self, person: str) -> str:
        found = self.token(person)
        if found is None:
            raise KeyError("not erased")
        return found

    def __len__(self) -> int:
        return len(self.tokens)

    def __bool__(self) -> bool:
        return bool(self.tokens)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Erasures) and (self.secret, self.tokens) == (other.secret, other.tokens)

    def __getstate__(self) -> dict:
        return {"secret": self.secret, "tokens": self.tokens}

    def __setstate__(self, state: dict) -> None:
        self.secret, self.tokens, self._seen = state["secret"], state["tokens"], {}

    def __repr__(self) -> str:  # never the secret
        return f"Erasures({len(self.tokens)} erased)"


def erase(events: Sequence[Any], tokens: Mapping[str, str]) -> list[Any]:
    """The events with every erased person's id replaced by their token and their names blanked.

    `tokens` maps person id -> erasure token (a dict, or `Erasures`). Events naming nobody erased come back unchanged
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
