"""teamflow.knowledge.*: artifacts shared and reused."""

from typing import Literal

from ..fields import Data, Id, PersonId, Text

ArtifactKind = Literal["playbook", "war_story", "success_story", "objection", "competitive_intel", "lesson"]
Audience = Literal["team", "org"]


class KnowledgeSharedV1(Data, kw_only=True):
    """teamflow.knowledge.shared v1: an artifact was shared."""

    artifact_id: Id
    author: PersonId
    kind: ArtifactKind
    title: Text
    deal_id: Id | None = None
    audience: Audience


class KnowledgeReusedV1(Data, kw_only=True):
    """teamflow.knowledge.reused v1: someone reused an artifact."""

    artifact_id: Id
    user: PersonId
    deal_id: Id | None = None
