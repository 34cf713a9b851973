"""Reports: the caseload and referral outcomes for a date range, within scope (a supervisor
their teams, a case manager their own clients only), as CSV and XLSX read back row by row;
formula neutralisation; the access log; bad input beside its field; and query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from careplans.models import PlanStatus
from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from casemgmt.supervision import reports
from clients import services as client_services
from clients.models import Client, CrisisEvent
from notes.models import ContactType
from referrals.models import Referral, Service
from referrals.services import referrals as referral_services

from ..careplans.plan_fixtures import plan_in_status
from ..factories import client_data
from ..notes.note_fixtures import signed_note
from ..referrals.referral_fixtures import make_service, release_for

pytestmark = pytest.mark.django_db

URL = "/supervision/reports/"
ZONE = ZoneInfo(settings.TIME_ZONE)
TODAY = dt.datetime(2024, 6, 15, 12, 0, tzinfo=ZONE)
RANGE = {"date_from": "2024-03-01", "date_to": "2024-05-31"}

CASELOAD_HEADER = [
    "Record number",
    "Name",
    "Team",
    "Primary case manager",
    "Status",
    "Enrolled on",
    "Discharged on",
    "Plan status",
    "Next plan review",
    "Last direct contact",
    "Open crisis",
    "Open referrals",
]
OUTCOMES_HEADER = [
    "Record number",
    "Service",
    "Organization",
    "Sent on",
    "Status",
    "Accepted on",
    "Started on",
    "Completed on",
    "Outcome",
    "Days from sending to start",
]


def at(day: str, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), tzinfo=ZONE)


def enrol(
    case_manager: User, team: Team, first: str, last: str, enrolled: str, **extra: Any
) -> Client:
    data = client_data(
        team=team,
        primary_case_manager=case_manager,
        legal_first_name=first,
        legal_last_name=last,
        **extra,
    )
    return client_services.client_intake(
        actor=case_manager, data=data, enrolled_on=dt.date.fromisoformat(enrolled)
    )


def discharge(client: Client, actor: User, day: str) -> None:
    client_services.episode_discharge(
        actor=actor,
        client=client,
        discharged_on=dt.date.fromisoformat(day),
        reason="goals_met",
        plan="Follow up with primary care.",
    )


def open_crisis(client: Client, actor: User) -> CrisisEvent:
    return CrisisEvent.objects.create(
        client=client,
        occurred_at=at("2024-06-01"),
        distress_level="acute",
        description="Called in distress after an eviction notice.",
        actions=["responded"],
        outcome="stabilized",
        follow_up_on=dt.date(2024, 6, 20),
        recorded_by=actor,
    )


def referral_data(today: dt.date) -> dict[str, Any]:
    return {
        "reason": "Needs housing",
        "presenting_issue_summary": "Facing eviction.",
        "desired_services": "Rapid re-housing",
        "urgency": "urgent",
        "target_date": today + dt.timedelta(days=30),
        "review_date": today + dt.timedelta(days=14),
    }


def draft(client: Client, actor: User, service: Service) -> Referral:
    goal = client.plans.get(status=PlanStatus.ACTIVE).goals.get()
    return referral_services.referral_create(
        actor=actor,
        goal=goal,
        service=service,
        offered=[service],
        data=referral_data(timezone.localdate()),
    )


def send(client: Client, actor: User, service: Service, when: dt.datetime) -> Referral:
    with time_machine.travel(when, tick=False):
        referral = draft(client, actor, service)
        release_for(client, actor, service)
        sent, _token = referral_services.referral_send(
            actor=actor, referral=referral, provider_email="intake@provider.example"
        )
    return sent


def provider_step(referral: Referral, when: dt.datetime, action: str, **kwargs: Any) -> None:
    with time_machine.travel(when, tick=False):
        referral_services.referral_act(
            actor=referral_services.Actor(label="Provider (link)"),
            referral=referral,
            action=action,
            **kwargs,
        )


def login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


def csv_rows(response: Any) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def xlsx_rows(response: Any) -> tuple[Any, list[list[Any]]]:
    workbook = load_workbook(io.BytesIO(response.content))
    sheet = workbook.active
    assert sheet is not None
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def as_text(row: list[Any]) -> list[str]:
    """A row as the CSV writes it: dates in ISO form, nothing as an empty cell."""
    return ["" if v is None else v.isoformat() if isinstance(v, dt.date) else str(v) for v in row]


def as_sheet(row: list[Any]) -> list[Any]:
    """A row as the workbook reads back: a date cell is a datetime at midnight."""
    return [dt.datetime.combine(v, dt.time()) if isinstance(v, dt.date) else v for v in row]


# --- The caseload ------------------------------------------------------------------------------


@dataclass
class Caseload:
    ana: Client
    ben: Client
    cal: Client
    dee: Client
    eve: Client
    tia: Client
    sol: Client


@pytest.fixture
def caseload(
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
    team_north: Team,
    team_south: Team,
) -> Iterator[Caseload]:
    """Seen on 2024-06-15 for March to May 2024: Ana active with a plan, a crisis and one
    open referral; Ben discharged in the range; Cal discharged before it; Dee enrolled
    after it; Eve re-enrolled in it; Tia the teammate's client; Sol on the other team."""
    with time_machine.travel(TODAY, tick=False):
        ana = enrol(case_manager, team_north, "Ana", "Alvarez", "2024-01-10")
        ben = enrol(case_manager, team_north, "Ben", "Brown", "2024-02-01")
        discharge(ben, case_manager, "2024-03-20")
        cal = enrol(case_manager, team_north, "Cal", "Clark", "2023-01-01")
        discharge(cal, case_manager, "2024-02-15")
        dee = enrol(case_manager, team_north, "Dee", "Diaz", "2024-06-10")
        eve = enrol(case_manager, team_north, "Eve", "Evans", "2023-06-01")
        discharge(eve, case_manager, "2023-12-01")
        client_services.episode_reenrol(
            actor=case_manager, client=eve, enrolled_on=dt.date(2024, 4, 1)
        )
        tia = enrol(teammate, team_north, "Tia", "Thomas", "2024-01-05")
        sol = enrol(other_team_case_manager, team_south, "Sol", "South", "2024-01-05")

        plan_in_status(ana, case_manager, PlanStatus.ACTIVE, approver=supervisor)
        signed_note(ana, case_manager, contact_at=at("2024-06-10", 15))
        signed_note(
            ana, case_manager, contact_at=at("2024-06-12"), contact_type=ContactType.ATTEMPTED
        )
        signed_note(
            ana, case_manager, contact_at=at("2024-06-13"), contact_type=ContactType.PROVIDER
        )
        signed_note(ana, case_manager, contact_at=at("2024-06-14"), client_present=False)
        open_crisis(ana, case_manager)
        service = make_service()
        draft(ana, case_manager, service)
        cancelled = draft(ana, case_manager, service)
        referral_services.referral_act(
            actor=referral_services.Actor(user=case_manager),
            referral=cancelled,
            action="cancel",
            note="The client chose another program.",
        )
        yield Caseload(ana=ana, ben=ben, cal=cal, dee=dee, eve=eve, tia=tia, sol=sol)


