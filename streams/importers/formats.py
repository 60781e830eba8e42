"""CRM export formats, pure: which columns each one needs, and one row -> the events it states.

| format | columns read (required in bold) | events per row |
|---|---|---|
| salesforce-report | **Opportunity Name, Stage, Opportunity Owner, Account Name**, Close Date, Amount, Created Date, Opportunity ID, Opportunity Currency / Currency, Last Stage Change Date | opened, stage_changed (if Last Stage Change Date), closed (if the stage closes) |
| salesforce-api | **Id, AccountId, StageName, OwnerId**, Name, Account.Name, Amount, CloseDate, IsClosed, IsWon, CreatedDate, CurrencyIsoCode, LastStageChangeDate | same; IsClosed/IsWon decide the outcome |
| salesforce-history | **OpportunityId** (or Opportunity ID), **StageName** (or To Stage / Stage), **CreatedDate** (or Edit Date / Last Modified / Created Date), Amount | stage_changed, closed (if the stage closes) |
| hubspot | **Record ID, Deal Stage, Deal owner**, Deal Name, Amount, Close Date, Create Date, Pipeline, Associated Company, Currency | opened, closed |
| csv | the mapping's `columns` | opened, stage_changed, closed |

Report exports often lack the record id; the deal id is then `sf-` + a hash of account,
opportunity name and created date (see `identity`: rows it cannot tell apart are refused, and a
deal seen in both a report and a Data Loader export is one deal). A Data Loader export may carry
`Account.Name` (the account's name; used as the account and to match report rows). A HubSpot export without a
company column uses the deal name as the account. HubSpot's `Pipeline` travels as the
`pipeline` extension attribute.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional

from .facts import Built, DealSnapshot, RowError, parse_amount, parse_bool, parse_time, required, \
    snapshot_events, stage_change_events
from .identity import Resolved, RowIdentity, derived_deal_id, identity_key
from .mapping import ImportMapping


def _first(row: dict[str, str], *names: str) -> str:
    for n in names:
        v = (row.get(n) or "").strip()
        if v:
            return v
    return ""


@dataclass(frozen=True)
class Format:
    name: str
    family: str
    default_source: str
    required: tuple[tuple[str, ...], ...]  # each tuple: accepted spellings of one required column
    to_events: Callable[[dict[str, str], ImportMapping, Optional[Resolved]], list[Built]]
    description: str
    identity: Optional[Callable[[dict[str, str], ImportMapping], RowIdentity]] = None


def _sf_report_identity(row: dict[str, str], m: ImportMapping) -> RowIdentity:
    name, account = _first(row, "Opportunity Name"), _first(row, "Account Name")
    created = parse_time(row.get("Created Date"), "Created Date", m.date_format)
    key = identity_key(account, name, created.date().isoformat() if created else "") if name and account else ""
    return RowIdentity(_first(row, "Opportunity ID", "Opportunity Id"), key,
                       created or parse_time(row.get("Close Date"), "Close Date", m.date_format))


def _sf_report(row: dict[str, str], m: ImportMapping, r: Resolved | None = None) -> list[Built]:
    required(row, "Opportunity Name")
    account = required(row, "Account Name")
    deal_id = r.deal_id if r else (_first(row, "Opportunity ID", "Opportunity Id")
                                         or derived_deal_id(_sf_report_identity(row, m).key))
    s = DealSnapshot("salesforce", deal_id, _first(row, "Stage"), _first(row, "Opportunity Owner"), account,
                     amount=row.get("Amount"), currency=_first(row, "Opportunity Currency", "Currency", "Amount Currency"),
                     created_at=row.get("Created Date"), closed_at=row.get("Close Date"),
                     stage_changed_at=row.get("Last Stage Change Date"))
    return snapshot_events(s, m, {"deal_id": "Opportunity ID", "stage": "Stage", "owner": "Opportunity Owner",
                                  "account": "Account Name", "amount": "Amount", "created_at": "Created Date",
                                  "closed_at": "Close Date", "stage_changed_at": "Last Stage Change Date"},
                           opened_at=r.opened if r else None)


ACCOUNT_NAME = ("Account.Name", "ACCOUNT.NAME", "Account Name")


def _sf_api_identity(row: dict[str, str], m: ImportMapping) -> RowIdentity:
    name, account = _first(row, "Name"), _first(row, *ACCOUNT_NAME)
    created = parse_time(row.get("CreatedDate"), "CreatedDate", m.date_format)
    key = identity_key(account, name, created.date().isoformat() if created else "") if name and account else ""
    return RowIdentity(_first(row, "Id"), key, created or parse_time(row.get("CloseDate"), "CloseDate", m.date_format))


def _sf_api(row: dict[str, str], m: ImportMapping, r: Resolved | None = None) -> list[Built]:
    s = DealSnapshot("salesforce", r.deal_id if r else _first(row, "Id"), _first(row, "StageName"),
                     _first(row, "OwnerId"), _first(row, *ACCOUNT_NAME) or _first(row, "AccountId"),
                     amount=row.get("Amount"), currency=row.get("CurrencyIsoCode"),
                     created_at=row.get("CreatedDate"), closed_at=row.get("CloseDate"),
                     stage_changed_at=row.get("LastStageChangeDate"),
                     is_closed=parse_bool(row.get("IsClosed"), "IsClosed"), is_won=parse_bool(row.get("IsWon"), "IsWon"))
    return snapshot_events(s, m, {"deal_id": "Id", "stage": "StageName", "owner": "OwnerId", "account": "AccountId",
                                  "amount": "Amount", "created_at": "CreatedDate", "closed_at": "CloseDate",
                                  "stage_changed_at": "LastStageChangeDate"}, opened_at=r.opened if r else None)


def _sf_history_identity(row: dict[str, str], m: ImportMapping) -> RowIdentity:
    return RowIdentity(_first(row, "OpportunityId", "Opportunity ID"), "")


def _sf_history(row: dict[str, str], m: ImportMapping, r: Resolved | None = None) -> list[Built]:
    deal_id = r.deal_id if r and r.deal_id else _first(row, "OpportunityId", "Opportunity ID")
    if not deal_id:
        raise RowError("OpportunityId: required, but empty")
    stage = _first(row, "StageName", "To Stage", "Stage")
    if not stage:
        raise RowError("StageName: required, but empty")
    when = parse_time(_first(row, "CreatedDate", "Edit Date", "Last Modified", "Created Date"), "CreatedDate",
                      m.date_format)
    if when is None:
        raise RowError("CreatedDate: required (when the stage changed), but empty")
    amount, _ = parse_amount(row.get("Amount"), "Amount")
    return stage_change_events("salesforce", deal_id, stage, when, m, amount,
                               _first(row, "Opportunity Owner", "OwnerId") or None)


def _hubspot(row: dict[str, str], m: ImportMapping, r: Resolved | None = None) -> list[Built]:
    s = DealSnapshot("hubspot", _first(row, "Record ID"), _first(row, "Deal Stage"), _first(row, "Deal owner"),
                     _first(row, "Associated Company", "Associated Company (Primary)", "Company name", "Deal Name"),
                     amount=row.get("Amount"), currency=row.get("Currency"), created_at=row.get("Create Date"),
                     closed_at=row.get("Close Date"))
    events = snapshot_events(s, m, {"deal_id": "Record ID", "stage": "Deal Stage", "owner": "Deal owner",
                                    "account": "Deal Name", "amount": "Amount", "created_at": "Create Date",
                                    "closed_at": "Close Date"})
    pipeline = _first(row, "Pipeline")
    if pipeline:
        events = [Built(e.type, e.data, e.id, e.time, e.subject, e.team, {"pipeline": pipeline}) for e in events]
    return events


def _generic(row: dict[str, str], m: ImportMapping, r: Resolved | None = None) -> list[Built]:
    c = m.columns

    def get(field: str) -> str | None:
        return row.get(c[field]) if field in c else None

    s = DealSnapshot(m.source or "csv", (get("deal_id") or "").strip(), (get("stage") or "").strip(),
                     (get("owner") or "").strip(), (get("account") or "").strip(), amount=get("amount"),
                     currency=get("currency"), created_at=get("created_at"), closed_at=get("closed_at"),
                     stage_changed_at=get("stage_changed_at"), outcome_label=(get("outcome") or "").strip() or None,
                     team=(get("team") or "").strip() or None)
    return snapshot_events(s, m, c)


FORMATS: dict[str, Format] = {
    f.name: f for f in (
        Format("salesforce-report", "salesforce", "//crm/salesforce",
               (("Opportunity Name",), ("Stage",), ("Opportunity Owner",), ("Account Name",)), _sf_report,
               "Salesforce opportunity report export (column labels)", _sf_report_identity),
        Format("salesforce-api", "salesforce", "//crm/salesforce",
               (("Id",), ("AccountId",), ("StageName",), ("OwnerId",)), _sf_api,
               "Salesforce Opportunity export with API field names (Data Loader, SOQL)", _sf_api_identity),
        Format("salesforce-history", "salesforce", "//crm/salesforce",
               (("OpportunityId", "Opportunity ID"), ("StageName", "To Stage", "Stage"),
                ("CreatedDate", "Edit Date", "Last Modified", "Created Date")), _sf_history,
               "Salesforce OpportunityHistory (stage changes)", _sf_history_identity),
        Format("hubspot", "hubspot", "//crm/hubspot", (("Record ID",), ("Deal Stage",), ("Deal owner",)), _hubspot,
               "HubSpot deals export"),
        Format("csv", "csv", "", (), _generic, "any CSV, columns named in the mapping file"),
    )
}


def generic_required(m: ImportMapping) -> tuple[tuple[str, ...], ...]:
    """Columns the generic importer needs from the mapping: deal_id, stage, account, and owner or team."""
    missing = [f for f in ("deal_id", "stage", "account") if f not in m.columns]
    if "owner" not in m.columns and "team" not in m.columns:
        missing.append("owner (or team)")
    if missing:
        raise RowError(f"mapping columns: missing {', '.join(missing)} (see docs/ops-guide.md, 'mapping file')")
    return tuple((m.columns[f],) for f in ("deal_id", "stage", "account", "owner", "team") if f in m.columns)
