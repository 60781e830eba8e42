"""Report exports without record ids, their footers, and the same deals from a Data Loader export, through
`teamflow import` into the real broker and worker (chDB): deals stored = distinct opportunities, exactly."""
from __future__ import annotations

import pytest
from ingest_harness import settle

from projections.store import open_store
from support.services import REPO

pytestmark = pytest.mark.integration

CRM = REPO / "tests" / "fixtures" / "crm"
MAPPING = str(CRM / "mapping.yaml")
AMBIGUOUS = ('"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Close Date","Created Date"\n'
             '"Ana Lima","Initech","Initech - Look-alike","Prospecting","1000","6/1/2025","1/6/2025"\n'
             '"Ana Lima","Initech","Initech - Look-alike","Closed Lost","2000","3/1/2025","1/6/2025"\n')


def test_report_and_data_loader_exports_store_each_opportunity_once(worker, cli, tmp_path):
    before = worker.status()

    def run(kind, path):
        return cli("import", kind, str(path), "--mapping", MAPPING, "--rejects", str(tmp_path / "r.csv"),
                   "--no-progress").stdout

    out = run("salesforce-report", CRM / "salesforce_report_no_ids.csv")
    assert "rows rejected:      0" in out and "events produced:    36" in out, out
    assert "footer rows:        9" in out and "1 x grand totals" in out and "1 x copyright notice" in out, out
    settle(worker, before["events"] + 36, before["dead_letters"], quiet=1.0)

    out = run("salesforce-api", CRM / "salesforce_dataloader.csv")
    assert "matched to deals of another export: 24" in out and "salesforce_report_no_ids.csv line 2" in out, out
    for again in (("salesforce-report", CRM / "salesforce_report_no_ids.csv"),
                  ("salesforce-api", CRM / "salesforce_dataloader.csv")):
        run(*again)
    settle(worker, before["events"] + 36, before["dead_letters"], quiet=1.0)

    look_alike = tmp_path / "look_alike.csv"
    look_alike.write_text(AMBIGUOUS)
    out = run("salesforce-report", look_alike)
    assert "rows rejected:      2" in out and "add the Opportunity ID column to the report" in out, out
    assert "cannot tell apart: lines 2, 3" in out, out
    settle(worker, before["events"] + 36, before["dead_letters"] + 2, quiet=1.0)

    assert worker.stop() == 0, worker.log_tail()
    store = open_store(url=None, data_dir=str(worker.data_dir / "clickhouse"), database="teamflow")
    try:
        opened = store.query_df("SELECT count() AS n, uniqExact(deal_id) AS deals FROM deal_changes FINAL "
                                "WHERE change = 'opened' AND source = '//crm/salesforce'").iloc[0]
        assert (int(opened["n"]), int(opened["deals"])) == (24, 24)  # 24 opportunities, each opened once
        closes = store.query_df("SELECT outcome, toMonth(time) AS month, count() AS n FROM deal_closes FINAL "
                                "WHERE source = '//crm/salesforce' GROUP BY outcome, month ORDER BY outcome, month")
        counts = {(r.outcome, int(r.month)): int(r.n) for r in closes.itertuples()}
        assert counts[("lost", 3)] == 4 and sum(counts.values()) == 12, counts
        letters = store.query_df("SELECT code FROM dead_letters FINAL WHERE door = 'import'")
        assert list(letters["code"]) == ["ambiguous_identity"] * 2
    finally:
        store.close()