def caseload_rows(story: Caseload) -> dict[str, list[Any]]:
    no_plan: list[Any] = ["No plan", None, None, "no", 0]
    return {
        "ana": [
            story.ana.record_number,
            "Ana Alvarez",
            "North",
            "Casey North",
            "Active",
            dt.date(2024, 1, 10),
            None,
            "Active",
            dt.date(2024, 9, 13),
            dt.date(2024, 6, 10),
            "yes",
            1,
        ],
        "ben": [
            story.ben.record_number,
            "Ben Brown",
            "North",
            "Casey North",
            "Discharged",
            dt.date(2024, 2, 1),
            dt.date(2024, 3, 20),
            *no_plan,
        ],
        "eve": [
            story.eve.record_number,
            "Eve Evans",
            "North",
            "Casey North",
            "Active",
            dt.date(2024, 4, 1),
            None,
            *no_plan,
        ],
        "tia": [
            story.tia.record_number,
            "Tia Thomas",
            "North",
            "Terry Mate",
            "Active",
            dt.date(2024, 1, 5),
            None,
            *no_plan,
        ],
    }


def test_supervisor_caseload_csv_has_the_teams_clients_open_in_the_range(
    client: HttpClient, supervisor: User, caseload: Caseload
) -> None:
    response = login(client, supervisor).get(
        URL, {"report": "caseload", **RANGE, "export_format": "csv"}
    )
    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="caseload_2024-03-01_2024-05-31.csv"'
    )
    assert response["Cache-Control"] == "no-store"
    expected = caseload_rows(caseload)
    assert csv_rows(response) == [
        CASELOAD_HEADER,
        *(as_text(expected[k]) for k in ("ana", "ben", "eve", "tia")),
    ]


