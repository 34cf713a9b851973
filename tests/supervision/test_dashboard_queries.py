"""The dashboard, each list behind a figure and the API answer in the same number of queries
however many case managers a team has and however many clients each carries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casemgmt.accounts.models import Team, User
from clients import services as client_services
from clients.models import Client
from referrals.models import Service

from ..factories import UserFactory, make_client
from ..notes.note_fixtures import draft_note
from ..referrals.referral_fixtures import make_service, release_for
from ..reminders.reminder_fixtures import at, on
from .test_dashboard_story import (
    ENROLLED,
    TODAY,
    active_plan,
    assessment,
    crisis,
    send,
    signed,
)

URL = reverse("supervision:dashboard")
FIGURES = ("active", "load", "plans", "follow-ups", "unsigned", "late", "contact", "awaiting")
API = ("/api/v1/dashboard/caseloads/", "/api/v1/dashboard/team/")


@pytest.fixture(autouse=True)
def _today() -> Iterator[None]:
    with on(TODAY):
        yield


@pytest.fixture
def service(team_north: Team) -> Service:
    agency = team_north.agency
    agency.plan_approval_required = False
    agency.save(update_fields=["plan_approval_required"])
    with on(ENROLLED):
        return make_service()


def busy_client(person: User, team: Team, service: Service) -> Client:
    """A client with something behind every figure: an overdue plan review, a referral
    waiting (and overdue) for an answer, an open crisis and safety flag, a high need, a
    late note and an overdue draft."""
    with on(ENROLLED):
        client = make_client(case_manager=person, team=team)
        base = assessment(client, person, on_day=ENROLLED, highs=1)
    with on(dt.date(2026, 2, 9)):
        plan = active_plan(client, person, base)
    with on(dt.date(2026, 6, 1)):
        release_for(client, person, service)
        send(client, person, plan, service)
        crisis(client, person)
        client_services.safety_flag_raise(actor=person, client=client, reason="Unsafe at home")
    signed(client, person, at(dt.date(2026, 5, 1), 10), dt.date(2026, 5, 6))
    with on(TODAY, 9):
        draft_note(client, person, contact_at=at(dt.date(2026, 6, 10), 10))
    return client


def _counts(http: HttpClient, person: User) -> dict[str, int]:
    urls = {
        "page": URL,
        **{f: reverse("supervision:drilldown", args=[person.pk, f]) for f in FIGURES},
        **{path: path for path in API},
    }
    counts = {}
    http.get(URL)  # warm up: the session, the first reads of the request cycle
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as captured:
            assert http.get(url).status_code == 200
        counts[name] = len(captured)
    return counts


def test_query_counts_do_not_grow_with_caseload_or_team(
    client: HttpClient,
    team_north: Team,
    case_manager: User,
    supervisor: User,
    service: Service,
) -> None:
    busy_client(case_manager, team_north, service)
    http = client
    http.force_login(supervisor)
    few = _counts(http, case_manager)

    for _ in range(3):
        busy_client(case_manager, team_north, service)
    more_clients = _counts(http, case_manager)
    assert more_clients == few

    for n in range(3):
        person = UserFactory.create(
            full_name=f"Extra Person {n}", is_case_manager=True, teams=[team_north]
        )
        busy_client(person, team_north, service)
    more_people = _counts(http, case_manager)
    assert more_people == few
    # A sanity bound: a fixed handful per figure, not per row.
    assert few["page"] <= 30, few
    assert max(few[f] for f in FIGURES) <= 15, few


def test_the_lists_hold_what_the_figures_count(
    client: HttpClient,
    team_north: Team,
    case_manager: User,
    supervisor: User,
    service: Service,
) -> None:
    for _ in range(3):
        busy_client(case_manager, team_north, service)
    client.force_login(supervisor)
    row = client.get(URL).context["caseloads"].rows[0]
    # Three busy clients: every count 3; load 3 * (1 + 3 crisis + 2 flag + 1 high need)
    # with the default weights = 21; each client last seen May 1: 30 + 15 = 45 days.
    assert {c.figure.slug: c.value for c in row.cells} == {
        "active": 3,
        "load": 21,
        "plans": 3,
        "follow-ups": 3,
        "unsigned": 3,
        "late": 3,
        "contact": 45,
        "awaiting": 3,
    }
    for figure in FIGURES:
        drill = client.get(reverse("supervision:drilldown", args=[case_manager.pk, figure]))
        assert drill.context["drill"].value == row.value(figure)
