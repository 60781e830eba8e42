"""every_team: a one-team query's every-team form, and a loud failure when the one-team query moved."""
import pytest

from projections.metrics import attention, team_views
from projections.metrics.common import every_team

pytestmark = pytest.mark.unit

ONE = "SELECT d.deal AS deal FROM t AS d WHERE d.team = {team:String} ORDER BY deal"


def test_replaces_each_needle_once_in_turn():
    sql = every_team(ONE, ("WHERE d.team = {team:String}", "WHERE d.team != ''"),
                     ("SELECT d.deal AS deal", "SELECT d.team AS team, d.deal AS deal"),
                     ("ORDER BY deal", "ORDER BY team, deal"))
    assert sql == "SELECT d.team AS team, d.deal AS deal FROM t AS d WHERE d.team != '' ORDER BY team, deal"


def test_only_the_first_occurrence_is_replaced():
    assert every_team("SELECT a FROM (SELECT a FROM t)", ("SELECT a", "SELECT x, a")) == \
        "SELECT x, a FROM (SELECT a FROM t)"


def test_a_missing_needle_fails_naming_it():
    with pytest.raises(AssertionError, match="m.person"):
        every_team(ONE, ("WHERE d.team = {team:String}", "WHERE d.team != ''"), ("GROUP BY m.person", "x"))


@pytest.mark.parametrize("sql", [team_views.ROSTERS_SQL, team_views.LESSONS_SQL,
                                 *attention.ALL_TEAMS_SQL.values()], ids=lambda s: s.split()[1])
def test_every_derived_query_has_no_team_parameter_left(sql):
    assert "{team:String}" not in sql
