"""teamflow.referral.*: customers referred elsewhere when that serves them better."""

from ..fields import Data, Id, PersonId, Text


class ReferralMadeV1(Data, kw_only=True):
    """teamflow.referral.made v1 (superseded by v2; upcast on read)."""

    referrer: PersonId
    account: Id
    to_provider: Id
    reason: Text


class ReferralMadeV2(Data, kw_only=True):
    """teamflow.referral.made v2: ``to_provider`` renamed to ``referred_to``."""

    referrer: PersonId
    account: Id
    referred_to: Id
    reason: Text
