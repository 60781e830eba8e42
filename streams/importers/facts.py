"""Pure building blocks of every importer: field parsers, deterministic event ids, deal facts -> events.

Event ids are derived from what defines the fact, never from the file name, the row number or
the import time, so importing the same export again (or an overlapping newer one) produces the
same `(source, id)` and the store keeps one row:

| event | id = "imp-" + sha256(...)[:32] of |
|---|---|
| deal.opened | CRM family, "opened", deal id |
| deal.stage_changed | CRM family, "stage", deal id, stage, time of the change |
| deal.closed | CRM family, "closed", deal id, outcome |

The CRM family (`salesforce`, `hubspot`, or the generic mapping's source) rather than the file
kind: a close learned from the Salesforce API export and again from the opportunity history is
one fact, so it is one event.
"""
from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from typing import Any

from .mapping import ImportMapping

_AMOUNT_CODE = re.compile(r"^([A-Z]{3})\s*(.*)$|^(.*?)\s*([A-Z]{3})$")


class RowError(ValueError):
    """A row that cannot become events; the message is the reason shown to the operator."""


@dataclass(frozen=True)
class Built:
    """One event to produce: type, data, id, time, subject, and the team (Kafka key) when known."""

    type: str
    data: dict[str, Any]
    id: str
    time: datetime
    subject: str
    team: str | None = None
    extensions: dict[str, str] | None = None


def event_id(*parts: str) -> str:
    h = hashlib.sha256()
    for part in parts:
        b = part.encode("utf-8")
        h.update(len(b).to_bytes(4, "big"))
        h.update(b)
    return "imp-" + h.hexdigest()[:32]


def parse_amount(text: str | None, field: str = "amount") -> tuple[float | None, str | None]:
    """`12000`, `12,000.50`, `$12,000`, `USD 12,000.00`, `12000 EUR` -> (amount, currency or None)."""
    t = (text or "").strip()
    if not t:
        return None, None
    currency = None
    m = _AMOUNT_CODE.match(t)
    if m:
        currency = m.group(1) or m.group(4)
        t = (m.group(2) if m.group(1) else m.group(3)).strip()
    t = t.replace(",", "").replace(" ", "").lstrip("$€£¥")
    try:
        value = float(t)
    except ValueError:
        raise RowError(f"{field}: expected a number such as 12000.50, got {text!r}") from None
    if value < 0 or value != value or value > 1e15:
        raise RowError(f"{field}: expected 0..1e15, got {text!r}")
    return value, currency


