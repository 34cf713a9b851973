"""Reports exported for a date range: the caseload and referral outcomes, within the user's
scope (a supervisor their teams' clients, a case manager their own clients), as CSV or XLSX.

The rows are built with a fixed number of queries however many clients there are. A text
cell that a spreadsheet would read as a formula is neutralised with a leading apostrophe.
Every export leaves one access-log row per client included, naming the report, the range,
the team and the format in its path."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from typing import Any, cast
from zoneinfo import ZoneInfo

from django.db import models
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell as SheetCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from careplans.models import PlanStatus, ServicePlan
from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record_many
from casemgmt.reminders.rules import local_zone
from clients.models import Client, ClientStatus, CrisisEvent
from clients.report_selectors import clients_open_between, episodes_overlapping, report_clients
from notes.models import CaseNote, NoteStatus
from notes.reminders import INDIRECT_CONTACT_TYPES
from referrals.models import Outcome, Referral, ReferralStatus
from referrals.referral_selectors import OPEN_STATUSES as OPEN_REFERRAL_STATUSES
from referrals.report_selectors import referrals_sent_between

#: The longest range one export may cover.
MAX_RANGE_DAYS = 3 * 366

PLANS_IN_FORCE = (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)

#: What a spreadsheet reads as the start of a formula (or of a cell-splitting control).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ReportKind(models.TextChoices):
    CASELOAD = "caseload", gettext_lazy("Caseload")
    REFERRAL_OUTCOMES = "referral_outcomes", gettext_lazy("Referral outcomes")


class ExportFormat(models.TextChoices):
    CSV = "csv", gettext_lazy("CSV (opens in any spreadsheet)")
    XLSX = "xlsx", gettext_lazy("Excel workbook (XLSX)")


Cell = str | int | dt.date | None


def neutralise(value: Cell) -> Cell:
    """A text cell a spreadsheet would run as a formula, prefixed with an apostrophe so it
    is shown as the text it is."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Report:
    """A built report: the column headings, the rows, and the clients it includes."""

    kind: ReportKind
    date_from: dt.date
    date_to: dt.date
    header: list[str]
    rows: list[list[Cell]]
    client_ids: list[int]

    def filename(self, export_format: str) -> str:
        slug = self.kind.value.replace("_", "-")
        return f"{slug}_{self.date_from.isoformat()}_{self.date_to.isoformat()}.{export_format}"


def _local_day(moment: dt.datetime | None, zone: ZoneInfo) -> dt.date | None:
    return moment.astimezone(zone).date() if moment is not None else None


# --- Caseload ------------------------------------------------------------------------------


