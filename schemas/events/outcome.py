"""teamflow.outcome.*: customer success criteria, handoff, and whether criteria were met."""

from typing import Annotated

import msgspec

from ..fields import Data, Day, Id, PersonId, Text
from ..limits import MAX_LIST_ITEMS


class Criterion(Data, kw_only=True):
    """One success criterion agreed with the customer."""

    criterion_id: Id
    description: Text
    target: Text
    due: Day


class CriteriaDefinedV1(Data, kw_only=True):
    """teamflow.outcome.criteria_defined v1: 1..50 success criteria for a deal."""

    deal_id: Id
    criteria: Annotated[tuple[Criterion, ...], msgspec.Meta(min_length=1, max_length=MAX_LIST_ITEMS)]


class HandoffCompletedV1(Data, kw_only=True):
    """teamflow.outcome.handoff_completed v1: sales handed the customer to customer success."""

    deal_id: Id
    from_person: PersonId
    to_person: PersonId
    criteria_transferred: bool


class CriterionMetV1(Data, kw_only=True):
    """teamflow.outcome.criterion_met v1."""

    deal_id: Id
    criterion_id: Id
    observed: Text


class CriterionMissedV1(Data, kw_only=True):
    """teamflow.outcome.criterion_missed v1."""

    deal_id: Id
    criterion_id: Id
    observed: Text
