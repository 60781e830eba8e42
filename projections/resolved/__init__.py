"""Resolved entity rows: facts with the joins every page makes already made, kept current by the writer.

The projection tables hold each fact as it came (a help act, an acknowledgement, a close, a deal's
change of team). Most figures need them joined: a help act counts once its recipient found it
useful, and for the teams the helper and recipient were in *then*; a closed deal counts for the
team it carried at its *latest* close. Made at read time, those joins read the entity tables whole
(`FINAL` over tables ordered by identity, and the roster and deal history for "team at a time"),
so every snapshot cost grew with the history. Here they are made once per entity, when an event
about it is written, into tables partitioned by month of the entity's time, which a period's
query reads alone:

- `help_acts`: one row per help act (`help_given`), with the helper's and recipient's teams at the
  act's time and the recipient's latest acknowledgement (`acked`, `useful`, `ack_time`);
- `deal_outcomes`: one row per closed deal, with its latest close (outcome, `closed_at`) and the
  team the deal carried then;
- `deal_exchange_teams`: each buyer or seller exchange with the team its deal carried then;
- `withdrawal_teams`: each withdrawn proposal (its latest withdrawal) with the deal's team then;
- `artifacts`: each artifact shared, with its author's team when sharing it;
- `reuse_pairs`: each qualifying (artifact, user) reuse pair (someone other than the author, within
  30 days of sharing, at the user's first such reuse) with the user's team then, filed under the
  artifact's share time.

**How they stay exact.** After the writer has stored a batch's rows (and before its offsets are
committed), `refresh` derives again, from the projection tables and by the same SQL the pages
used to run, the rows of every entity the batch touched: the help acts it gave or acknowledged,
those of a person whose roster changed (from the change on), and the closes, exchanges and
withdrawals of every deal it closed, changed, exchanged on or withdrew a proposal of, and the
artifacts it shared or reused (with their reuse pairs). A
derived row carries a version (a clock, `_version`) so the newest derivation wins, whatever was
derived before; an entity whose time moved (a help act reported again with another time, a deal
closed again later) leaves a tombstone (`_deleted = 1`) under its old key, which `FINAL` drops.
Everything is derived from rows already deduplicated by `FINAL`, so a redelivered batch, a
duplicate event or a late event derives the same rows again: nothing is counted twice, late facts
land in their period. A failed refresh fails the write, which the writer retries whole.

Replay, erasure (which replays) and migration 5 rebuild every resolved table whole (`rebuild`), from the
projection tables they just rebuilt. Cost: a refresh reads the touched entities by key, so it
follows the batch, not the history (docs/benchmarks.md, "Resolved entity rows").
"""
from __future__ import annotations

from .refresh import Touched, create, next_version, rebuild, refresh, touched
from .tables import (ARTIFACTS, DEAL_EXCHANGES, DEAL_OUTCOMES, ENTITY_COLUMNS, HELP_ACTS, REUSE_PAIRS, SPECS, WITHDRAWALS,
                     Spec)

TABLES = tuple(spec.table for spec in SPECS)

__all__ = ["ARTIFACTS", "DEAL_EXCHANGES", "DEAL_OUTCOMES", "ENTITY_COLUMNS", "HELP_ACTS", "REUSE_PAIRS", "SPECS",
           "TABLES", "WITHDRAWALS", "Spec", "Touched", "create", "next_version", "rebuild", "refresh", "touched"]