def test_case_manager_caseload_has_only_their_own_clients(
    client: HttpClient, case_manager: User, caseload: Caseload
) -> None:
    response = login(client, case_manager).get(
        URL, {"report": "caseload", **RANGE, "export_format": "csv"}
    )
    expected = caseload_rows(caseload)
    rows = csv_rows(response)
    assert rows == [CASELOAD_HEADER, *(as_text(expected[k]) for k in ("ana", "ben", "eve"))]
    exported = {row[0] for row in rows[1:]}
    assert caseload.tia.record_number not in exported
    assert caseload.sol.record_number not in exported


def test_caseload_xlsx_reads_back_with_real_dates_and_a_bold_heading(
    client: HttpClient, supervisor: User, caseload: Caseload
) -> None:
    response = login(client, supervisor).get(
        URL, {"report": "caseload", **RANGE, "export_format": "xlsx"}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"] == (
        'attachment; filename="caseload_2024-03-01_2024-05-31.xlsx"'
    )
    sheet, rows = xlsx_rows(response)
    expected = caseload_rows(caseload)
    assert sheet.title == "Caseload"
    assert rows == [
        CASELOAD_HEADER,
        *(as_sheet(expected[k]) for k in ("ana", "ben", "eve", "tia")),
    ]
    assert all(cell.font.b for cell in sheet[1])
    assert not sheet["A2"].font.b
    assert sheet["F2"].is_date and sheet["F2"].number_format == "yyyy-mm-dd"


def test_a_team_narrows_the_report(
    client: HttpClient,
    supervisor: User,
    other_team_supervisor: User,
    team_north: Team,
    team_south: Team,
    caseload: Caseload,
) -> None:
    team_south.supervisors.add(supervisor)
    http = login(client, supervisor)
    both = csv_rows(http.get(URL, {"report": "caseload", **RANGE, "export_format": "csv"}))
    assert [row[0] for row in both[1:]] == [
        caseload.ana.record_number,
        caseload.ben.record_number,
        caseload.eve.record_number,
        caseload.tia.record_number,
        caseload.sol.record_number,
    ]
    south = csv_rows(
        http.get(
            URL, {"report": "caseload", **RANGE, "export_format": "csv", "team": str(team_south.pk)}
        )
    )
    assert [row[0] for row in south[1:]] == [caseload.sol.record_number]


def test_every_export_is_in_the_access_log(
    client: HttpClient, supervisor: User, case_manager: User, caseload: Caseload
) -> None:
    query = {"report": "caseload", **RANGE, "export_format": "xlsx"}
    login(client, supervisor).get(URL, query, HTTP_USER_AGENT="Report test")
    rows = list(AccessLog.objects.order_by("client_id"))
    assert [row.client_id for row in rows] == sorted(
        c.pk for c in (caseload.ana, caseload.ben, caseload.eve, caseload.tia)
    )
    path = (
        "/supervision/reports/?report=caseload&date_from=2024-03-01&date_to=2024-05-31"
        "&export_format=xlsx"
    )
    assert {(r.user_id, r.action, r.path, r.user_agent) for r in rows} == {
        (supervisor.pk, AccessAction.EXPORT, path, "Report test")
    }
    assert len({r.at for r in rows}) == 1
    login(client, case_manager).get(URL, {**query, "report": "referral_outcomes"})
    assert AccessLog.objects.filter(user=case_manager).count() == 0  # no referral in range


