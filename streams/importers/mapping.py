"""The mapping file of an import (YAML or TOML): owners -> teams and person ids, stages, defaults.

One format serves every importer; `columns` is needed only by the generic CSV importer.

```yaml
source: //crm/pipedrive          # CloudEvent source (default per importer; --source wins)
currency: EUR                    # when a row has no currency (default USD)
date_format: "%d.%m.%Y"          # tried first; then ISO 8601, then US M/D/YYYY
default_team: team-unassigned    # owners not listed below (else such rows are rejected)
pseudonym_salt: "change-me"      # person ids derived from owner names are salted hashes
owners:                          # owner as it appears in the file (name or CRM user id)
  Ana Lima: {person: p-ana, team: team-north}
  "005000000000001": team-south  # team only: person id = salted hash of the owner
stages:                          # CRM stage label -> Teamflow stage id (default: slug of the label)
  Negotiation/Review: negotiation
outcomes:                        # stage labels that close a deal (added to the defaults)
  No Decision: no_decision       # defaults: Closed Won / closedwon / Won -> won, Closed Lost / closedlost / Lost -> lost
columns:                         # generic CSV only: Teamflow field -> column header
  deal_id: Deal ID
  stage: Stage
  owner: Owner
  account: Organization
  amount: Value                  # optional from here on
  currency: Currency
  created_at: Deal created
  closed_at: Won/Lost time
  stage_changed_at: Last stage change
  team: Team                     # a team column beats the owners mapping
```
Team choice: a `team` column (generic CSV) first, then `owners`, then `default_team` (the
`--team` option sets it too). There is no guessing: a row whose owner has no team is rejected,
with the owner named in the reason, so the mapping can be completed and the file re-imported.
"""
from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

DEFAULT_OUTCOMES = {
    "closed won": "won", "closedwon": "won", "won": "won",
    "closed lost": "lost", "closedlost": "lost", "lost": "lost",
    "no decision": "no_decision", "closed no decision": "no_decision",
}
OUTCOMES = ("won", "lost", "no_decision")
GENERIC_FIELDS = ("deal_id", "stage", "owner", "account", "amount", "currency", "created_at", "closed_at",
                  "stage_changed_at", "team", "outcome")


class MappingError(ValueError):
    """The mapping file is unreadable or inconsistent."""


@dataclass(frozen=True)
class Owner:
    person: str
    team: str


@dataclass
class ImportMapping:
    source: str | None = None
    currency: str = "USD"
    date_format: str | None = None
    default_team: str | None = None
    pseudonym_salt: str = ""
    owners: dict[str, Any] = field(default_factory=dict)
    stages: dict[str, str] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for label, outcome in self.outcomes.items():
            if outcome not in OUTCOMES:
                raise MappingError(f"outcomes: {label!r} -> {outcome!r}; expected one of {', '.join(OUTCOMES)}")
        unknown = set(self.columns) - set(GENERIC_FIELDS)
        if unknown:
            raise MappingError(f"columns: unknown field(s) {sorted(unknown)}; known: {', '.join(GENERIC_FIELDS)}")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise MappingError(f"currency: expected 3 uppercase letters, got {self.currency!r}")
        self._owners_ci = {str(k).strip().lower(): v for k, v in self.owners.items()}
        self._outcomes_ci = {**DEFAULT_OUTCOMES, **{k.strip().lower(): v for k, v in self.outcomes.items()}}
        self._stages_ci = {k.strip().lower(): v for k, v in self.stages.items()}

    def pseudonym(self, owner: str) -> str:
        digest = hashlib.sha256(f"{self.pseudonym_salt}\x00{owner.strip().lower()}".encode()).hexdigest()
        return f"p-{digest[:16]}"

    def owner(self, owner: str) -> Owner | None:
        """Person id and team for an owner as written in the file; None when no team is known."""
        entry = self._owners_ci.get(owner.strip().lower())
        if isinstance(entry, dict):
            team = entry.get("team") or self.default_team
            return Owner(str(entry.get("person") or self.pseudonym(owner)), str(team)) if team else None
        if isinstance(entry, str) and entry:
            return Owner(self.pseudonym(owner), entry)
        return Owner(self.pseudonym(owner), self.default_team) if self.default_team else None

    def stage(self, label: str) -> str:
        mapped = self._stages_ci.get(label.strip().lower())
        if mapped:
            return mapped
        slug = "".join(c if c.isalnum() else "_" for c in label.strip().lower())
        return "_".join(p for p in slug.split("_") if p)

    def outcome(self, label: str) -> str | None:
        return self._outcomes_ci.get(label.strip().lower())


def load_mapping(path: Path | str | None, **overrides: Any) -> ImportMapping:
    """Read a YAML (.yml/.yaml) or TOML (.toml) mapping; `overrides` (not None) win over the file."""
    raw: dict[str, Any] = {}
    if path:
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
            raw = tomllib.loads(text) if p.suffix.lower() == ".toml" else (yaml.safe_load(text) or {})
        except (OSError, yaml.YAMLError, tomllib.TOMLDecodeError) as exc:
            raise MappingError(f"{p}: {exc}") from exc
        if not isinstance(raw, dict):
            raise MappingError(f"{p}: expected a mapping at the top level")
    known = set(ImportMapping.__dataclass_fields__)
    unknown = set(raw) - known
    if unknown:
        raise MappingError(f"unknown key(s) {sorted(unknown)}; known: {', '.join(sorted(known))}")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    return ImportMapping(**raw)
