"""teamflow.help.*: help requested, given and acknowledged between colleagues."""

from typing import Literal

from ..fields import Data, Id, Minutes, PersonId, Text

HelpKind = Literal["advice", "deal_review", "introduction", "shadowing", "demo_support", "coaching", "other"]


class HelpRequestedV1(Data, kw_only=True):
    """teamflow.help.requested v1: someone asked for help."""

    request_id: Id
    requester: PersonId
    topic: Text
    deal_id: Id | None = None


class HelpGivenV1(Data, kw_only=True):
    """teamflow.help.given v1: the helper reports help given (counts once acknowledged)."""

    help_id: Id
    helper: PersonId
    recipient: PersonId
    request_id: Id | None = None
    deal_id: Id | None = None
    kind: HelpKind
    minutes: Minutes


class HelpAcknowledgedV1(Data, kw_only=True):
    """teamflow.help.acknowledged v1: the recipient confirms (or not) that the help was useful."""

    help_id: Id
    recipient: PersonId
    useful: bool