def test_formula_like_text_is_neutralised_in_both_formats(
    client: HttpClient, supervisor: User, case_manager: User, team_north: Team
) -> None:
    with time_machine.travel(TODAY, tick=False):
        risky = enrol(
            case_manager,
            team_north,
            "Zed",
            "Zimmer",
            "2024-01-10",
            preferred_name='=HYPERLINK("http://evil.example","x")',
        )
    name = '\'=HYPERLINK("http://evil.example","x") Zimmer'
    http = login(client, supervisor)
    query = {"report": "caseload", **RANGE}
    rows = csv_rows(http.get(URL, {**query, "export_format": "csv"}))
    assert rows[1][:2] == [risky.record_number, name]
    sheet, values = xlsx_rows(http.get(URL, {**query, "export_format": "xlsx"}))
    assert values[1][:2] == [risky.record_number, name]
    assert sheet["B2"].data_type == "s"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+2", "'=1+2"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ana = Alvarez", "Ana = Alvarez"),
        ("", ""),
        (-3, -3),
        (dt.date(2024, 1, 1), dt.date(2024, 1, 1)),
        (None, None),
    ],
)
def test_neutralise(value: Any, expected: Any) -> None:
    assert reports.neutralise(value) == expected


# --- Referral outcomes ----------------------------------------------------------------------------


@dataclass
class Outcomes:
    ana: Client
    tia: Client
    completed: Referral
    late_evening: Referral


@pytest.fixture
def outcomes(
    case_manager: User,
    teammate: User,
    supervisor: User,
    other_team_case_manager: User,
    other_team_supervisor: User,
    team_north: Team,
    team_south: Team,
) -> Outcomes:
    """March 2024: a completed referral for Ana (case manager), one sent late on 31 March
    for Tia (teammate); outside: Ana's referrals of 20 February and just after midnight on
    1 April, and one of the other team."""
    with time_machine.travel(at("2024-02-01"), tick=False):
        ana = enrol(case_manager, team_north, "Ana", "Alvarez", "2024-01-10")
        tia = enrol(teammate, team_north, "Tia", "Thomas", "2024-01-05")
        sol = enrol(other_team_case_manager, team_south, "Sol", "South", "2024-01-05")
        plan_in_status(ana, case_manager, PlanStatus.ACTIVE, approver=supervisor)
        plan_in_status(tia, teammate, PlanStatus.ACTIVE, approver=supervisor)
        plan_in_status(
            sol, other_team_case_manager, PlanStatus.ACTIVE, approver=other_team_supervisor
        )
        housing = make_service()
        pantry = make_service("-Food Pantry")
    send(ana, case_manager, housing, at("2024-02-20"))
    completed = send(ana, case_manager, housing, at("2024-03-04"))
    provider_step(completed, at("2024-03-05", 9), "accept")
    provider_step(completed, at("2024-03-12", 9), "start", on=dt.date(2024, 3, 11))
    provider_step(completed, at("2024-04-01", 9), "complete", outcome="connected")
    late_evening = send(tia, teammate, pantry, at("2024-03-31", 23, 30))
    send(ana, case_manager, housing, at("2024-04-01", 0, 30))
    send(sol, other_team_case_manager, housing, at("2024-03-10"))
    return Outcomes(ana=ana, tia=tia, completed=completed, late_evening=late_evening)


def outcome_rows(story: Outcomes) -> list[list[Any]]:
    return [
        [
            story.ana.record_number,
            "Rapid Re-Housing",
            "Rapid Re-Housing Org",
            dt.date(2024, 3, 4),
            "Completed",
            dt.date(2024, 3, 5),
            dt.date(2024, 3, 11),
            dt.date(2024, 4, 1),
            "Connected to the service",
            7,
        ],
        [
            story.tia.record_number,
            "'-Food Pantry",
            "'-Food Pantry Org",
            dt.date(2024, 3, 31),
            "Sent",
            None,
            None,
            None,
            None,
            None,
        ],
    ]


