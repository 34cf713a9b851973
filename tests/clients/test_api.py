"""/api/v1/clients/ under the access policy, with session and token authentication."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client

from ..factories import make_client

pytestmark = pytest.mark.django_db


def _api(user: User | None = None, *, token: bool = False) -> APIClient:
    api = APIClient()
    if user is not None:
        if token:
            api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        else:
            api.force_login(user)
    return api


def _payload(team: Team, manager: User, **overrides: Any) -> dict[str, Any]:
    data = {
        "legal_first_name": "Luis",
        "legal_last_name": "Ferreira",
        "date_of_birth": "1988-11-02",
        "primary_language": "Portuguese",
        "other_languages": ["English"],
        "payer_type": "medicaid",
        "presenting_issue": "Needs help applying for benefits.",
        "referral_source": "community",
        "team": team.pk,
        "primary_case_manager": manager.pk,
    }
    data.update(overrides)
    return data


def test_anonymous_is_refused() -> None:
    assert _api().get("/api/v1/clients/").status_code in (401, 403)


def test_list_is_scoped(
    case_manager: User,
    other_team_case_manager: User,
    team_north: Team,
    team_south: Team,
    admin: User,
) -> None:
    mine = make_client(case_manager=case_manager, team=team_north)
    make_client(case_manager=other_team_case_manager, team=team_south)
    body = _api(case_manager).get("/api/v1/clients/").json()
    assert [row["record_number"] for row in body["results"]] == [mine.record_number]
    assert _api(admin).get("/api/v1/clients/").json()["count"] == 0


@pytest.mark.parametrize("use_token", [False, True])
def test_retrieve_in_scope_and_404_outside(
    case_manager: User,
    other_team_case_manager: User,
    admin: User,
    north_client: Client,
    use_token: bool,
) -> None:
    ok = _api(case_manager, token=use_token).get(f"/api/v1/clients/{north_client.pk}/")
    assert ok.status_code == 200
    assert ok.json()["record_number"] == north_client.record_number
    assert AccessLog.objects.filter(action=AccessAction.API_VIEW, user=case_manager).count() == 1
    for outsider in (other_team_case_manager, admin):
        response = _api(outsider, token=use_token).get(f"/api/v1/clients/{north_client.pk}/")
        assert response.status_code == 404


def test_create_through_the_intake_service(case_manager: User, team_north: Team) -> None:
    response = _api(case_manager, token=True).post(
        "/api/v1/clients/", _payload(team_north, case_manager), format="json"
    )
    assert response.status_code == 201, response.json()
    created = Client.objects.get(pk=response.json()["id"])
    assert created.record_number.startswith("CW-")
    assert created.episodes.count() == 1
    assert created.history.get().history_user == case_manager


def test_create_bad_input_is_400_with_field_errors(case_manager: User, team_north: Team) -> None:
    future = (dt.date.today() + dt.timedelta(days=10)).isoformat()  # noqa: DTZ011
    response = _api(case_manager).post(
        "/api/v1/clients/",
        _payload(team_north, case_manager, date_of_birth=future, email="nope", legal_last_name=""),
        format="json",
    )
    assert response.status_code == 400
    assert {"date_of_birth", "email", "legal_last_name"} <= set(response.json())
    assert not Client.objects.exists()


def test_create_for_another_team_is_refused(
    case_manager: User, team_south: Team, other_team_case_manager: User
) -> None:
    response = _api(case_manager).post(
        "/api/v1/clients/", _payload(team_south, other_team_case_manager), format="json"
    )
    assert response.status_code == 403
    assert not Client.objects.exists()


def test_create_reports_possible_duplicates_until_confirmed(
    case_manager: User, team_north: Team
) -> None:
    make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Luis",
        legal_last_name="Ferreira",
        date_of_birth=dt.date(1988, 11, 2),
    )
    api = _api(case_manager)
    first = api.post("/api/v1/clients/", _payload(team_north, case_manager), format="json")
    assert first.status_code == 409
    assert len(first.json()["possible_duplicates"]) == 1
    second = api.post(
        "/api/v1/clients/",
        _payload(team_north, case_manager, confirm_not_duplicate=True),
        format="json",
    )
    assert second.status_code == 201


def test_update_needs_the_current_version(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    url = f"/api/v1/clients/{north_client.pk}/"
    read = _api(case_manager).get(url).json()
    saved = _api(supervisor).patch(
        url, {"phone": "305-555-4444", "version": read["version"]}, format="json"
    )
    assert saved.status_code == 200
    stale = _api(case_manager).patch(
        url, {"phone": "305-555-5555", "version": read["version"]}, format="json"
    )
    assert stale.status_code == 409
    assert stale.json()["changed_fields"] == ["phone"]
    north_client.refresh_from_db()
    assert north_client.phone == "305-555-4444"
    missing = _api(case_manager).patch(url, {"phone": "1"}, format="json")
    assert missing.status_code == 400


def test_teammate_cannot_update_and_outsider_gets_404(
    teammate: User, other_team_case_manager: User, north_client: Client
) -> None:
    url = f"/api/v1/clients/{north_client.pk}/"
    body = {"phone": "1", "version": north_client.version}
    assert _api(teammate).patch(url, body, format="json").status_code == 403
    assert _api(other_team_case_manager).patch(url, body, format="json").status_code == 404


def test_delete_is_not_offered(case_manager: User, north_client: Client) -> None:
    assert _api(case_manager).delete(f"/api/v1/clients/{north_client.pk}/").status_code == 405


def test_schema_and_docs(case_manager: User) -> None:
    api = _api(case_manager)
    schema = api.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    assert "/api/v1/clients/" in schema.json()["paths"]
    docs = api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert b"cdn." not in docs.content and b"unpkg" not in docs.content


def test_api_list_query_count_is_flat(
    case_manager: User, team_north: Team, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api = _api(case_manager, token=True)
    for _ in range(5):
        make_client(case_manager=case_manager, team=team_north)
    with CaptureQueriesContext(connection) as five:
        api.get("/api/v1/clients/")
    for _ in range(45):
        make_client(case_manager=case_manager, team=team_north)
    with CaptureQueriesContext(connection) as fifty:
        api.get("/api/v1/clients/")
    assert len(five) == len(fifty)
