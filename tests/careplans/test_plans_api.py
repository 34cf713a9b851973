"""/api/v1/plans/ under the access policy, with goals and interventions nested."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from careplans.models import PlanStatus
from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client

from ..factories import make_client
from .plan_fixtures import plan_in_status

pytestmark = pytest.mark.django_db


def _api(user: User) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_list_and_retrieve_in_scope(
    case_manager: User, other_team_case_manager: User, admin: User, north_client: Client
) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.MEETING_RECORDED)
    body = _api(case_manager).get("/api/v1/plans/", {"client": north_client.pk}).json()
    assert [p["id"] for p in body["results"]] == [plan.pk]
    detail = _api(case_manager).get(f"/api/v1/plans/{plan.pk}/").json()
    assert detail["status"] == "meeting_recorded"
    goal = detail["goals"][0]
    assert goal["indicator"] == "nights in own housing per month"
    assert goal["interventions"][0]["frequency"] == "weekly"
    assert AccessLog.objects.filter(user=case_manager, action=AccessAction.API_VIEW).exists()
    for outsider in (other_team_case_manager, admin):
        assert _api(outsider).get(f"/api/v1/plans/{plan.pk}/").status_code == 404
        assert _api(outsider).get("/api/v1/plans/").json()["count"] == 0


def test_plans_cannot_be_written_through_the_api(case_manager: User, north_client: Client) -> None:
    plan = plan_in_status(north_client, case_manager, PlanStatus.DRAFT)
    api = _api(case_manager)
    assert api.patch(f"/api/v1/plans/{plan.pk}/", {"status": "active"}).status_code == 405
    assert api.post("/api/v1/plans/", {}).status_code == 405


def test_list_query_count_is_flat(case_manager: User, team_north: Team) -> None:
    api = _api(case_manager)

    def add(n: int) -> None:
        for _ in range(n):
            plan_in_status(
                make_client(case_manager=case_manager, team=team_north),
                case_manager,
                PlanStatus.DRAFT,
            )

    add(2)
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/plans/")
    add(8)
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/plans/")
    assert len(few) == len(many)


def test_schema_lists_the_careplans_endpoints(case_manager: User) -> None:
    paths = _api(case_manager).get("/api/schema/", {"format": "json"}).json()["paths"]
    for path in ("/api/v1/plans/", "/api/v1/assessments/", "/api/v1/measures/"):
        assert path in paths
