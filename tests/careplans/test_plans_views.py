"""Plan pages: the access matrix, the journey through the pages, bad input, print and diff,
and query counts on the lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans.models import PlanStatus, ServicePlan
from careplans.services import plans as services
from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client

from ..factories import make_client
from .plan_fixtures import completed_assessment, plan_in_status

pytestmark = pytest.mark.django_db


def _as(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


READ_PAGES = ["careplans:plan_detail", "careplans:plan_print"]
WRITE_PAGES = [
    "careplans:plan_dates",
    "careplans:goal_new",
    "careplans:plan_meeting",
    "careplans:plan_finalize",
]


@pytest.mark.parametrize(
    ("role", "read", "write"),
    [
        ("case_manager", 200, 200),
        ("supervisor", 200, 200),
        ("teammate", 200, 403),
        ("other_team_case_manager", 404, 404),
        ("other_team_supervisor", 404, 404),
        ("admin", 404, 404),
    ],
)
def test_access_matrix(
    request: pytest.FixtureRequest,
    client: HttpClient,
    case_manager: User,
    north_client: Client,
    role: str,
    read: int,
    write: int,
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.DRAFT)
    _as(client, request.getfixturevalue(role))
    args = [north_client.pk, plan.pk]
    for name in READ_PAGES:
        assert client.get(reverse(name, args=args)).status_code == read, name
    for name in WRITE_PAGES:
        assert client.get(reverse(name, args=args)).status_code == write, name
    tab = client.get(reverse("careplans:plan_tab", args=[north_client.pk]))
    assert tab.status_code == (404 if read == 404 else 302)
    for url in (reverse("careplans:plans_due"),):
        assert client.get(url).status_code == (404 if role == "admin" else 200)


def test_approvals_page_is_for_supervisors(
    client: HttpClient, case_manager: User, supervisor: User, admin: User
) -> None:
    assert _as(client, case_manager).get(reverse("careplans:approvals")).status_code == 404
    assert _as(client, admin).get(reverse("careplans:approvals")).status_code == 404
    assert _as(client, supervisor).get(reverse("careplans:approvals")).status_code == 200


def test_out_of_scope_posts_change_nothing(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    other_team_supervisor: User,
    north_client: Client,
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.FINALIZED)
    _as(client, other_team_supervisor)
    response = client.post(reverse("careplans:plan_approve", args=[north_client.pk, plan.pk]))
    assert response.status_code == 404
    plan.refresh_from_db()
    assert plan.status == PlanStatus.FINALIZED


def test_journey_through_the_pages(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    assessment = completed_assessment(north_client, case_manager)
    _as(client, case_manager)
    start_page = client.get(reverse("careplans:plan_tab", args=[north_client.pk]))
    assert "Start the plan" in start_page.content.decode()
    today = timezone.localdate()
    response = client.post(
        reverse("careplans:plan_create", args=[north_client.pk]),
        {
            "assessment": assessment.pk,
            "service_start": today.isoformat(),
            "review_due": "",
            "early_review_reason": "",
        },
    )
    plan = ServicePlan.objects.get(client=north_client)
    assert response.status_code == 302 and plan.review_due == today + dt.timedelta(days=90)
    args = [north_client.pk, plan.pk]
    response = client.post(
        reverse("careplans:goal_new", args=args),
        {
            "domain": "housing",
            "client_words": "A place of my own",
            "indicator": "nights housed",
            "baseline": "0",
            "target": "30",
            "baseline_value": "0",
            "target_value": "30",
            "target_date": (today + dt.timedelta(days=120)).isoformat(),
            "review_date": plan.review_due.isoformat(),
        },
    )
    goal = plan.goals.get()
    assert response["Location"] == reverse("careplans:intervention_new", args=[*args, goal.pk])
    client.post(
        reverse("careplans:intervention_new", args=[*args, goal.pk]),
        {
            "description": "Housing application together",
            "staff": case_manager.pk,
            "provider": "",
            "frequency": "weekly",
            "starts_on": today.isoformat(),
        },
    )
    assert goal.interventions.count() == 1
    client.post(
        reverse("careplans:plan_meeting", args=args),
        {
            "meeting_date": today.isoformat(),
            "meeting_participants": "Maria, Casey",
            "client_participated": "on",
            "meeting_notes": "",
        },
    )
    client.post(
        reverse("careplans:plan_finalize", args=args), {"agreement": "signed", "agreement_note": ""}
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.FINALIZED
    queue = _as(HttpClient(), supervisor).get(reverse("careplans:approvals")).content.decode()
    assert north_client.display_name in queue
    _as(HttpClient(), supervisor).post(reverse("careplans:plan_approve", args=args))
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    client.post(reverse("careplans:plan_start_review", args=args))
    response = client.post(
        reverse("careplans:plan_review", args=args),
        {
            f"goal-{goal.pk}-progress": "in_progress",
            f"goal-{goal.pk}-current_value": "10 nights",
            f"goal-{goal.pk}-current_number": "10",
            f"goal-{goal.pk}-notes": "",
            "reviewed_on": today.isoformat(),
            "decision": "revise",
            "justification": "Add a goal for sleep.",
            "next_review_date": "",
            "early_review_reason": "",
        },
    )
    revision = ServicePlan.objects.get(client=north_client, version=2)
    assert response["Location"] == reverse(
        "careplans:plan_detail", args=[north_client.pk, revision.pk]
    )
    page = client.get(reverse("careplans:plan_detail", args=[north_client.pk, revision.pk]))
    body = page.content.decode()
    assert "Add a goal for sleep." in body and "Version 1" in body
    assert "<svg" in body  # the goal's indicator charted: baseline 0, review 10


def test_bad_input_is_shown_beside_the_fields_and_saves_nothing(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.DRAFT)
    _as(client, case_manager)
    args = [north_client.pk, plan.pk]
    response = client.post(
        reverse("careplans:goal_new", args=args),
        {
            "domain": "",
            "client_words": "",
            "indicator": "x",
            "baseline": "0",
            "target": "1",
            "target_date": "not a date",
            "review_date": (plan.review_due + dt.timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"domain", "client_words", "target_date"} <= set(errors)
    assert "There is a problem" in response.content.decode()
    assert plan.goals.count() == 1
    response = client.post(
        reverse("careplans:plan_dates", args=args),
        {
            "service_start": plan.service_start.isoformat(),
            "review_due": (plan.service_start + dt.timedelta(days=120)).isoformat(),
            "early_review_reason": "",
        },
    )
    assert "review_due" in response.context["form"].errors
    response = client.post(reverse("careplans:plan_finalize", args=args), {"agreement": "signed"})
    assert "Record the planning meeting before finalizing" in response.content.decode()
    plan.refresh_from_db()
    assert plan.status == PlanStatus.DRAFT


def test_print_and_views_are_logged(
    client: HttpClient, teammate: User, case_manager: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.DRAFT)
    _as(client, teammate)
    client.get(reverse("careplans:plan_detail", args=[north_client.pk, plan.pk]))
    printed = client.get(reverse("careplans:plan_print", args=[north_client.pk, plan.pk]))
    assert (
        "A place of my own" in printed.content.decode()
        or plan.goals.get().client_words in printed.content.decode()
    )
    actions = list(AccessLog.objects.filter(user=teammate).values_list("action", flat=True))
    assert sorted(actions) == sorted([AccessAction.VIEW, AccessAction.PRINT])


def test_diff_page_shows_what_changed_and_why(
    client: HttpClient, case_manager: User, supervisor: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    revision = services.plan_revise(
        actor=case_manager, plan=plan, reason="Weekly is too much; fortnightly."
    )
    intervention = revision.goals.get().interventions.get()
    services.intervention_save(
        actor=case_manager,
        goal=intervention.goal,
        intervention=intervention,
        data={"frequency": "fortnightly"},
    )
    _as(client, case_manager)
    body = client.get(
        reverse("careplans:plan_diff", args=[north_client.pk, revision.pk])
    ).content.decode()
    assert "Weekly is too much; fortnightly." in body
    assert "<del>weekly</del>" in body and "<ins>fortnightly</ins>" in body
    first = client.get(reverse("careplans:plan_diff", args=[north_client.pk, plan.pk]))
    assert first.status_code == 404


def _count(http: HttpClient, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert http.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url_name", ["careplans:plans_due", "careplans:approvals"])
def test_list_query_counts_do_not_grow(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    team_north: Team,
    url_name: str,
) -> None:
    def add(n: int) -> None:
        for _ in range(n):
            c = make_client(case_manager=case_manager, team=team_north)
            status = (
                PlanStatus.FINALIZED if url_name == "careplans:approvals" else PlanStatus.ACTIVE
            )
            plan = plan_in_status(c, case_manager, status, approver=supervisor)
            ServicePlan.objects.filter(pk=plan.pk).update(review_due=timezone.localdate())

    viewer = supervisor if url_name == "careplans:approvals" else case_manager
    _as(client, viewer)
    add(2)
    few = _count(client, reverse(url_name))
    add(8)
    many = _count(client, reverse(url_name))
    assert few == many


def test_plan_page_query_count_does_not_grow_with_goals(
    client: HttpClient,
    case_manager: User,
    north_client: Client,
    django_assert_max_num_queries: Any,
) -> None:
    from .plan_fixtures import goal_data, intervention_data

    plan = plan_in_status(north_client, case_manager, PlanStatus.DRAFT)
    _as(client, case_manager)
    url = reverse("careplans:plan_detail", args=[north_client.pk, plan.pk])
    one = _count(client, url)
    for n in range(5):
        goal = services.goal_save(
            actor=case_manager, plan=plan, data=goal_data(plan, client_words=f"Goal {n}")
        )
        services.intervention_save(
            actor=case_manager, goal=goal, data=intervention_data(plan, case_manager)
        )
    assert _count(client, url) == one
