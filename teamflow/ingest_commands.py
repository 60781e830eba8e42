"""Commands for the ingestion doors: `ingest-api`, `tokens`, `import`, `dead-letters`.

Their settings are the `ingest` section of `teamflow.settings.Settings` (`streams.ingest.IngestSettings`):
TEAMFLOW_INGEST_HOST, TEAMFLOW_INGEST_PORT (8088), TEAMFLOW_TOKENS_FILE (var/tokens.json),
TEAMFLOW_MAX_BODY_BYTES (16 MiB), TEAMFLOW_INGEST_TIMEOUT_SECONDS (10),
TEAMFLOW_INGEST_RETRY_AFTER_SECONDS (5), TEAMFLOW_DEDUP_CACHE_SIZE (200000).
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger("teamflow.ingest")

_RAW = argparse.RawDescriptionHelpFormatter


# ---------------------------------------------------------------- ingest-api
def cmd_ingest_api(args: argparse.Namespace, settings: "Settings") -> int:
    from streams.ingest.app import serve
    from streams.topics import ensure_topics

    overrides = {k: v for k, v in (("ingest_host", args.host), ("ingest_port", args.port),
                                   ("tokens_file", args.tokens_file)) if v is not None}
    ingest = settings.ingest.model_validate({**settings.ingest.model_dump(), **overrides})
    if not ingest.tokens_file.exists():
        log.warning("no tokens file at %s: every request will get 401; create one with `teamflow tokens create`",
                    ingest.tokens_file)
    ensure_topics(settings.bootstrap_servers, [settings.events_topic, settings.dead_letter_topic],
                  settings.topic_partitions, timeout=args.wait_for_broker)
    serve(settings.bootstrap_servers, settings.events_topic, settings.dead_letter_topic, ingest)
    return 0


# ---------------------------------------------------------------- tokens
def _token_store(args: argparse.Namespace, settings: "Settings"):
    from streams.ingest.tokens import TokenStore

    return TokenStore.load(args.tokens_file or settings.ingest.tokens_file)


def cmd_tokens(args: argparse.Namespace, settings: "Settings") -> int:
    from streams.ingest.tokens import TokenError

    store = _token_store(args, settings)
    try:
        if args.action == "create":
            token = store.create(args.name, args.source)
            print(token)
            print(f"token {args.name!r} for sources {', '.join(args.source)} saved (hashed) in {store.path}; "
                  "it is shown only now, store it in your secret manager", file=sys.stderr)
        elif args.action == "revoke":
            store.revoke(args.name)
            print(f"revoked {args.name!r} (takes effect in a running API within a second)", file=sys.stderr)
        else:
            rows = [{"name": r.name, "sources": r.sources, "created_at": r.created_at, "revoked_at": r.revoked_at,
                     "sha256": r.sha256[:12]} for r in store.records if args.all or r.active]
            if args.json:
                print(json.dumps(rows, indent=2))
            else:
                for r in rows:
                    state = f"revoked {r['revoked_at']}" if r["revoked_at"] else "active"
                    print(f"{r['name']:<24} {state:<34} created {r['created_at']}  sha256 {r['sha256']}…  "
                          f"sources {', '.join(r['sources'])}")
                if not rows:
                    print(f"no tokens in {store.path}", file=sys.stderr)
    except TokenError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


# ---------------------------------------------------------------- import
def cmd_import(args: argparse.Namespace, settings: "Settings") -> int:
    from streams.importers.facts import RowError
    from streams.importers.mapping import MappingError, load_mapping
    from streams.importers.run import ImportFailed, run_import
    from streams.topics import ensure_topics

    try:
        mapping = load_mapping(args.mapping, default_team=args.team, currency=args.currency)
        if args.kind == "csv" and not mapping.columns:
            raise MappingError("the csv importer needs --mapping with a `columns:` section")
        if not args.dry_run:
            ensure_topics(settings.bootstrap_servers, [settings.events_topic, settings.dead_letter_topic],
                          settings.topic_partitions, timeout=30)
        summary = run_import(args.kind, args.file, mapping, bootstrap_servers=settings.bootstrap_servers,
                             events_topic=settings.events_topic, dead_letter_topic=settings.dead_letter_topic,
                             source=args.source, dry_run=args.dry_run, rejects_path=args.rejects,
                             progress=not args.no_progress)
    except (MappingError, ImportFailed, RowError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(summary.render())
    return 1 if summary.rows_rejected and args.strict else 0


# ---------------------------------------------------------------- dead letters
def _filters(args: argparse.Namespace):
    from streams.ingest.dead_letter_log import Filters

    return Filters(source=args.source, reason=args.reason, door=args.door, code=args.code)


def cmd_dead_letters(args: argparse.Namespace, settings: "Settings") -> int:
    from streams.ingest.dead_letter_log import collect, read_topic

    letters = collect(read_topic(settings.bootstrap_servers, settings.dead_letter_topic), _filters(args))
    if args.action == "list":
        shown = letters[-args.limit:] if args.limit else letters
        if args.json:
            for letter in shown:
                print(json.dumps(letter.as_dict(), ensure_ascii=False))
        else:
            for letter in shown:
                d = letter.as_dict()
                print(f"{(d['last_seen'] or '')[:19]}  {d['door']:<6} {d['code']:<16} x{d['count']:<3} "
                      f"{d['source'] or '-'} {d['id'] or '-'}\n    {d['reason']}\n    raw: {d['raw'][:160]}")
            print(f"{len(letters)} dead letter(s) in {settings.dead_letter_topic}"
                  + (f", last {len(shown)} shown" if len(shown) < len(letters) else ""), file=sys.stderr)
        return 0

    from streams.ingest.resubmit import resubmit

    result = resubmit(letters, bootstrap_servers=settings.bootstrap_servers, events_topic=settings.events_topic,
                      tokens_file=settings.ingest.tokens_file, force=args.force, dry_run=args.dry_run)
    plan, records = result.plan, result.records
    verb = "would resubmit" if args.dry_run else "resubmitted"
    print(f"{verb} {len(records)} event(s) to {settings.events_topic} "
          f"({len(plan.valid)} now valid"
          f"{', plus still-invalid ones (--force)' if args.force else ''})")
    if plan.still_invalid:
        print(f"{len(plan.still_invalid)} still refused by the contract"
              + ("" if args.force else " (left alone; --force sends them anyway)") + ":")
        for reason, n in plan.reasons.most_common(10):
            print(f"  {n} x {reason}")
    if result.out_of_scope:
        print(f"{len(result.out_of_scope)} held back: beyond a token's scope:")
        for reason, n in result.scope_reasons.most_common(10):
            print(f"  {n} x {reason}")
    if plan.not_events:
        print(f"{len(plan.not_events)} import reject(s) skipped: they are CSV rows, not events; "
              "fix the mapping and re-import the file")
    return 0


# ---------------------------------------------------------------- parser
def _add_filters(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", metavar="S", help="only this CloudEvent source (exact, or a glob such as '//crm/*')")
    p.add_argument("--reason", metavar="TEXT", help="only reasons containing TEXT (case-insensitive)")
    p.add_argument("--door", choices=["api", "import", "kafka"], help="only what this door refused")
    p.add_argument("--code", metavar="CODE", help="only this rejection code (e.g. invalid_data, invalid_row)")


def register(sub: argparse._SubParsersAction) -> None:
    """Add this module's subcommands to the `teamflow` parser."""
    api = sub.add_parser(
        "ingest-api", help="serve the HTTP ingest API (CloudEvents over HTTP -> Kafka)", formatter_class=_RAW,
        description="POST /events accepts CloudEvents in structured (application/cloudevents+json), batch "
        "(application/cloudevents-batch+json), binary (ce-* headers) and NDJSON (application/x-ndjson) modes, "
        "validates them, and answers after Kafka acknowledged them. GET /healthz, GET /openapi.json.\n"
        "Settings: TEAMFLOW_INGEST_HOST/PORT (127.0.0.1:8088), TEAMFLOW_TOKENS_FILE (var/tokens.json), "
        "TEAMFLOW_MAX_BODY_BYTES, TEAMFLOW_INGEST_TIMEOUT_SECONDS, plus the Kafka settings.")
    api.add_argument("--host", help="listen address (default TEAMFLOW_INGEST_HOST or 127.0.0.1)")
    api.add_argument("--port", type=int, help="listen port (default TEAMFLOW_INGEST_PORT or 8088)")
    api.add_argument("--tokens-file", help="tokens file (default TEAMFLOW_TOKENS_FILE or var/tokens.json)")
    api.add_argument("--wait-for-broker", type=float, default=60.0, metavar="SECONDS",
                     help="how long to wait for Kafka at start to create the topics (default 60)")
    api.set_defaults(func=cmd_ingest_api)

    tok = sub.add_parser("tokens", help="create, list and revoke ingest API tokens (one per source system)",
                         description="Tokens are stored as SHA-256 hashes; the plain token is printed once, on "
                         "create. A token may write only events whose source it owns: exact match, or a prefix "
                         "when the pattern ends with '*' (e.g. //crm/salesforce/*).")
    tok.add_argument("--tokens-file", help="tokens file (default TEAMFLOW_TOKENS_FILE or var/tokens.json)")
    tsub = tok.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = tsub.add_parser("create", help="create a token and print it (once)")
    c.add_argument("name", help="who uses the token, e.g. salesforce-sync")
    c.add_argument("--source", action="append", required=True, metavar="S",
                   help="a source the token may write (repeatable); a trailing * makes it a prefix")
    ls = tsub.add_parser("list", help="list tokens (names, sources, dates; never the tokens)")
    ls.add_argument("--all", action="store_true", help="include revoked tokens")
    ls.add_argument("--json", action="store_true", help="JSON output")
    rv = tsub.add_parser("revoke", help="revoke the active token with this name")
    rv.add_argument("name")
    tok.set_defaults(func=cmd_tokens)

    from streams.importers.formats import FORMATS

    imp = sub.add_parser(
        "import", help="import a CRM export (CSV) as deal events", formatter_class=_RAW,
        description="Reads a CRM export and produces deal.opened / deal.stage_changed / deal.closed events with "
        "ids derived from the rows, so importing the same file twice adds nothing. Rows that cannot be imported "
        "go to a rejects CSV and to the dead-letter topic (door 'import'). Kinds:\n"
        + "\n".join(f"  {k:<20} {f.description}" for k, f in FORMATS.items())
        + "\nA report export without the Opportunity ID column: a deal is its account, name and created date; rows "
        "these cannot tell apart are refused (add the column). The same deal from a report and a Data Loader export "
        "is matched (a compacted Kafka topic EVENTS_TOPIC.import-identities remembers every imported deal) and "
        "stored once. Report footers are counted as footers."
        "\nTeams come from the mapping file's owners (owner -> team), else --team / default_team; "
        "see docs/ops-guide.md for the mapping file.")
    imp.add_argument("kind", choices=list(FORMATS), help="the export's format")
    imp.add_argument("file", help="the CSV file")
    imp.add_argument("--mapping", metavar="F", help="mapping file (YAML or TOML): owners, stages, columns, ...")
    imp.add_argument("--source", metavar="S", help="CloudEvent source (default: //crm/salesforce, //crm/hubspot, "
                     "or the mapping's source)")
    imp.add_argument("--team", metavar="T", help="team for owners not in the mapping (default: reject such rows)")
    imp.add_argument("--currency", metavar="CODE", help="currency when a row has none (default: mapping or USD)")
    imp.add_argument("--dry-run", action="store_true", help="parse, map and validate; produce nothing")
    imp.add_argument("--rejects", metavar="PATH", help="rejects CSV (default FILE.rejects.csv)")
    imp.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    imp.add_argument("--strict", action="store_true", help="exit 1 when any row was rejected")
    imp.set_defaults(func=cmd_import)

    dl = sub.add_parser("dead-letters", help="list or resubmit dead letters (read from the dead-letter topic)",
                        description="Reads the dead-letter Kafka topic (the source of truth; the dead_letters table "
                        "is its projection, and with embedded chDB only the worker may open it).")
    dsub = dl.add_subparsers(dest="action", required=True, metavar="ACTION")
    dls = dsub.add_parser("list", help="show dead letters, grouped by fingerprint, oldest first")
    _add_filters(dls)
    dls.add_argument("--json", action="store_true", help="one JSON object per line (with the raw payload)")
    dls.add_argument("--limit", type=int, default=0, metavar="N", help="only the last N")
    dlr = dsub.add_parser(
        "resubmit", help="re-produce matching dead letters to the events topic",
        description="Validates each payload against the current contract and re-produces the valid ones, "
        "unchanged, to the events topic (same source and id: idempotent). Still-invalid ones are reported "
        "(--force sends them anyway; the worker dead-letters them again). Import rejects are skipped.")
    _add_filters(dlr)
    dlr.add_argument("--dry-run", action="store_true", help="say what would be resubmitted")
    dlr.add_argument("--force", action="store_true", help="also send payloads the contract still refuses")
    dl.set_defaults(func=cmd_dead_letters)
