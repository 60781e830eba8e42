"""The callback request check (pure rules, and coverage of every server callback's inputs)."""
from __future__ import annotations

import pytest

from dashboards import callback_guard as cg
from dashboards.callback_guard import BadInput, check_body

pytestmark = pytest.mark.unit


class _NoStore:
    def query_df(self, *a, **k):
        raise AssertionError("the store was queried")

    query_scalar = query_df


@pytest.fixture(scope="module")
def callback_map(tmp_path_factory):
    from dashboards.app import create_app
    from dashboards.settings import DashboardSettings

    users = tmp_path_factory.mktemp("u") / "users.json"
    app = create_app(_NoStore(), DashboardSettings(users_file=users, secret_key="k"), warm=False)
    return app.callback_map


def test_every_server_callback_input_has_a_rule(callback_map):
    missing = {(d["id"], d["property"]) for spec in callback_map.values() if "callback" in spec
               for d in spec["inputs"] + spec["state"]} - set(cg.rules())
    assert not missing, f"add rules to dashboards/callback_guard.py for {sorted(missing)}"


def _exec_body(period="2026-Q1", scope="__organisation__", measure="reciprocity.reciprocity_index"):
    output = ("..exec-chart-title.children...exec-chart.figure...exec-legend.children...exec-trend-title.children..."
              "exec-trend-table.children...exec-chart-foot.children...exec-table-title.children..."
              "exec-table.children...exec-foot.children..")
    outputs = [{"id": i, "property": p} for i, p in cg.declared_outputs(output)]
    return {"output": output, "outputs": outputs, "changedPropIds": [], "state": [],
            "inputs": [{"id": "exec-period", "property": "value", "value": period},
                       {"id": "exec-scope", "property": "value", "value": scope},
                       {"id": "exec-measure", "property": "value", "value": measure}]}


def test_a_well_formed_request_passes(callback_map):
    check_body(_exec_body(), callback_map)
    check_body(_exec_body(scope="north"), callback_map)


@pytest.mark.parametrize("change, reason", [
    ({"period": "2026-Q5"}, "not a period"), ({"period": "2026-03"}, "not a quarter"),
    ({"period": "0001-Q1"}, "outside"), ({"period": 2026}, "not a period"), ({"period": None}, "not a period"),
    ({"measure": "reciprocity.nope"}, "choices"), ({"measure": ["x"]}, "choices"),
    ({"scope": "x" * 200}, "team or person id"), ({"scope": "a\nb"}, "team or person id"), ({"scope": ""}, "id"),
])
def test_bad_values_are_refused_with_a_reason(callback_map, change, reason):
    with pytest.raises(BadInput, match=reason):
        check_body(_exec_body(**change), callback_map)


def test_malformed_requests_are_refused(callback_map):
    for body in (None, [], {"output": 3}, {"output": "nope.children"}, {"output": "exec-print-done.children"}):
        with pytest.raises(BadInput):
            check_body(body, callback_map)
    body = _exec_body()
    body["inputs"] = body["inputs"][:2]
    with pytest.raises(BadInput, match="do not match"):
        check_body(body, callback_map)
    body = _exec_body()
    body["inputs"][0]["id"] = {"type": "x", "index": 1}
    with pytest.raises(BadInput):
        check_body(body, callback_map)
    body = _exec_body()
    body["outputs"] = body["outputs"][1:]
    with pytest.raises(BadInput, match="outputs"):
        check_body(body, callback_map)
    body = _exec_body()
    body["changedPropIds"] = [1]
    with pytest.raises(BadInput):
        check_body(body, callback_map)


@pytest.mark.parametrize("rule, good, bad", [
    (cg.iso_date, ["2026-03-05", "2026-03-05T00:00:00"], ["2026-02-30", "5.3.2026", "", 5, "2026-03-05 x"]),
    (cg.count, [0, 7], [-1, True, 1.5, "3", 2 ** 60]),
    (cg.period, ["2026-Q1", "2026-03", "2026-W09", "2026-03-05"], ["2026-W54", "2026-13", " ", "Q1"]),
    (cg.subset_of("flagged"), [[], ["flagged"]], [["flagged", "flagged"], ["x"], "flagged"]),
    (cg.text, ["/team", ""], ["/\n", "x" * 3000, 4]),
])
def test_rules(rule, good, bad):
    for v in good:
        rule(v)
    for v in bad:
        with pytest.raises(BadInput):
            rule(v)


def test_a_snapshot_stamp_may_carry_the_digests_of_the_tiles_shown():
    from dashboards.callback_guard import BadInput, shown_stamp

    shown_stamp({"as_of": "2026-12-02T08:00:00+00:00", "confirmed_at": None, "tiles": {"net": "0a1b2c", "balance": "3d4e"}})
    for forged in ({"as_of": None, "tiles": ["net"]}, {"tiles": {f"t{i}": "x" for i in range(17)}},
                   {"tiles": {"net": 7}}, {"tiles": {"net": "x" * 41}}, {"as_of": None, "other": "x"}):
        with pytest.raises(BadInput):
            shown_stamp(forged)
