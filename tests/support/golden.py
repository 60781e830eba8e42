"""The golden check of the write path: one fixed history folded by the real worker, digested.

`fold_history` sends one fixed simulated history (plus duplicates, late events and invalid events)
to a real broker and lets a real worker process fold it into chDB. `digest` turns what was stored
and what the metric modules compute from it into canonical text, one sha256 per table and per
figure group, so a test can compare the whole result with a fixture recorded before a refactor
(tests/fixtures/golden_write_path.json). `python -m support.golden --record` (from tests/) rewrites it.
"""
from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "golden_write_path.json"

SEED = 20260
N_EVENTS = 24_000
START = datetime(2025, 7, 1, tzinfo=timezone.utc)
PERIODS = ["2025-Q4", "2026-Q1", "2025-11", "2026-W05"]
BAD = [
    b"{not json",
    b'{"specversion":"1.0","id":"g1","source":"s","type":"teamflow.help.given",'
    b'"time":"2025-08-01T10:00:00Z","data":{"help_id":"h","helper":"a","recipient":"b","kind":"advice",'
    b'"minutes":"ten"}}',
    b'{"specversion":"1.0","id":"g2","source":"s","type":"teamflow.no.such","time":"2025-08-01T10:00:00Z",'
    b'"data":{}}',
]
"""Invalid input the fold must dead-letter (what their codes are is part of the digest)."""

NOT_STORED_COLUMNS = {"events": {"_ingested_at"}, "dead_letters": {"received_at"}}
"""Columns that hold the wall clock of the fold, not the history: left out of the digest."""


def history() -> list[tuple[str, bytes]]:
    """The records sent, in order: the history with a late slice held back to the end, a duplicated
    slice (a producer retrying), and the invalid events."""
    from streams.simulator import simulate

    raw = list(simulate(SEED, N_EVENTS, start=START))
    late = raw[6_000:6_500]  # early events that arrive after everything else
    sent = raw[:6_000] + raw[6_500:]
    sent += raw[10_000:11_000]  # duplicates
    sent += late
    sent += [("bad", b) for b in BAD]
    return sent


def fold_history(bootstrap_servers: str, work: Path, records: list[tuple[str, bytes]] | None = None) -> Path:
    """Fold the history with a real worker process; returns its chDB data dir once all is stored."""
    from streams.producer import make_producer, send_all
    from streams.topics import ensure_topics
    from support.processes import WorkerProcess

    records = history() if records is None else records
    worker = WorkerProcess(bootstrap_servers, work / "worker")
    ensure_topics(bootstrap_servers, [worker.events_topic, worker.dead_letter_topic], 4)
    producer = make_producer(bootstrap_servers, linger_ms=20, batch_size=512 * 1024)
    send_all(producer, worker.events_topic, records)
    producer.close()
    worker.start()
    worker.wait_for(lambda s: s["events"] >= N_EVENTS and s["dead_letters"] >= len(BAD), timeout=600,
                    what="the whole golden history")
    assert worker.stop() == 0, worker.log_tail()
    return worker.data_dir / "clickhouse"


def canonical(value: Any) -> Any:
    """A JSON-ready value that prints the same for the same content (floats to 12 significant
    digits, times in ISO form, frames as sorted row lists)."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        rows = [canonical(r) for r in value.to_dict(orient="records")]
        return {"columns": list(map(str, value.columns)),
                "rows": sorted(rows, key=lambda r: json.dumps(r, sort_keys=True))}
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, float):
        return None if math.isnan(value) else float(f"{value:.12g}")
    if value is pd.NaT or value is None:
        return None
    if isinstance(value, (pd.Timestamp, datetime, date)):
        return value.isoformat()
    return value


def _sha(value: Any) -> str:
    return hashlib.sha256(json.dumps(canonical(value), sort_keys=True).encode()).hexdigest()


def table_digests(store) -> dict[str, dict[str, Any]]:
    """Every stored table (FINAL), all rows sorted, as row count and sha256 of canonical text."""
    from projections import ddl
    from projections.project import ALL_TABLES

    out = {}
    for table in [ddl.EVENTS, ddl.DEAD_LETTERS, *ALL_TABLES]:
        cols = [c for c in table.column_names if c not in NOT_STORED_COLUMNS.get(table.name, ())]
        df = store.query_df(f"SELECT {', '.join(cols)} FROM {table.name} FINAL")
        out[table.name] = {"rows": len(df), "sha256": _sha(df)}
    return out


def figure_digests(store) -> dict[str, str]:
    """What the metric modules compute from the store: team metrics, person metrics, page views."""
    from projections import metrics
    from projections.metrics import views

    teams = metrics.teams(store)
    out: dict[str, str] = {"teams": _sha(teams)}
    for team in teams:
        for period in PERIODS:
            out[f"team_metrics/{team}/{period}"] = _sha(metrics.team_metrics(store, team, period))
        period = PERIODS[0]
        for name in ("team_roster", "team_help", "help_edges", "help_balance", "knowledge_by_kind",
                     "failed_deal_reviews", "recent_lessons", "open_deals", "withdrawn_proposals",
                     "collaborator_roles"):
            out[f"views.{name}/{team}/{period}"] = _sha(getattr(views, name)(store, team, period))
        people = sorted(views.team_roster(store, team, period).get("person", []))
        out[f"views.display_names/{team}"] = _sha(views.display_names(store, list(people)))
        for person in people[:3]:
            out[f"person_metrics/{person}/{period}"] = _sha(metrics.person_metrics(store, person, period))
    out["views.data_span"] = _sha(views.data_span(store))
    return out


def digest(data_dir: Path) -> dict[str, Any]:
    from projections.store import open_store

    store = open_store(url=None, data_dir=str(data_dir), database="teamflow")
    try:
        return {"tables": table_digests(store), "figures": figure_digests(store)}
    finally:
        store.close()


def differences(got: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """The names of the tables and figures whose digest differs (empty: identical)."""
    out = []
    for part in ("tables", "figures"):
        for name in sorted(set(got[part]) | set(want[part])):
            if got[part].get(name) != want[part].get(name):
                out.append(f"{part}/{name}: {got[part].get(name)} != {want[part].get(name)}")
    return out


def main() -> None:
    import argparse
    import tempfile

    from support.services import start_broker

    p = argparse.ArgumentParser(description="fold the golden history and print (or --record) its digest")
    p.add_argument("--record", action="store_true", help=f"write {FIXTURE.name}")
    args = p.parse_args()
    work = Path(tempfile.mkdtemp(prefix="teamflow-golden-"))
    broker = start_broker(work / "kafka")
    try:
        result = digest(fold_history(broker.bootstrap_servers, work))
    finally:
        if broker.stop:
            broker.stop()
    text = json.dumps(result, indent=1, sort_keys=True) + "\n"
    if args.record:
        FIXTURE.write_text(text)
    print(text)


if __name__ == "__main__":
    main()
