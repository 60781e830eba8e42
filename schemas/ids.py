"""The id rule (``text.ID_PATTERN``) on decoded data: which fields are ids, and the first that breaks it.

Ids carry their pattern in the JSON Schema (``extra_json_schema``) but not as a msgspec pattern:
msgspec calls Python's ``re`` once per id field, which halved the decoder's throughput. Here a
printable-ASCII id is answered by two C-level string tests and only the rest meet the regex.
"""

from functools import lru_cache
from typing import Any

from msgspec import inspect as mi

from .text import ID_PATTERN, is_id

Plan = tuple[tuple[str, "Plan | None"], ...]
"""(field name, None for an id field | the plan of the structs in that array field)."""


def _is_id_type(t: mi.Type) -> bool:
    while True:
        if isinstance(t, mi.Metadata):
            if (t.extra_json_schema or {}).get("pattern") == ID_PATTERN:
                return True
            t = t.type
        elif isinstance(t, mi.UnionType):
            options = [o for o in t.types if not isinstance(o, mi.NoneType)]
            if len(options) != 1:
                return False
            t = options[0]
        else:
            return False


def _struct_items(t: mi.Type) -> type | None:
    while isinstance(t, (mi.Metadata, mi.UnionType)):
        t = t.type if isinstance(t, mi.Metadata) else next(o for o in t.types if not isinstance(o, mi.NoneType))
    if isinstance(t, (mi.VarTupleType, mi.ListType)) and isinstance(t.item_type, mi.StructType):
        return t.item_type.cls
    return None


@lru_cache(maxsize=None)
def plan(cls: type) -> Plan:
    """The id fields of a data struct, and of the structs in its array fields."""
    out: list[tuple[str, Plan | None]] = []
    for f in mi.type_info(cls).fields:
        if _is_id_type(f.type):
            out.append((f.name, None))
        else:
            items = _struct_items(f.type)
            if items is not None and plan(items):
                out.append((f.name, plan(items)))
    return tuple(out)


def first_bad(data: Any, steps: Plan) -> tuple[str, str] | None:
    """``(path, value)`` of the first id of ``data`` breaking the rule (path e.g. ``criteria[0].criterion_id``)."""
    for name, sub in steps:
        value = getattr(data, name)
        if value is None:
            continue
        if sub is None:
            if value.isascii() and value.isprintable() and value[0] != " " and value[-1] != " ":
                continue
            if not is_id(value):
                return name, value
        else:
            for i, item in enumerate(value):
                bad = first_bad(item, sub)
                if bad is not None:
                    return f"{name}[{i}].{bad[0]}", bad[1]
    return None
