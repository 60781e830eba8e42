"""teamflow.recognition.*: recognition between colleagues."""

from typing import Literal

from ..fields import Data, PersonId

RecognitionReason = Literal["helping", "sharing", "failure_transparency", "customer_outcome", "result"]


class RecognitionGivenV1(Data, kw_only=True):
    """teamflow.recognition.given v1: giver recognised receiver for a reason."""

    giver: PersonId
    receiver: PersonId
    reason: RecognitionReason
