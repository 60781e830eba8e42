"""Team live for every team in one pass against one team at a time: compute time of the page data.

    python benchmarks/bench_team_live_all.py [--events 200000] [--teams 8] [--repeat 3] [--store-dir DIR]

Builds (or reuses, with --store-dir) the store bench_dashboards.py builds, then times with every
cache emptied: the all-teams snapshot Team live keeps per period (`team_live._fetch_all`), one team's
page data the one-team way (`team_live._fetch`), and the sum of `_fetch` over every team (what the
read model computed before for that many watched pages). Figures go to docs/dashboards.md by hand.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests")]


def _ms(fn) -> float:
    from dashboards import read_model

    read_model.clear()
    t = time.perf_counter()
    fn()
    return (time.perf_counter() - t) * 1000


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--events", type=int, default=200_000)
    ap.add_argument("--teams", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--store-dir", help="keep the built store here and reuse it on later runs")
    args = ap.parse_args(argv)

    from bench_dashboards import simulated_store

    from dashboards.components import period_options
    from dashboards.pages import team_live
    from projections.metrics import teams, views

    with tempfile.TemporaryDirectory() as tmp:
        store = simulated_store(Path(args.store_dir or tmp), args.events, args.teams)
        names = teams(store)
        span = views.data_span(store)
        periods = [period_options(span, "quarter")[1], period_options(span, "month")[1]]
        print(f"{args.events:,} events, {len(names)} teams (ms, p50 of {args.repeat} cold runs)")
        print("| period | all teams, one pass | one team, _fetch | sum of _fetch over the teams | ratio sum / all |")
        print("|---|---|---|---|---|")
        for period in periods:
            every = [_ms(lambda: team_live._fetch_all(store, period)) for _ in range(args.repeat)]
            one = [_ms(lambda: team_live._fetch(store, names[0], period)) for _ in range(args.repeat)]
            total = [sum(_ms(lambda t=t: team_live._fetch(store, t, period)) for t in names)
                     for _ in range(args.repeat)]
            a, o, s = (statistics.median(x) for x in (every, one, total))
            print(f"| {period} | {a:,.0f} | {o:,.0f} | {s:,.0f} | {s / a:.1f} |", flush=True)
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
