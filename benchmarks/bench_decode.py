#!/usr/bin/env python3
"""Decode-and-validate throughput of ``schemas.decode`` on a realistic mix of Teamflow events.

Single-threaded and timed with process CPU time, so the figure is events per second per core
(and is not distorted by other processes sharing the machine). Baselines measured in the same
run on the same bytes: ``json.loads`` (parse only, no validation), untyped ``msgspec.json.decode``,
and ``jsonschema`` Draft 2020-12 validation against the committed schema files (on a sample).

    python benchmarks/bench_decode.py                 # default: 100k events x 5 rounds
    python benchmarks/bench_decode.py --events 20000 --rounds 3 --json
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from anywhere in the repo

import msgspec  # noqa: E402

from schemas import CURRENT_VERSIONS, Event, decode, encode_event  # noqa: E402

EXAMPLES = Path(__file__).resolve().parents[1] / "schemas" / "examples"
JSON_DIR = Path(__file__).resolve().parents[1] / "schemas" / "json"

# Relative frequency per type: lots of exchanges, help and reuse; few reviews and referrals.
MIX = {
    "teamflow.deal.exchange": 18,
    "teamflow.help.given": 12,
    "teamflow.help.acknowledged": 10,
    "teamflow.deal.stage_changed": 8,
    "teamflow.knowledge.reused": 7,
    "teamflow.help.requested": 6,
    "teamflow.recognition.given": 6,
    "teamflow.deal.opened": 4,
    "teamflow.deal.collaborator_added": 4,
    "teamflow.knowledge.shared": 4,
    "teamflow.deal.closed": 3,
    "teamflow.proposal.sent": 3,
    "teamflow.roster.member_joined": 2,
    "teamflow.review.published": 2,
    "teamflow.outcome.criterion_met": 2,
    "teamflow.roster.member_left": 1,
    "teamflow.proposal.withdrawn": 1,
    "teamflow.deal.rediscovery_started": 1,
    "teamflow.outcome.criteria_defined": 1,
    "teamflow.outcome.handoff_completed": 1,
    "teamflow.outcome.criterion_missed": 1,
    "teamflow.referral.made": 1,
}


ID_KEYS = {"person", "helper", "recipient", "requester", "author", "user", "giver", "receiver", "owner",
           "referrer", "from_person", "to_person", "account", "team", "referred_to", "to_provider"}


def _vary(value, rng: random.Random, key: str = ""):
    """Give ids realistic variety (same shape as the examples, different values)."""
    if isinstance(value, str) and (key in ID_KEYS or key.endswith("_id")):
        return f"{value.split('-')[0]}-{rng.randrange(16**6):06x}"
    if isinstance(value, dict):
        return {k: _vary(v, rng, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_vary(v, rng) for v in value]
    return value


def build_events(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    templates = {t: json.loads((EXAMPLES / t / "valid.json").read_text("utf-8"))["data"] for t in MIX}
    v1_referral = json.loads((EXAMPLES / "teamflow.referral.made" / "valid_v1.json").read_text("utf-8"))["data"]
    types = rng.choices(list(MIX), weights=list(MIX.values()), k=n)
    out = []
    for i, type_name in enumerate(types):
        version = None
        data = templates[type_name]
        if type_name == "teamflow.referral.made" and rng.random() < 0.5:
            version, data = 1, v1_referral  # old producers: exercises the upcaster
        offset = rng.choice(["Z", "Z", "Z", "+01:00", "-05:00"])
        when = f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}T{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}{offset}"
        ext = {"traceparent": f"00-{rng.randrange(16**32):032x}-{rng.randrange(16**16):016x}-01"} if rng.random() < 0.05 else None
        out.append(
            encode_event(
                type_name,
                _vary(data, rng),
                source=rng.choice(["//crm/salesforce", "//crm/hubspot", "//teamflow/web", "//teamflow/slack"]),
                id=f"evt-{i:08d}",
                time=when,
                subject=data.get("deal_id") if rng.random() < 0.5 else None,
                version=version,
                extensions=ext,
            )
        )
    return out


def measure(name: str, fn, events: list[bytes], rounds: int, progress: bool) -> dict:
    rates = []
    for r in range(1, rounds + 1):
        start = time.process_time()  # CPU time of this process: per-core rate, robust to other load
        for raw in events:
            fn(raw)
        elapsed = time.process_time() - start
        rates.append(len(events) / elapsed)
        if progress:
            print(f"\r  {name:<28} round {r}/{rounds}: {rates[-1]:>12,.0f} events/s", end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return {"name": name, "best": max(rates), "median": statistics.median(rates), "events": len(events), "rounds": rounds}


def jsonschema_validator():
    from jsonschema import Draft202012Validator, FormatChecker  # optional baseline

    validators = {}
    for type_name, versions in ((t, range(1, v + 1)) for t, v in CURRENT_VERSIONS.items()):
        for v in versions:
            schema = json.loads((JSON_DIR / f"{type_name}.v{v}.json").read_text("utf-8"))
            validators[(type_name, v)] = Draft202012Validator(schema, format_checker=FormatChecker())

    def validate(raw: bytes) -> None:
        doc = json.loads(raw)
        ds = doc.get("dataschema")
        version = int(ds.rsplit("/v", 1)[1]) if ds else 1
        validators[(doc["type"], version)].validate(doc)

    return validate


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000, help="distinct events in the mix (default 100000)")
    parser.add_argument("--rounds", type=int, default=5, help="timed passes over the events; best is reported (default 5)")
    parser.add_argument("--seed", type=int, default=42, help="random seed for the mix (default 42)")
    parser.add_argument("--jsonschema-sample", type=int, default=2_000, help="events validated with jsonschema (0 to skip; it is slow)")
    parser.add_argument("--min-rate", type=float, default=0, help="exit 1 if schemas.decode is below this many events/s")
    parser.add_argument("--json", action="store_true", help="print results as JSON on stdout")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    progress = not args.quiet

    if progress:
        print(f"building {args.events:,} events (seed {args.seed}) ...", file=sys.stderr, flush=True)
    events = build_events(args.events, args.seed)
    decoded = [decode(raw) for raw in events]
    rejected = sum(not isinstance(r, Event) for r in decoded)
    if rejected:
        print(f"error: {rejected} events of the mix were rejected", file=sys.stderr)
        return 2

    results = [
        measure("schemas.decode", decode, events, args.rounds, progress),
        measure("json.loads (no validation)", json.loads, events, args.rounds, progress),
        measure("msgspec.json.decode (untyped)", msgspec.json.decode, events, args.rounds, progress),
    ]
    if args.jsonschema_sample:
        sample = events[: args.jsonschema_sample]
        results.append(measure("json.loads + jsonschema", jsonschema_validator(), sample, 1, progress))

    ours = results[0]["best"]
    report = {
        "machine": {
            "python": platform.python_version(),
            "implementation": platform.python_implementation(),
            "cpu": cpu_model(),
            "cores": os.cpu_count(),
            "msgspec": msgspec.__version__,
        },
        "mix": {"events": len(events), "types": len(MIX), "mean_bytes": round(sum(map(len, events)) / len(events))},
        "results": [{**r, "vs_decode": ours / r["best"]} for r in results],
    }
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        m = report["machine"]
        print(f"machine: {m['cpu']}, {m['cores']} cores, {m['implementation']} {m['python']}, msgspec {m['msgspec']}")
        print(f"mix: {len(events):,} events over {len(MIX)} types, mean {report['mix']['mean_bytes']} bytes; single thread = per core")
        print(f"{'decoder':<32}{'best ev/s':>14}{'median ev/s':>14}{'schemas.decode vs it':>22}")
        for r in report["results"]:
            ratio = "-" if r is report["results"][0] else f"{r['vs_decode']:.2f}x"
            print(f"{r['name']:<32}{r['best']:>14,.0f}{r['median']:>14,.0f}{ratio:>22}")
    if args.min_rate and ours < args.min_rate:
        print(f"FAIL: {ours:,.0f} events/s < {args.min_rate:,.0f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
