"""/api/v1/referrals/ with status events, under the access policy."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client

from .referral_fixtures import draft_referral

pytestmark = pytest.mark.django_db


def _api(user: User) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def test_referrals_with_events_in_scope_only(
    case_manager: User,
    supervisor: User,
    other_team_case_manager: User,
    admin: User,
    north_client: Client,
) -> None:
    referral = draft_referral(north_client, case_manager, supervisor)
    listed = _api(case_manager).get("/api/v1/referrals/", {"client": north_client.pk}).json()
    assert [r["id"] for r in listed["results"]] == [referral.pk]
    one = _api(case_manager).get(f"/api/v1/referrals/{referral.pk}/").json()
    assert one["status"] == "draft" and one["events"][0]["to_status"] == "draft"
    assert one["events"][0]["actor"] == str(case_manager)
    assert AccessLog.objects.filter(action=AccessAction.API_VIEW).count() == 1
    for outsider in (other_team_case_manager, admin):
        assert _api(outsider).get(f"/api/v1/referrals/{referral.pk}/").status_code == 404
    assert _api(case_manager).post("/api/v1/referrals/", {}).status_code == 405


def test_list_query_count_is_flat(case_manager: User, supervisor: User, team_north: Team) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ..factories import make_client

    api = _api(case_manager)

    def add(n: int) -> None:
        for _ in range(n):
            draft_referral(
                make_client(case_manager=case_manager, team=team_north), case_manager, supervisor
            )

    add(2)
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/referrals/")
    add(6)
    with CaptureQueriesContext(connection) as many:
        api.get("/api/v1/referrals/")
    assert len(few) == len(many)
