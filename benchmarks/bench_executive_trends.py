"""Executive page compute: the quarter-vs-previous figures and the 8-quarter culture trends.

    python benchmarks/bench_executive_trends.py [--events 200000] [--teams 8] [--days 730] [--store-dir DIR]

Builds a chDB store of simulated events spread over --days (two years by default, so that eight
quarters hold data), then times, with every cache emptied, what the read model's refresher runs
for the executive page: `executive.fetch` (every team, the last eight quarters, which also hold
the quarter table's two). Figures go to docs/dashboards.md by hand.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--teams", type=int, default=8)
    ap.add_argument("--days", type=int, default=730)
    ap.add_argument("--store-dir")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args(argv)

    from dashboards import read_model
    from dashboards.components import period_options
    from dashboards.pages import executive
    from projections.metrics import views
    from bench_dashboards import simulated_store

    with tempfile.TemporaryDirectory() as tmp:
        store = simulated_store(Path(args.store_dir) if args.store_dir else Path(tmp), args.events, args.teams,
                                args.days)
        quarter = period_options(views.data_span(store), "quarter")[0]
        print(f"{args.events:,} events, quarter {quarter} (ms, caches emptied before each run)")
        cases = {"executive.fetch (every team, 8 quarters)": lambda: executive.fetch(store, quarter)}
        for name, fn in cases.items():
            for _ in range(args.runs):
                read_model.clear()
                t = time.perf_counter()
                fn()
                print(f"| {name} | {(time.perf_counter() - t) * 1000:,.0f} |")
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
