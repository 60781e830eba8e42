"""What a page's queries read: rows, bytes and time of every query of Team live (or Deals, My view).

    python benchmarks/bench_reads.py --store-dir DIR [--events N --teams 8] [--page team_live] [--repeat 3]

Uses a store built by `bench_dashboards.py --store-dir DIR --build-only` (same --events/--teams),
migrates it unless --no-migrate (so a store built before a migration is brought up to date, which is
what an existing installation gets; --no-migrate on a copy measures the tables as they were), records every query the page's compute runs, then runs each one again alone
with the engine's read statistics (rows and bytes read, elapsed). Prints one row per query, the
totals, and the page compute p50 over --repeat cold runs. Figures go to docs/benchmarks.md by hand.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]


def _label(sql: str) -> str:
    """A short name for a query: the tables it reads, in order of appearance."""
    import re

    names = re.findall(r"FROM\s+([a-z_]+)", sql)
    seen: list[str] = []
    for n in names:
        if n not in seen:
            seen.append(n)
    return "+".join(seen)[:70]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store-dir", required=True)
    ap.add_argument("--page", default="team_live", choices=("team_live", "deals", "my_view"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-migrate", action="store_true",
                    help="leave the store's tables as they are (measure a store built by an earlier version)")
    args = ap.parse_args(argv)

    from dashboards import read_model
    from dashboards.components import period_options, periods_between
    from dashboards.pages import deals, my_view, team_live
    from projections.metrics import teams, views
    from projections.migrations import migrate
    from projections.store import open_store
    from projections.store.embedded import _literal

    store = open_store(url=None, data_dir=args.store_dir, database="bench")
    t = time.perf_counter()
    applied = [] if args.no_migrate else migrate(store)
    if applied:
        print(f"migrations applied now: {applied} ({time.perf_counter() - t:.1f} s)")
    events = int(store.query_scalar("SELECT count() FROM events"))
    team = teams(store)[0]
    quarter = period_options(views.data_span(store), "quarter")[1]
    person = views.team_roster(store, team, quarter)["person"].iloc[0]
    last = views.data_span(store)[1].date()
    months = periods_between(last - __import__("datetime").timedelta(days=180), last, "month")
    compute = {
        "team_live": lambda: team_live._fetch(store, team, quarter),
        "deals": lambda: deals._fetch(store, team, quarter),
        "my_view": lambda: my_view._fetch(store, person, months),
    }[args.page]

    recorded: list[tuple[str, dict | None]] = []
    run = store._run

    def recording(sql, params, fmt, **kw):
        if kw.get("qualify", True) and sql.lstrip().upper().startswith(("SELECT", "WITH")) or "SELECT" in sql[:40]:
            recorded.append((sql, params))
        return run(sql, params, fmt, **kw)

    store._run = recording
    runs = []
    for i in range(args.repeat):
        read_model.clear()
        if i:
            recorded.clear()
        t = time.perf_counter()
        compute()
        runs.append((time.perf_counter() - t) * 1000)
    store._run = run

    print(f"\n{events:,} events, page {args.page}, team {team}, period {quarter}; compute p50 "
          f"{statistics.median(runs):,.0f} ms (runs: {', '.join(f'{r:,.0f}' for r in runs)})")
    print("| query (tables) | rows read | MB read | ms |\n|---|---|---|---|")
    total_rows = total_bytes = 0
    for sql, params in recorded:
        bound = {k: _literal(v) for k, v in params.items()} if params else None
        store._use_database()
        stats = json.loads(str(store._session.query(sql, "JSON", params=bound)))["statistics"]
        rows, nbytes, ms = stats["rows_read"], stats["bytes_read"], stats["elapsed"] * 1000
        total_rows += rows
        total_bytes += nbytes
        print(f"| {_label(sql)} | {rows:,} | {nbytes / 1e6:,.1f} | {ms:,.0f} |")
    print(f"| total ({len(recorded)} queries) | {total_rows:,} | {total_bytes / 1e6:,.1f} | |")
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