MARCH = {"date_from": "2024-03-01", "date_to": "2024-03-31"}


def test_supervisor_referral_outcomes_in_both_formats(
    client: HttpClient, supervisor: User, outcomes: Outcomes
) -> None:
    http = login(client, supervisor)
    query = {"report": "referral_outcomes", **MARCH}
    response = http.get(URL, {**query, "export_format": "csv"})
    assert response["Content-Disposition"] == (
        'attachment; filename="referral-outcomes_2024-03-01_2024-03-31.csv"'
    )
    expected = outcome_rows(outcomes)
    assert csv_rows(response) == [OUTCOMES_HEADER, *(as_text(row) for row in expected)]
    sheet, rows = xlsx_rows(http.get(URL, {**query, "export_format": "xlsx"}))
    assert sheet.title == "Referral outcomes"
    assert rows == [OUTCOMES_HEADER, *(as_sheet(row) for row in expected)]
    assert sheet["B3"].data_type == "s" and sheet["B3"].value == "'-Food Pantry"
    logged = AccessLog.objects.filter(user=supervisor, action=AccessAction.EXPORT)
    assert sorted(logged.values_list("client_id", flat=True)) == sorted(
        [outcomes.ana.pk, outcomes.tia.pk] * 2
    )


def test_case_manager_referral_outcomes_leave_out_a_teammates_client(
    client: HttpClient, case_manager: User, outcomes: Outcomes
) -> None:
    response = login(client, case_manager).get(
        URL, {"report": "referral_outcomes", **MARCH, "export_format": "csv"}
    )
    assert csv_rows(response) == [OUTCOMES_HEADER, as_text(outcome_rows(outcomes)[0])]
    assert list(AccessLog.objects.values_list("client_id", flat=True)) == [outcomes.ana.pk]


# --- The page and bad input --------------------------------------------------------------------


def test_the_page_offers_the_users_teams(
    client: HttpClient, supervisor: User, case_manager: User, team_north: Team, team_south: Team
) -> None:
    with time_machine.travel(TODAY, tick=False):
        page = login(client, supervisor).get(URL)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'value="2024-06-01"' in html and 'value="2024-06-15"' in html
    assert f'<option value="{team_north.pk}">North</option>' in html
    assert f'value="{team_south.pk}"' not in html
    assert "The reports include the clients of the teams you supervise." in html
    mine = unescape(login(client, case_manager).get(URL).content.decode())
    assert "The reports include your own clients; your teammates' clients are left out." in mine
    assert AccessLog.objects.count() == 0


@pytest.mark.parametrize("role", ["admin"])
def test_staff_without_a_clinical_role_get_404(
    request: pytest.FixtureRequest, client: HttpClient, role: str
) -> None:
    http = login(client, request.getfixturevalue(role))
    assert http.get(URL).status_code == 404
    assert http.get(URL, {"report": "caseload", **RANGE, "export_format": "csv"}).status_code == 404