@functools.lru_cache(maxsize=65536)  # exports repeat dates; the identity reads a row's dates again
def parse_time(text: str | None, field: str, fmt: str | None = None) -> datetime | None:
    """A date or date-time as CRMs export it -> aware UTC datetime (naive and date-only values are UTC).

    Tried in order: the mapping's `date_format`; ISO 8601 (`2025-03-31`, `2025-03-31 10:00`,
    `2025-01-10T09:30:00.000+0000`, `...Z`); US `M/D/YYYY` (Salesforce's default locale) with an
    optional time.
    """
    t = (text or "").strip()
    if not t:
        return None
    candidates: list[Any] = []
    if fmt:
        candidates.append(lambda s: datetime.strptime(s, fmt))
    candidates.append(lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")))
    candidates.append(lambda s: datetime.fromisoformat(re.sub(r"([+-]\d\d)(\d\d)$", r"\1:\2", s)))
    for us in ("%m/%d/%Y", "%m/%d/%Y %H:%M", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M:%S"):
        candidates.append(lambda s, us=us: datetime.strptime(s, us))
    for parse in candidates:
        try:
            value = parse(t)
        except ValueError:
            continue
        if isinstance(value, date) and not isinstance(value, datetime):
            value = datetime.combine(value, time())
        return (value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value).astimezone(timezone.utc)
    hint = f" or {fmt!r}" if fmt else " (set date_format in the mapping for other layouts)"
    raise RowError(f"{field}: expected a date such as 2025-03-31 or 3/31/2025{hint}, got {text!r}")


def parse_bool(text: str | None, field: str) -> bool | None:
    t = (text or "").strip().lower()
    if not t:
        return None
    if t in ("true", "1", "yes", "y"):
        return True
    if t in ("false", "0", "no", "n"):
        return False
    raise RowError(f"{field}: expected true or false, got {text!r}")


def required(row: dict[str, str], column: str) -> str:
    value = (row.get(column) or "").strip()
    if not value:
        raise RowError(f"{column}: required, but empty")
    return value


@dataclass(frozen=True)
class DealSnapshot:
    """What a snapshot export (one row per deal, its current state) says about a deal."""

    family: str
    deal_id: str
    stage_label: str
    owner: str
    account: str
    amount: str | None = None
    currency: str | None = None
    created_at: str | None = None
    closed_at: str | None = None
    stage_changed_at: str | None = None
    is_closed: bool | None = None
    is_won: bool | None = None
    outcome_label: str | None = None
    team: str | None = None


def snapshot_events(s: DealSnapshot, m: ImportMapping, columns: dict[str, str] | None = None,
                    opened_at: datetime | None = None) -> list[Built]:
    """deal.opened (at creation), deal.stage_changed (when the export says when), deal.closed (if closed).

    `columns` names the source columns in reasons (e.g. "Close Date" instead of "closed_at").
    `opened_at`: the opening time an earlier import gave this deal (see `identity`), so that the
    same deal from another export kind has the same deal.opened, time included.
    """
    col = {**{f: f for f in ("deal_id", "stage", "owner", "account", "amount", "created_at", "closed_at",
                             "stage_changed_at")}, **(columns or {})}
    if not s.deal_id:
        raise RowError(f"{col['deal_id']}: required, but empty")
    if not s.stage_label:
        raise RowError(f"{col['stage']}: required, but empty")
    if not s.account:
        raise RowError(f"{col['account']}: required, but empty")
    if s.team:
        person = m.owner(s.owner) if s.owner else None
        owner_person, team = (person.person if person else m.pseudonym(s.owner or s.deal_id)), s.team
    else:
        if not s.owner:
            raise RowError(f"{col['owner']}: required, but empty")
        owner = m.owner(s.owner)
        if owner is None:
            raise RowError(f"{col['owner']}: owner {s.owner!r} has no team in the mapping's owners "
                           "and no default_team (--team) is set")
        owner_person, team = owner.person, owner.team
    amount, code = parse_amount(s.amount, col["amount"])
    currency = (s.currency or "").strip().upper() or code or m.currency
    created = parse_time(s.created_at, col["created_at"], m.date_format)
    closed = parse_time(s.closed_at, col["closed_at"], m.date_format)
    changed = parse_time(s.stage_changed_at, col["stage_changed_at"], m.date_format)
    outcome = m.outcome(s.outcome_label or s.stage_label)
    if s.is_closed is not None:  # explicit flags (Salesforce API) win over the stage label
        outcome = (("won" if s.is_won else (outcome if outcome in ("lost", "no_decision") else "lost"))
                   if s.is_closed else None)
    stage = m.stage(s.stage_label)
    opened_at = opened_at or created or closed
    if opened_at is None:
        raise RowError(f"{col['created_at']}: required to date the deal's opening "
                       f"(or {col['closed_at']}), both empty")
    out = [Built("teamflow.deal.opened",
                 {"deal_id": s.deal_id, "owner": owner_person, "team": team, "account": s.account,
                  "amount": amount or 0.0, "currency": currency, "stage": stage},
                 event_id(s.family, "opened", s.deal_id), opened_at, s.deal_id, team)]
    if changed is not None:
        out.append(Built("teamflow.deal.stage_changed", {"deal_id": s.deal_id, "stage": stage},
                         event_id(s.family, "stage", s.deal_id, stage, changed.isoformat()), changed, s.deal_id, team))
    if outcome is not None:
        if closed is None:
            raise RowError(f"{col['closed_at']}: required for a closed deal (stage {s.stage_label!r}), but empty")
        out.append(Built("teamflow.deal.closed", {"deal_id": s.deal_id, "outcome": outcome, "amount": amount or 0.0},
                         event_id(s.family, "closed", s.deal_id, outcome), closed, s.deal_id, team))
    return out


def stage_change_events(family: str, deal_id: str, stage_label: str, when: datetime, m: ImportMapping,
                        amount: float | None = None, owner: str | None = None) -> list[Built]:
    """One history row: deal.stage_changed, plus deal.closed when the new stage closes the deal."""
    stage = m.stage(stage_label)
    team = None
    data: dict[str, Any] = {"deal_id": deal_id, "stage": stage}
    if amount is not None:
        data["amount"] = amount
    if owner:
        o = m.owner(owner)
        if o is not None:
            data.update(owner=o.person, team=o.team)
            team = o.team
    out = [Built("teamflow.deal.stage_changed", data, event_id(family, "stage", deal_id, stage, when.isoformat()),
                 when, deal_id, team)]
    outcome = m.outcome(stage_label)
    if outcome is not None:
        out.append(Built("teamflow.deal.closed", {"deal_id": deal_id, "outcome": outcome, "amount": amount or 0.0},
                         event_id(family, "closed", deal_id, outcome), when, deal_id, team))
    return out
