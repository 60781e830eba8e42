"""teamflow.review.*: post-mortems and win/loss reviews."""

from typing import Literal

from ..fields import Data, Id, Lessons, PersonId

ReviewKind = Literal["postmortem", "win_loss", "third_party"]


class ReviewPublishedV1(Data, kw_only=True):
    """teamflow.review.published v1: a review with its lessons (at most 50)."""

    review_id: Id
    deal_id: Id
    author: PersonId
    kind: ReviewKind
    lessons: Lessons
