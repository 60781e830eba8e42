"""Upcasters: small pure functions turning version N data into version N+1 data.

Register one function per (type, from_version). ``upcast`` chains them so an event of
any older version reaches the current version. Each function receives a validated struct of
version N and returns a struct of version N+1; it must not do I/O or read the clock.
"""

from typing import Callable, Mapping

from .catalog import CURRENT_VERSIONS
from .events.referral import ReferralMadeV1, ReferralMadeV2
from .fields import Data


def referral_made_v1_to_v2(data: ReferralMadeV1) -> ReferralMadeV2:
    """v2 renames ``to_provider`` to ``referred_to``."""
    return ReferralMadeV2(
        referrer=data.referrer, account=data.account, referred_to=data.to_provider, reason=data.reason
    )


UPCASTERS: Mapping[tuple[str, int], Callable[[Data], Data]] = {
    ("teamflow.referral.made", 1): referral_made_v1_to_v2,
}
"""(type, from_version) -> function producing from_version + 1."""


def upcast(type_name: str, version: int, data: Data) -> Data:
    """Apply the upcaster chain from ``version`` to the current version of ``type_name``."""
    current = CURRENT_VERSIONS[type_name]
    while version < current:
        data = UPCASTERS[(type_name, version)](data)
        version += 1
    return data
