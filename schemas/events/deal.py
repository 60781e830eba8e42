"""teamflow.deal.*: deal lifecycle, collaborators and buyer/seller exchanges."""

from typing import Literal

from ..fields import Amount, Currency, Data, Id, PersonId, Text

CollaboratorRole = Literal["peer", "sme", "engineer", "executive", "partner", "customer_success"]
Outcome = Literal["won", "lost", "no_decision"]
Direction = Literal["seller_gave", "buyer_gave"]
ExchangeKind = Literal[
    "demo",
    "proposal",
    "pricing",
    "trial",
    "meeting",
    "resources",
    "commitment",
    "decision_maker_access",
    "success_criteria",
    "mutual_plan",
    "information",
]


class DealOpenedV1(Data, kw_only=True):
    """teamflow.deal.opened v1: a deal was opened."""

    deal_id: Id
    owner: PersonId
    team: Id
    account: Id
    amount: Amount
    currency: Currency
    stage: Id


class DealStageChangedV1(Data, kw_only=True):
    """teamflow.deal.stage_changed v1: a deal moved stage; other fields carry changes, if any."""

    deal_id: Id
    stage: Id
    owner: PersonId | None = None
    team: Id | None = None
    account: Id | None = None
    amount: Amount | None = None
    currency: Currency | None = None


class DealCollaboratorAddedV1(Data, kw_only=True):
    """teamflow.deal.collaborator_added v1: someone beyond the owner joined the deal."""

    deal_id: Id
    person: PersonId
    role: CollaboratorRole


class DealClosedV1(Data, kw_only=True):
    """teamflow.deal.closed v1: a deal was closed."""

    deal_id: Id
    outcome: Outcome
    amount: Amount
    reason: Text | None = None


class DealRediscoveryStartedV1(Data, kw_only=True):
    """teamflow.deal.rediscovery_started v1: discovery restarted (typically after a withdrawn proposal)."""

    deal_id: Id


class DealExchangeV1(Data, kw_only=True):
    """teamflow.deal.exchange v1: something of value given by the seller or by the buyer."""

    deal_id: Id
    direction: Direction
    kind: ExchangeKind
