"""The `teamflow` command: one entry point that composes schemas, projections, streams and dashboards."""
from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from datetime import datetime, timedelta, timezone

from .settings import Settings, load, reveal


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )
    if not verbose:  # the Kafka client narrates every connection at INFO
        for noisy in ("kafka", "aiokafka"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from .supervisor import Supervisor

    demo_args = ["--rate", str(args.rate), "--backlog", str(args.backlog), "--seed", str(args.seed)]
    return Supervisor(settings, demo=not args.no_demo, demo_args=demo_args).run()


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    from .assembly import run_worker

    run_worker(settings, with_dashboards=args.with_dashboards)
    return 0


def cmd_dashboards(args: argparse.Namespace, settings: Settings) -> int:
    from .assembly import serve_dashboards

    serve_dashboards(settings)
    return 0


def _progress_printer(label: str):
    last = [0.0]

    def show(done: int, total: int, elapsed: float) -> None:
        if elapsed - last[0] < 1.0 and done < total:
            return
        last[0] = elapsed
        pct = 100.0 * done / total if total else 100.0
        rate = done / elapsed if elapsed else 0.0
        print(f"\r{label}: {done:,}/{total:,} records ({pct:5.1f}%), {rate:,.0f}/s", end="", file=sys.stderr, flush=True)
        if done >= total:
            print(file=sys.stderr)

    return show


def cmd_replay(args: argparse.Namespace, settings: Settings) -> int:
    from streams.erasures import load_erasures, load_secret
    from streams.replay import DEFAULT_PROCESSES, replay

    from .assembly import open_configured_store

    erasures = load_erasures(settings.bootstrap_servers, settings.erasures_topic,
                             load_secret(settings.data_dir, reveal(settings.erasure_secret)))
    store = open_configured_store(settings)
    try:
        report = replay(store, settings.bootstrap_servers, settings.events_topic, projections=args.projection,
                        progress=_progress_printer("replay"), erasures=erasures,
                        processes=DEFAULT_PROCESSES if getattr(args, "processes", None) is None else args.processes)
    finally:
        store.close()
    if erasures:
        print(f"{len(erasures)} erased people stay anonymous in the rebuilt tables")
    print(f"replayed {report.events:,} events ({report.rejected:,} refused, already dead-lettered) "
          f"into {len(report.tables)} tables in {report.seconds:.1f}s ({report.rate:,.0f} events/s)")
    return 0


def cmd_metrics(args: argparse.Namespace, settings: Settings) -> int:
    """Ask the process that owns the store (dashboards.local_api); when none answers, open the store."""
    import json

    from dashboards import local_api
    from projections.metrics import parse_period

    from .metrics_report import render

    try:
        parse_period(args.period)
    except ValueError as exc:
        print(f"teamflow metrics: {exc}", file=sys.stderr)
        return 2
    try:
        answer = local_api.ask_metrics(settings.data_dir, args.period, args.team)
    except local_api.Refused as exc:
        print(f"teamflow metrics: {exc}", file=sys.stderr)
        return 1
    except local_api.NotServing as exc:
        logging.getLogger("teamflow").debug("no running process answered (%s): opening the store", exc)
        answer = _metrics_from_store(args, settings)
        if isinstance(answer, int):
            return answer
    results = [answer] if args.team else answer
    if args.json:
        print(json.dumps(results[0] if args.team else results, indent=2, default=str))
    else:
        print("\n\n".join(render(r) for r in results))
    return 0


def _metrics_from_store(args: argparse.Namespace, settings: Settings):
    """The metrics computed here (nobody else holds the store): the answer, or an exit code."""
    from dashboards.local_api import metrics_answer
    from projections.store import StoreError

    from .assembly import open_configured_store

    try:
        store = open_configured_store(settings)
    except StoreError as exc:
        print(f"teamflow metrics: {exc}", file=sys.stderr)
        return 1
    try:
        status, body = metrics_answer(store, args.period, args.team)
    finally:
        store.close()
    if status != 200:
        print(f"teamflow metrics: {body['error']}", file=sys.stderr)
        return 1
    return json.loads(json.dumps(body, default=str))


def cmd_erase(args: argparse.Namespace, settings: Settings) -> int:
    from streams.erasures import has_legacy, load_secret, migrate_legacy, record_erasure

    secret = load_secret(settings.data_dir, reveal(settings.erasure_secret))
    _token, new = record_erasure(settings.bootstrap_servers, settings.erasures_topic, args.person, secret)
    if has_legacy(settings.bootstrap_servers, settings.erasures_topic):
        print(f"rewrote {migrate_legacy(settings.bootstrap_servers, settings.erasures_topic, secret)} erasure "
              "record(s) of the earlier format (clear ids) into keyed hashes")
    # the token is not printed: next to the id it would be the re-identification key the list avoids
    print(f"the person {'is now recorded' if new else 'was already recorded'} for erasure; "
          "the worker anonymises new events within 30 s.")
    from streams.log_scrub import find_names, rewrite_topic, scrub_dead_letters
    from streams.scrubber import Scrubber

    names = find_names(settings.bootstrap_servers, settings.events_topic, args.person)
    scrubber = Scrubber({args.person: _token}, names)
    for topic in (settings.events_topic, settings.dead_letter_topic):
        report = rewrite_topic(settings.bootstrap_servers, topic, scrubber.record)
        print(f"{topic}: {report.partitions} partition(s) rewritten, {report.changed:,} of {report.copied:,} "
              f"records copied without the person ({report.seconds:.1f}s)")
    if args.no_replay:
        print("Run `teamflow erase` again without --no-replay (with embedded chDB: while the worker is stopped) "
              "to remove them from the dead letters and the stored history.")
        return 0
    from .assembly import open_configured_store

    store = open_configured_store(settings)
    try:
        print(f"dead_letters: {scrub_dead_letters(store, scrubber)} row(s) scrubbed")
    finally:
        store.close()
    return cmd_replay(argparse.Namespace(projection=None), settings)


def cmd_broker(args: argparse.Namespace, settings: Settings) -> int:
    from .broker import broker

    return broker(args.action, settings, check=False)


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Produce simulated events: a backlog at full speed, then a live trickle."""
    from streams.producer import make_producer, send_all, send_chunked
    from streams.simulator import simulate

    log = logging.getLogger("teamflow.demo")
    start = datetime.now(timezone.utc) - timedelta(days=270)  # the trickle arrives near 'now'
    events = simulate(args.seed, args.backlog + args.count, start=start)
    producer = make_producer(settings.bootstrap_servers)
    sent = 0
    try:
        if args.backlog:
            sent = send_chunked(producer, settings.events_topic, events, args.backlog, chunk=2000,
                                progress=lambda n: log.info("backlog: %d/%d events produced", n, args.backlog))
        log.info("trickling events at %.1f/s to %s (Ctrl-C stops)", args.rate, settings.events_topic)
        pause = 1.0 / args.rate if args.rate > 0 else 0
        for key, value in events:
            send_all(producer, settings.events_topic, [(key, value)])
            sent += 1
            if sent % 100 == 0:
                log.info("%d events produced", sent)
            time.sleep(pause)
    except KeyboardInterrupt:
        pass
    finally:
        producer.close(timeout=5)
        log.info("demo producer stopped after %d events", sent)
    return 0


def cmd_simulate(args: argparse.Namespace, settings: Settings) -> int:
    """Write a seeded simulated organisation's events to a file (NDJSON) or produce them to the topic."""
    from streams.simulator import simulate

    start = datetime.fromisoformat(args.start).replace(tzinfo=timezone.utc) if args.start else \
        datetime.now(timezone.utc) - timedelta(days=args.days)
    events = simulate(args.seed, args.events, start=start, teams=args.teams, days=args.days)
    show = _progress_printer("simulate")
    started = time.monotonic()
    if args.out:
        with (sys.stdout.buffer if args.out == "-" else open(args.out, "wb")) as out:
            for i, (_key, value) in enumerate(events, 1):
                out.write(value + b"\n")
                if i % 10_000 == 0 or i == args.events:
                    show(i, args.events, time.monotonic() - started)
        return 0
    from streams.producer import make_producer, send_chunked
    from streams.topics import ensure_topics

    ensure_topics(settings.bootstrap_servers, [settings.events_topic, settings.dead_letter_topic],
                  settings.topic_partitions)
    producer = make_producer(settings.bootstrap_servers, linger_ms=20, batch_size=512 * 1024)
    sent = send_chunked(producer, settings.events_topic, events, args.events,
                        progress=lambda n: show(n, args.events, time.monotonic() - started))
    producer.close()
    print(f"produced {sent:,} events (seed {args.seed}) to {settings.events_topic}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="teamflow",
        description="Teamflow: how sales teams work together, from CloudEvents through Kafka to ClickHouse and Dash. "
        "Settings come from TEAMFLOW_* environment variables (see README).",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser("up", help="start everything locally: broker, worker, dashboards, demo events")
    up.add_argument("--no-demo", action="store_true", help="do not produce demo events")
    up.add_argument("--rate", type=float, default=5.0, help="demo events per second after the backlog (default 5)")
    up.add_argument("--backlog", type=int, default=20_000, help="simulated history produced first (default 20000)")
    up.add_argument("--seed", type=int, default=7, help="simulator seed (default 7)")
    up.set_defaults(func=cmd_up)

    w = sub.add_parser("worker", help="run the stream worker (Faust) that folds events into ClickHouse",
                       description="Reads the events topic in batches, dead-letters refused events, writes the raw "
                       "events and every projection, and commits a batch's offsets only after it is written. "
                       "Decoding and projecting run in TEAMFLOW_PREPARE_PROCESSES spawned processes (default 1; "
                       "0 = in this process); if one dies the worker exits with an error. Batch size: "
                       "TEAMFLOW_BATCH_SIZE (see README, Settings).")
    w.add_argument("--with-dashboards", action="store_true",
                   help="serve the dashboards from this process too (needed with embedded chDB)")
    w.set_defaults(func=cmd_worker)

    ds = sub.add_parser("dashboards", help="serve the dashboards alone (with a ClickHouse server configured)")
    ds.set_defaults(func=cmd_dashboards)

    r = sub.add_parser("replay", help="rebuild projections from the Kafka log into fresh tables, then swap them in",
                       description="Reads the events topic from the beginning, rebuilds the raw event store and "
                       "every projection (or the ones named with --projection) into fresh tables and swaps them in "
                       "atomically. With embedded chDB, stop the worker first (one process per data directory).")
    r.add_argument("--projection", action="append", metavar="NAME",
                   help="rebuild only this projection (repeatable); 'events' is the raw store")
    r.add_argument("--processes", type=int, default=None, metavar="N",
                   help="processes that each read a span of the log and decode and project it while this one "
                   "writes (default 2; 0 = all in this process)")
    r.set_defaults(func=cmd_replay)

    m = sub.add_parser("metrics", help="print every team metric of a period with its sample size",
                       description="Prints the team metrics of a period (the same queries the dashboards use). "
                       "Periods: 2026-Q1, 2026-03, 2026-W09 or 2026-03-05. While the worker (or `teamflow dashboards`) "
                       "runs, it asks that process (it owns the store: with chDB one process per data directory); "
                       "otherwise it opens the store itself.")
    m.add_argument("--team", help="one team (default: every team)")
    m.add_argument("--period", required=True, help="2026-Q1 | 2026-03 | 2026-W09 | 2026-03-05")
    m.add_argument("--json", action="store_true", help="machine-readable output")
    m.set_defaults(func=cmd_metrics)

    e = sub.add_parser("erase", help="forget a person: anonymise their identity everywhere, keep team history",
                       description="Records the person in the erasures topic under a keyed hash (the worker applies it to "
                       "new events), rewrites the events and dead-letter topics without their id and name, scrubs "
                       "the dead_letters table and rebuilds every table from the log with their id replaced by an "
                       "erasure token, so team-level figures keep their history. With embedded chDB, stop "
                       "the worker first (or use --no-replay and replay later).")
    e.add_argument("--person", required=True, help="the person_id to forget")
    e.add_argument("--no-replay", action="store_true", help="only record the erasure; rebuild later")
    e.set_defaults(func=cmd_erase)

    b = sub.add_parser("broker", help="the local single-node Kafka broker (infra/kafka/broker.sh)")
    b.add_argument("action", choices=["fetch", "start", "stop", "status"])
    b.set_defaults(func=cmd_broker)

    sm = sub.add_parser("simulate", help="a seeded simulated organisation's events, to the topic or a file",
                        description="Simulates several teams with different habits (generous helpers, takers, "
                        "people who share failures and people who hide them), deals with full lifecycles and "
                        "buyers who do or do not commit. The same seed gives the same events, byte for byte.")
    sm.add_argument("--seed", type=int, default=7, help="default 7")
    sm.add_argument("--events", type=int, default=100_000, help="how many events (default 100000)")
    sm.add_argument("--teams", type=int, default=4, help="default 4")
    sm.add_argument("--days", type=int, default=270, help="days of history the events span (default 270)")
    sm.add_argument("--start", help="first day, YYYY-MM-DD (default: --days before today)")
    sm.add_argument("--out", metavar="FILE", help="write NDJSON CloudEvents here ('-' = stdout) instead of producing")
    sm.set_defaults(func=cmd_simulate)

    d = sub.add_parser("demo", help="produce simulated events: a backlog, then a live trickle")
    d.add_argument("--rate", type=float, default=5.0, help="events per second after the backlog (default 5)")
    d.add_argument("--backlog", type=int, default=20_000, help="events produced at full speed first (default 20000)")
    d.add_argument("--count", type=int, default=50_000, help="events to trickle after the backlog (default 50000)")
    d.add_argument("--seed", type=int, default=7, help="simulator seed (default 7)")
    d.set_defaults(func=cmd_demo)
    from . import ingest_commands, users_commands

    ingest_commands.register(sub)
    users_commands.register(sub)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _setup_logging(args.verbose)
    settings = load()
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())
