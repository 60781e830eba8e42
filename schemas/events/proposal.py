"""teamflow.proposal.*: proposals sent and withdrawn."""

from ..fields import Data, Id, Text


class ProposalSentV1(Data, kw_only=True):
    """teamflow.proposal.sent v1."""

    deal_id: Id
    proposal_id: Id


class ProposalWithdrawnV1(Data, kw_only=True):
    """teamflow.proposal.withdrawn v1."""

    deal_id: Id
    proposal_id: Id
    reason: Text | None = None
