"""teamflow.roster.*: who is in which team, with which role."""

from typing import Literal

from ..fields import Data, Id, Name, PersonId

Role = Literal["rep", "manager", "sales_engineer", "customer_success", "executive"]


class MemberJoinedV1(Data, kw_only=True):
    """teamflow.roster.member_joined v1: a person joined a team (or changed role/name)."""

    person: PersonId
    team: Id
    role: Role
    display_name: Name


class MemberLeftV1(Data, kw_only=True):
    """teamflow.roster.member_left v1: a person left a team."""

    person: PersonId
    team: Id
    role: Role | None = None
    display_name: Name | None = None
