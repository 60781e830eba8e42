"""Recognition mix: what the team recognises, with a per-pair cap against gaming.

Recognitions given by team members (team at the time) in the period, self-recognition
excluded; from one giver to the same receiver only the first `RECOGNITION_CAP` of the period
count (by event time, then event identity), whatever teams they are in.
"""
from __future__ import annotations

from typing import Any

from .common import IN_PERIOD, MIN_RECOGNITIONS, RECOGNITION_CAP, count, ratio, roster_asof

REASONS = ("helping", "sharing", "failure_transparency", "customer_outcome", "result")
COLLABORATIVE_REASONS = ("helping", "sharing", "failure_transparency")

CAPPED = f"""
(SELECT giver, receiver, reason, time FROM (
   SELECT giver, receiver, reason, time,
          row_number() OVER (PARTITION BY giver, receiver ORDER BY time, source, event_id) AS nth
   FROM recognitions FINAL WHERE {IN_PERIOD} AND giver != receiver)
 WHERE nth <= {RECOGNITION_CAP})
"""

TEAM_SQL = f"""
SELECT x.reason AS reason, toInt64(count()) AS n FROM {CAPPED} AS x
{roster_asof('g', 'x.giver', 'x.time')}
WHERE g.g_team = {{team:String}}
GROUP BY reason
"""

PERSON_SQL = f"""
SELECT if(giver = {{person:String}}, 'given', 'received') AS side, reason, toInt64(count()) AS n
FROM {CAPPED} WHERE giver = {{person:String}} OR receiver = {{person:String}}
GROUP BY side, reason
"""


def mix(by_reason: dict[str, int]) -> dict[str, Any]:
    total = sum(by_reason.values())
    return {
        "cap_per_giver_receiver": RECOGNITION_CAP,
        "recognitions": count(total),
        "by_reason": {r: by_reason.get(r, 0) for r in REASONS},
        "helping_sharing_failure_share": ratio(
            sum(by_reason.get(r, 0) for r in COLLABORATIVE_REASONS), total, MIN_RECOGNITIONS
        ),
        "customer_outcome_share": ratio(by_reason.get("customer_outcome", 0), total, MIN_RECOGNITIONS),
        "result_share": ratio(by_reason.get("result", 0), total, MIN_RECOGNITIONS),
    }


def team(store: Any, params: dict[str, Any]) -> dict[str, Any]:
    df = store.query_df(TEAM_SQL, params)
    return mix({str(r): int(n) for r, n in zip(df.get("reason", []), df.get("n", []))})


def person(store: Any, params: dict[str, Any]) -> dict[str, Any]:
    df = store.query_df(PERSON_SQL, params)
    sides: dict[str, dict[str, int]] = {"given": {}, "received": {}}
    for side, reason, n in zip(df.get("side", []), df.get("reason", []), df.get("n", [])):
        sides[str(side)][str(reason)] = int(n)
    return {"received": mix(sides["received"]), "given": mix(sides["given"])}