def caseload_clients(
    user: User, *, date_from: dt.date, date_to: dt.date, team: Team | None = None
) -> QuerySet[Client]:
    """The clients the user may export whose record was open at any time in the range, each
    annotated with its episode in the range (the latest), the plan in force (or else the
    latest plan), the last direct contact, an open crisis and the open referrals; by team,
    then name."""
    episode = (
        episodes_overlapping(date_from, date_to)
        .filter(client=OuterRef("pk"))
        .order_by("-enrolled_on", "-pk")
    )
    current_plan = (
        ServicePlan.objects.filter(client=OuterRef("pk"))
        .exclude(status=PlanStatus.SUPERSEDED)
        .order_by(
            Case(
                When(status__in=PLANS_IN_FORCE, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
            "-version",
        )
    )
    plan_in_force = ServicePlan.objects.filter(
        client=OuterRef("pk"), status__in=PLANS_IN_FORCE
    ).order_by("-version")
    last_direct_contact = (
        CaseNote.objects.filter(
            client=OuterRef("pk"), status=NoteStatus.SIGNED, client_present=True
        )
        .exclude(contact_type__in=INDIRECT_CONTACT_TYPES)
        .order_by("-contact_at")
        .values("contact_at")[:1]
    )
    open_referrals = (
        Referral.objects.filter(client=OuterRef("pk"), status__in=OPEN_REFERRAL_STATUSES)
        .order_by()
        .values("client")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return (
        clients_open_between(report_clients(user, team=team), date_from, date_to)
        .select_related("team", "primary_case_manager")
        .annotate(
            episode_enrolled_on=Subquery(episode.values("enrolled_on")[:1]),
            episode_discharged_on=Subquery(episode.values("discharged_on")[:1]),
            plan_status=Subquery(current_plan.values("status")[:1]),
            plan_review_due=Subquery(plan_in_force.values("review_due")[:1]),
            last_direct_contact_at=Subquery(last_direct_contact),
            has_open_crisis=Exists(
                CrisisEvent.objects.filter(client=OuterRef("pk"), closed_at__isnull=True)
            ),
            open_referrals=Coalesce(Subquery(open_referrals), Value(0)),
        )
        .order_by("team__name", "legal_last_name", "legal_first_name", "pk")
    )


def caseload_header() -> list[str]:
    return [
        _("Record number"),
        _("Name"),
        _("Team"),
        _("Primary case manager"),
        _("Status"),
        _("Enrolled on"),
        _("Discharged on"),
        _("Plan status"),
        _("Next plan review"),
        _("Last direct contact"),
        _("Open crisis"),
        _("Open referrals"),
    ]


def caseload_report(
    user: User, *, date_from: dt.date, date_to: dt.date, team: Team | None = None
) -> Report:
    zone = local_zone()
    rows: list[list[Cell]] = []
    ids: list[int] = []
    for client in caseload_clients(user, date_from=date_from, date_to=date_to, team=team):
        extra: Any = client
        ids.append(client.pk)
        rows.append(
            [
                client.record_number,
                client.display_name,
                client.team.name,
                str(client.primary_case_manager),
                str(ClientStatus(client.status).label),
                extra.episode_enrolled_on,
                extra.episode_discharged_on,
                str(PlanStatus(extra.plan_status).label) if extra.plan_status else _("No plan"),
                extra.plan_review_due,
                _local_day(extra.last_direct_contact_at, zone),
                _("yes") if extra.has_open_crisis else _("no"),
                extra.open_referrals,
            ]
        )
    return _report(ReportKind.CASELOAD, date_from, date_to, caseload_header(), rows, ids)


# --- Referral outcomes ---------------------------------------------------------------------


def referral_outcomes_header() -> list[str]:
    return [
        _("Record number"),
        _("Service"),
        _("Organization"),
        _("Sent on"),
        _("Status"),
        _("Accepted on"),
        _("Started on"),
        _("Completed on"),
        _("Outcome"),
        _("Days from sending to start"),
    ]


def referral_outcomes_report(
    user: User, *, date_from: dt.date, date_to: dt.date, team: Team | None = None
) -> Report:
    zone = local_zone()
    rows: list[list[Cell]] = []
    ids: list[int] = []
    referrals = referrals_sent_between(
        user, date_from=date_from, date_to=date_to, zone=zone, team=team
    )
    for referral in referrals:
        extra: Any = referral
        sent_on = _local_day(referral.sent_at, zone)
        started_on = referral.service_started_on
        organization = referral.service.organization
        ids.append(referral.client_id)
        rows.append(
            [
                referral.client.record_number,
                referral.service.name,
                organization.name if organization is not None else None,
                sent_on,
                str(ReferralStatus(referral.status).label),
                _local_day(extra.accepted_at, zone),
                started_on,
                _local_day(extra.completed_at, zone),
                str(Outcome(referral.outcome).label) if referral.outcome else None,
                (started_on - sent_on).days if started_on and sent_on else None,
            ]
        )
    return _report(
        ReportKind.REFERRAL_OUTCOMES, date_from, date_to, referral_outcomes_header(), rows, ids
    )


def _report(
    kind: ReportKind,
    date_from: dt.date,
    date_to: dt.date,
    header: list[str],
    rows: list[list[Cell]],
    client_ids: list[int],
) -> Report:
    return Report(
        kind=kind,
        date_from=date_from,
        date_to=date_to,
        header=header,
        rows=[[neutralise(value) for value in row] for row in rows],
        client_ids=sorted(set(client_ids)),
    )


BUILDERS = {
    ReportKind.CASELOAD: caseload_report,
    ReportKind.REFERRAL_OUTCOMES: referral_outcomes_report,
}


def build_report(
    user: User,
    *,
    kind: str,
    date_from: dt.date,
    date_to: dt.date,
    team: Team | None = None,
) -> Report:
    """The report `kind` for the range, within the user's export scope."""
    return BUILDERS[ReportKind(kind)](user, date_from=date_from, date_to=date_to, team=team)


# --- The access log ------------------------------------------------------------------------


def export_log_record(*, actor: User, report: Report, request: HttpRequest) -> int:
    """One access-log row per client in the export: who, when, from where, and the path,
    which names the report, the range, the team and the format. Returns the rows written."""
    return access_log_record_many(
        actor=actor, client_ids=report.client_ids, action=AccessAction.EXPORT, request=request
    )


# --- Writing the file ----------------------------------------------------------------------


class _Echo:
    """A file-like object whose write hands back the line, for streaming csv.writer."""

    def write(self, value: str) -> str:
        return value


def _csv_text(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def csv_response(report: Report) -> StreamingHttpResponse:
    """The report as CSV, streamed: UTF-8 with a byte-order mark so Excel reads the accents."""
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield "\ufeff"
        yield writer.writerow(report.header)
        for row in report.rows:
            yield writer.writerow([_csv_text(value) for value in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    return _attachment(response, report.filename(ExportFormat.CSV))


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Cell) -> SheetCell:
    cell = WriteOnlyCell(sheet, value=cast(Any, value))
    if isinstance(value, dt.date):
        cell.number_format = "yyyy-mm-dd"
    return cell


def xlsx_response(report: Report) -> HttpResponse:
    """The report as an Excel workbook: one sheet, the heading row in bold, dates as dates."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(ReportKind(report.kind).label)[:31])
    bold = Font(bold=True)
    heading = []
    for title in report.header:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        heading.append(cell)
    sheet.append(heading)
    for row in report.rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = BytesIO()
    workbook.save(buffer)
    response = HttpResponse(
        buffer.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    return _attachment(response, report.filename(ExportFormat.XLSX))


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> Any:
    response["Content-Disposition"] = content_disposition_header(True, filename)
    # Client records: never kept in a shared cache or the browser's.
    response["Cache-Control"] = "no-store"
    return response


def export_response(report: Report, export_format: str) -> HttpResponse | StreamingHttpResponse:
    if export_format == ExportFormat.XLSX:
        return xlsx_response(report)
    return csv_response(report)
