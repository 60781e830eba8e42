"""Information sharing: artifacts shared by the team in the period and how they were reused.

Cohort: artifacts whose author was in the team when sharing them, shared in the period. A
qualifying reuse is a reuse by someone other than the author within 30 days after sharing;
each (artifact, user) pair counts once, at its first qualifying reuse (repeat clicks by one
colleague do not inflate reach). Cross-team: the user was in another team (or none) then.
"""
from __future__ import annotations

from typing import Any

from .common import (
    IN_PERIOD,
    MIN_ARTIFACTS,
    MIN_PERSON_MONTHS,
    MIN_REUSES,
    MS_PER_MONTH,
    REUSE_WINDOW_DAYS,
    TS,
    count,
    figure,
    ratio,
    team_members,
)

COHORT = f"""
(SELECT artifact_id, author, kind, time AS shared_at FROM artifacts FINAL
 WHERE {IN_PERIOD} AND author_team = {{team:String}})
"""
"""The team's artifacts of the period (`artifacts`: each with its author's team when sharing it,
projections/resolved/)."""

COHORT_SQL = f"SELECT artifact_id, kind FROM {COHORT} AS c ORDER BY artifact_id"

REUSE_PAIRS_SQL = f"""
SELECT artifact_id, user, kind, user_team FROM reuse_pairs FINAL
WHERE shared_at >= {{start:{TS}}} AND shared_at < {{end:{TS}}} AND author_team = {{team:String}}
"""
"""The qualifying reuse pairs of the team's artifacts of the period (`reuse_pairs`, projections/resolved/)."""

PERSON_SHARED_SQL = f"""
SELECT s.artifact_id AS artifact_id, s.kind AS kind,
       uniqExactIf(r.user, r.user != '' AND r.user != s.author AND r.time >= s.time
                   AND r.time <= s.time + toIntervalDay({REUSE_WINDOW_DAYS})) AS reusers
FROM (SELECT artifact_id, author, kind, time FROM knowledge_shared FINAL
      WHERE {IN_PERIOD} AND author = {{person:String}}) AS s
LEFT JOIN (SELECT artifact_id, user, time FROM knowledge_reuses FINAL) AS r ON s.artifact_id = r.artifact_id
GROUP BY s.artifact_id, s.kind
"""

PERSON_REUSED_SQL = f"""
SELECT uniqExact(artifact_id) FROM knowledge_reuses FINAL WHERE {IN_PERIOD} AND user = {{person:String}}
  AND artifact_id NOT IN (SELECT artifact_id FROM knowledge_shared FINAL WHERE author = {{person:String}})
"""

LESSON_KINDS = ("lesson", "war_story")


def cohort_and_pairs(store: Any, params: dict[str, Any]) -> tuple[list[tuple[str, str]], list[tuple[str, str, str, str]]]:
    """The team's artifacts of the period `(artifact_id, kind)` and their qualifying reuse pairs."""
    c = store.query_df(COHORT_SQL, params)
    artifacts = [(str(a), str(k)) for a, k in zip(c.get("artifact_id", []), c.get("kind", []))]
    p = store.query_df(REUSE_PAIRS_SQL, params)
    pairs = [
        (str(a), str(u), str(k), str(t))
        for a, u, k, t in zip(p.get("artifact_id", []), p.get("user", []), p.get("kind", []), p.get("user_team", []))
    ]
    return artifacts, pairs


def team(store: Any, params: dict[str, Any], cohort: tuple[list, list] | None = None) -> dict[str, Any]:
    artifacts, pairs = cohort or cohort_and_pairs(store, params)
    person_months = sum(team_members(store, params).values()) / MS_PER_MONTH
    reused = {a for a, *_ in pairs}
    cross = sum(1 for _, _, _, t in pairs if t != params["team"])
    return {
        "artifacts_shared": count(len(artifacts)),
        "person_months": figure(person_months, person_months, 0),
        "artifacts_per_person_month": figure(
            len(artifacts) / person_months if person_months else None, person_months, MIN_PERSON_MONTHS
        ),
        "reuse_rate": ratio(len(reused), len(artifacts), MIN_ARTIFACTS),
        "reach": count(len({u for _, u, _, _ in pairs})),
        "reuses": count(len(pairs)),
        "cross_team_reuses": count(cross),
        "cross_team_reuse_share": ratio(cross, len(pairs), MIN_REUSES),
    }


def person(store: Any, params: dict[str, Any]) -> dict[str, Any]:
    df = store.query_df(PERSON_SHARED_SQL, params)
    reusers = [int(n) for n in df.get("reusers", [])]
    kinds = [str(k) for k in df.get("kind", [])]
    return {
        "artifacts_shared": count(len(reusers)),
        "war_stories_shared": count(sum(1 for k in kinds if k == "war_story")),
        "reuse_rate": ratio(sum(1 for n in reusers if n > 0), len(reusers), MIN_ARTIFACTS),
        "reuses_by_others": count(sum(reusers)),
        "artifacts_of_others_reused": count(int(store.query_scalar(PERSON_REUSED_SQL, params) or 0)),
    }
