"""Reusable constrained field types for the data structs (msgspec ``Meta`` constraints)."""

from datetime import date
from typing import Annotated

import msgspec

from .text import CURRENCY_PATTERN, DATE_PATTERN, ID_PATTERN
from .limits import MAX_AMOUNT, MAX_ID_CHARS, MAX_LIST_ITEMS, MAX_MINUTES, MAX_NAME_CHARS, MAX_TEXT_CHARS

Id = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_ID_CHARS,
        extra_json_schema={"pattern": ID_PATTERN},  # checked by decoding.bad_id (a msgspec pattern costs more)
        description="Identifier (1..128 characters; no control characters, no leading/trailing whitespace).",
    ),
]
PersonId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=MAX_ID_CHARS,
        extra_json_schema={"pattern": ID_PATTERN},
        description="Stable pseudonymous person id (1..128 characters; no control characters, "
        "no leading/trailing whitespace).",
    ),
]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_NAME_CHARS, description="Display name.")]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT_CHARS, description="Free text (1..2000 characters).")]
Amount = Annotated[float, msgspec.Meta(ge=0, le=MAX_AMOUNT, description="Monetary amount, >= 0.")]
Currency = Annotated[str, msgspec.Meta(pattern=CURRENCY_PATTERN, description="ISO 4217 currency code.")]
Minutes = Annotated[int, msgspec.Meta(ge=0, le=MAX_MINUTES, description="Minutes spent, 0..1440.")]
Day = Annotated[
    date,
    msgspec.Meta(
        description="Calendar date, YYYY-MM-DD.",
        extra_json_schema={"pattern": DATE_PATTERN},  # for validators that do not check formats
    ),
]
Lessons = Annotated[tuple[Text, ...], msgspec.Meta(max_length=MAX_LIST_ITEMS)]


class Data(
    msgspec.Struct,
    frozen=True,
    kw_only=True,
    forbid_unknown_fields=True,
    omit_defaults=True,
    gc=False,
):
    """Base class of every event data struct: immutable, strict (unknown fields rejected)."""