def field_error(html: str, field: str) -> str:
    match = re.search(
        rf'<(?:span|div|p) id="error_1_id_{field}"[^>]*>\s*(?:<strong>)?(.*?)(?:</strong>)?\s*</',
        html,
        re.S,
    )
    return unescape(match.group(1)).strip() if match else ""


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"date_from": "2024-05-31", "date_to": "2024-03-01"},
            "date_to",
            "The end of the range cannot be before its start.",
        ),
        (
            {"date_from": "2020-01-01", "date_to": "2024-01-02"},
            "date_to",
            "A report covers at most three years; choose a shorter range.",
        ),
        ({"date_from": "", "date_to": "2024-03-01"}, "date_from", "This field is required."),
        ({"date_from": "2024-13-45", "date_to": "2024-03-01"}, "date_from", "Enter a valid date."),
        ({**RANGE, "report": "everything"}, "report", "Select a valid choice."),
        ({**RANGE, "export_format": "pdf"}, "export_format", "Select a valid choice."),
    ],
)
def test_bad_input_is_shown_beside_its_field(
    client: HttpClient,
    supervisor: User,
    caseload: Caseload,
    query: dict[str, str],
    field: str,
    message: str,
) -> None:
    response = login(client, supervisor).get(
        URL, {"report": "caseload", "export_format": "csv", **query}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert field_error(html, field).startswith(message), html
    assert "There is a problem" in html
    assert AccessLog.objects.count() == 0


def test_a_team_outside_the_scope_is_refused(
    client: HttpClient, supervisor: User, team_south: Team, caseload: Caseload
) -> None:
    response = login(client, supervisor).get(
        URL, {"report": "caseload", **RANGE, "export_format": "csv", "team": str(team_south.pk)}
    )
    assert response.status_code == 400
    assert field_error(response.content.decode(), "team").startswith("Select a valid choice.")
    assert AccessLog.objects.count() == 0


def test_three_years_exactly_is_allowed(
    client: HttpClient, supervisor: User, caseload: Caseload
) -> None:
    response = login(client, supervisor).get(
        URL,
        {
            "report": "caseload",
            "date_from": "2021-06-01",
            "date_to": "2024-06-01",
            "export_format": "csv",
        },
    )
    assert response.status_code == 200
    # Ana, Ben, Cal (discharged in February 2024), Eve and Tia; Dee enrolled after the range.
    assert len(csv_rows(response)) == 1 + 5
    too_long = login(client, supervisor).get(
        URL,
        {
            "report": "caseload",
            "date_from": "2021-06-01",
            "date_to": "2024-06-04",
            "export_format": "csv",
        },
    )
    assert too_long.status_code == 400


# --- Query counts ----------------------------------------------------------------------------


def test_report_rows_take_a_fixed_number_of_queries(
    client: HttpClient,
    supervisor: User,
    case_manager: User,
    team_north: Team,
    caseload: Caseload,
    outcomes: Outcomes,
) -> None:
    def measure(kind: str, date_from: dt.date, date_to: dt.date) -> tuple[int, int]:
        user = User.objects.get(pk=supervisor.pk)
        with CaptureQueriesContext(connection) as queries:
            built = reports.build_report(user, kind=kind, date_from=date_from, date_to=date_to)
        return len(queries), len(built.rows)

    march = (dt.date(2024, 3, 1), dt.date(2024, 3, 31))
    spring = (dt.date(2024, 3, 1), dt.date(2024, 5, 31))
    few_caseload = measure("caseload", *spring)
    few_outcomes = measure("referral_outcomes", *march)
    http = login(client, supervisor)
    query = {"report": "caseload", **RANGE, "export_format": "xlsx"}
    http.get(URL, query)
    with CaptureQueriesContext(connection) as few_download:
        http.get(URL, query)

    with time_machine.travel(at("2024-02-01"), tick=False):
        more = [
            enrol(case_manager, team_north, f"New{n}", "Person", "2024-01-10") for n in range(3)
        ]
        service = make_service()
        for extra in more:
            plan_in_status(extra, case_manager, PlanStatus.ACTIVE, approver=supervisor)
            signed_note(extra, case_manager, contact_at=at("2024-01-31"))
            open_crisis(extra, case_manager)
    for extra in more:
        referral = send(extra, case_manager, service, at("2024-03-15"))
        provider_step(referral, at("2024-03-16"), "accept")
    many_caseload = measure("caseload", *spring)
    many_outcomes = measure("referral_outcomes", *march)
    with CaptureQueriesContext(connection) as many_download:
        http.get(URL, query)

    assert many_caseload[1] == few_caseload[1] + 3 and many_outcomes[1] == few_outcomes[1] + 3
    assert many_caseload[0] == few_caseload[0]
    assert many_outcomes[0] == few_outcomes[0]
    assert len(many_download) == len(few_download), [
        q["sql"] for q in many_download.captured_queries
    ]
