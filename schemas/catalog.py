"""The event catalog: type name -> data struct per version, and the current version of each type."""

from types import MappingProxyType
from typing import Mapping

from .events import deal, help, knowledge, outcome, proposal, recognition, referral, review, roster
from .fields import Data

EVENT_TYPES: Mapping[str, Mapping[int, type[Data]]] = MappingProxyType(
    {
        name: MappingProxyType(versions)
        for name, versions in {
            "teamflow.roster.member_joined": {1: roster.MemberJoinedV1},
            "teamflow.roster.member_left": {1: roster.MemberLeftV1},
            "teamflow.help.requested": {1: help.HelpRequestedV1},
            "teamflow.help.given": {1: help.HelpGivenV1},
            "teamflow.help.acknowledged": {1: help.HelpAcknowledgedV1},
            "teamflow.knowledge.shared": {1: knowledge.KnowledgeSharedV1},
            "teamflow.knowledge.reused": {1: knowledge.KnowledgeReusedV1},
            "teamflow.recognition.given": {1: recognition.RecognitionGivenV1},
            "teamflow.deal.opened": {1: deal.DealOpenedV1},
            "teamflow.deal.stage_changed": {1: deal.DealStageChangedV1},
            "teamflow.deal.collaborator_added": {1: deal.DealCollaboratorAddedV1},
            "teamflow.deal.closed": {1: deal.DealClosedV1},
            "teamflow.proposal.sent": {1: proposal.ProposalSentV1},
            "teamflow.proposal.withdrawn": {1: proposal.ProposalWithdrawnV1},
            "teamflow.deal.rediscovery_started": {1: deal.DealRediscoveryStartedV1},
            "teamflow.review.published": {1: review.ReviewPublishedV1},
            "teamflow.deal.exchange": {1: deal.DealExchangeV1},
            "teamflow.outcome.criteria_defined": {1: outcome.CriteriaDefinedV1},
            "teamflow.outcome.handoff_completed": {1: outcome.HandoffCompletedV1},
            "teamflow.outcome.criterion_met": {1: outcome.CriterionMetV1},
            "teamflow.outcome.criterion_missed": {1: outcome.CriterionMissedV1},
            "teamflow.referral.made": {1: referral.ReferralMadeV1, 2: referral.ReferralMadeV2},
        }.items()
    }
)
"""type name -> {version: data struct class}. Versions are contiguous from 1."""

CURRENT_VERSIONS: Mapping[str, int] = MappingProxyType({name: max(v) for name, v in EVENT_TYPES.items()})
"""type name -> current (newest) version; consumers always receive this version's struct."""

CURRENT_MODELS: Mapping[str, type[Data]] = MappingProxyType(
    {name: EVENT_TYPES[name][v] for name, v in CURRENT_VERSIONS.items()}
)
"""type name -> data struct class of the current version."""
