"""Every CRM export format through `teamflow import` into the real broker and worker; re-imports add nothing."""
from __future__ import annotations

import csv
import json

import pytest
from ingest_harness import settle

from support.services import REPO

pytestmark = pytest.mark.integration

CRM = REPO / "tests" / "fixtures" / "crm"
MAPPING = str(CRM / "mapping.yaml")

# kind, file, mapping, events stored (new), rows rejected, a reason that must be readable
CASES = [
    ("salesforce-report", "salesforce_report.csv", MAPPING, 8, 2, "got 'twelve'"),
    ("salesforce-api", "salesforce_api.csv", MAPPING, 5, 1, "CloseDate: required for a closed deal"),
    # the history repeats the API export's two closes (same family, deal and outcome): only 4 stage changes are new
    ("salesforce-history", "salesforce_history.csv", MAPPING, 4, 1, "got 'not a date'"),
    ("hubspot", "hubspot_deals.csv", MAPPING, 5, 1, "Deal owner: required"),
    ("csv", "generic_deals.csv", str(CRM / "generic_mapping.yaml"), 6, 1, "Organization: required"),
]


def test_each_export_format_reaches_the_store_once(worker, cli, tmp_path):
    status = worker.status()
    events, dead = status["events"], status["dead_letters"]
    for kind, name, mapping, new_events, rejected, reason in CASES:
        rejects = tmp_path / f"{name}.rejects.csv"
        out = cli("import", kind, str(CRM / name), "--mapping", mapping, "--rejects", str(rejects),
                  "--no-progress").stdout
        assert f"rows rejected:      {rejected}" in out, out
        assert reason in out, out
        with open(rejects, newline="") as f:
            rows = list(csv.DictReader(f))
        assert len(rows) == rejected and any(reason in r["_reason"] for r in rows)
        events, dead = events + new_events, dead + rejected
        settle(worker, events, dead, quiet=1.0)

    # everything again: the same event ids and the same dead-letter fingerprints, so nothing new
    for kind, name, mapping, *_ in CASES:
        cli("import", kind, str(CRM / name), "--mapping", mapping, "--rejects", str(tmp_path / "again.csv"),
            "--no-progress")
    settle(worker, events, dead)

    listed = [json.loads(x) for x in cli("dead-letters", "list", "--door", "import", "--json").stdout.splitlines()]
    assert len(listed) == dead - status["dead_letters"]
    assert all(x["count"] == 2 for x in listed), "each reject was refused twice, one fingerprint each"
    twelve = [x for x in listed if "twelve" in x["reason"]]
    assert twelve[0]["reason"] == "salesforce-report line 7: Amount: expected a number such as 12000.50, got 'twelve'"
    assert json.loads(twelve[0]["raw"])["row"]["Opportunity ID"] == "0065e00000AAA06"
    resubmit = cli("dead-letters", "resubmit", "--door", "import").stdout
    assert "resubmitted 0 event(s)" in resubmit and "import reject(s) skipped" in resubmit


def test_dry_run_produces_nothing_and_team_option_fills_unmapped_owners(worker, cli, tmp_path):
    before = worker.status()
    out = cli("import", "salesforce-report", str(CRM / "salesforce_report.csv"), "--mapping", MAPPING,
              "--team", "team-unassigned", "--source", "//crm/salesforce/dry", "--dry-run",
              "--rejects", str(tmp_path / "r.csv")).stdout
    assert "[dry run]" in out and "events to produce:  9" in out and "rows rejected:      1" in out
    settle(worker, before["events"], before["dead_letters"], quiet=2.0)
    bad = cli("import", "hubspot", str(CRM / "salesforce_api.csv"), "--mapping", MAPPING, check=False)
    assert bad.returncode == 2 and "missing column(s) Record ID" in bad.stderr
