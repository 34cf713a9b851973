"""/api/v1/collaterals/ and /api/v1/crisis-events/ under the access policy: scope, 404
outside it, 403 for read-only teammates, validation naming each field, the release status
of a collateral, closing a crisis event, nothing deleted, the schema, and list query counts
that do not grow with rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client, Collateral, CrisisEvent

from ..factories import make_client
from .test_collaterals import collateral_data, make_collateral, release_naming, today
from .test_crisis_events import make_crisis, now

pytestmark = pytest.mark.django_db

COLLATERALS = "/api/v1/collaterals/"
CRISIS = "/api/v1/crisis-events/"


def _api(user: User | None = None, *, token: bool = False) -> APIClient:
    api = APIClient()
    if user is not None:
        if token:
            api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        else:
            api.force_login(user)
    return api


def _crisis_payload(client: Client, **overrides: Any) -> dict[str, Any]:
    occurred = now() - dt.timedelta(hours=3)
    data: dict[str, Any] = {
        "client": client.pk,
        "occurred_at": occurred.isoformat(),
        "distress_level": "crisis",
        "description": "Found the client on the bridge railing; talked her down.",
        "actions": ["responded", "listened", "acted"],
        "crisis_professional_involved": True,
        "crisis_professional_name": "J. Alvarez, DCP",
        "outcome": "mobile_crisis",
        "follow_up_on": (occurred.date() + dt.timedelta(days=1)).isoformat(),
    }
    data.update(overrides)
    return data


@pytest.fixture
def collateral(case_manager: User, north_client: Client) -> Collateral:
    return make_collateral(case_manager, north_client)


@pytest.fixture
def event(case_manager: User, north_client: Client) -> CrisisEvent:
    return make_crisis(case_manager, north_client)


# --- Access -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [COLLATERALS, CRISIS])
def test_anonymous_is_refused(url: str) -> None:
    assert _api().get(url).status_code in (401, 403)


@pytest.mark.parametrize("kind", ["collateral", "event"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("case_manager", 200),
        ("supervisor", 200),
        ("teammate", 200),
        ("other_team_case_manager", 404),
        ("other_team_supervisor", 404),
        ("admin", 404),
    ],
)
def test_retrieve_by_role(
    request: pytest.FixtureRequest,
    north_client: Client,
    collateral: Collateral,
    event: CrisisEvent,
    kind: str,
    role: str,
    expected: int,
) -> None:
    user = request.getfixturevalue(role)
    url = f"{COLLATERALS}{collateral.pk}/" if kind == "collateral" else f"{CRISIS}{event.pk}/"
    response = _api(user, token=True).get(url)
    assert response.status_code == expected
    logged = AccessLog.objects.filter(
        user=user, client_id=north_client.pk, action=AccessAction.API_VIEW
    ).count()
    assert logged == (1 if expected == 200 else 0)


@pytest.mark.parametrize("url", [COLLATERALS, CRISIS])
def test_lists_are_scoped_and_filtered(
    case_manager: User,
    other_team_case_manager: User,
    admin: User,
    team_north: Team,
    team_south: Team,
    north_client: Client,
    url: str,
) -> None:
    second = make_client(case_manager=case_manager, team=team_north)
    south = make_client(case_manager=other_team_case_manager, team=team_south)
    make = make_collateral if url == COLLATERALS else make_crisis
    mine = make(case_manager, north_client)
    theirs = make(case_manager, second)
    make(other_team_case_manager, south)
    body = _api(case_manager).get(url).json()
    assert {row["id"] for row in body["results"]} == {mine.pk, theirs.pk}
    filtered = _api(case_manager).get(url, {"client": north_client.pk}).json()
    assert [row["id"] for row in filtered["results"]] == [mine.pk]
    assert _api(case_manager).get(url, {"client": "x"}).status_code == 400
    assert _api(admin).get(url).json()["count"] == 0
    assert _api(other_team_case_manager).get(url, {"client": north_client.pk}).json()["count"] == 0


# --- Collaterals --------------------------------------------------------------------------


def test_a_collateral_carries_its_release_status(
    case_manager: User, north_client: Client, collateral: Collateral
) -> None:
    api = _api(case_manager)
    body = api.get(f"{COLLATERALS}{collateral.pk}/").json()
    assert body["active_release"] is None
    assert body["relationship"] == "family" and body["relationship_label"] == "Family member"
    release = release_naming(case_manager, collateral)
    body = api.get(f"{COLLATERALS}{collateral.pk}/").json()
    assert body["active_release"]["id"] == release.pk
    assert body["active_release"]["expires_on"] == release.expires_on.isoformat()  # type: ignore[union-attr]


def test_create_a_collateral(case_manager: User, north_client: Client) -> None:
    payload = {**collateral_data(), "client": north_client.pk}
    response = _api(case_manager, token=True).post(COLLATERALS, payload, format="json")
    assert response.status_code == 201, response.json()
    created = Collateral.objects.get(pk=response.json()["id"])
    assert created.client == north_client and created.created_by == case_manager
    entry = created.history.get()
    assert entry.history_user == case_manager
    assert entry.history_change_reason == "Collateral added"


def test_create_validation_names_the_field(case_manager: User, north_client: Client) -> None:
    api = _api(case_manager)
    payload = {**collateral_data(relationship="other", relationship_detail="", phone="")}
    response = api.post(COLLATERALS, {**payload, "client": north_client.pk}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["relationship_detail"] == ["Say how they are related to the client."]
    assert body["phone"] == ["An emergency contact needs a phone number."]
    missing = api.post(COLLATERALS, {"client": north_client.pk}, format="json")
    assert missing.status_code == 400 and "name" in missing.json()
    assert not Collateral.objects.exists()


def test_create_for_a_read_only_teammate_is_403_and_outside_scope_400(
    teammate: User, other_team_case_manager: User, admin: User, north_client: Client
) -> None:
    payload = {**collateral_data(), "client": north_client.pk}
    assert _api(teammate).post(COLLATERALS, payload, format="json").status_code == 403
    for outsider in (other_team_case_manager, admin):
        response = _api(outsider).post(COLLATERALS, payload, format="json")
        assert response.status_code == 400
        assert "client" in response.json()
    assert not Collateral.objects.exists()


def test_update_a_collateral(
    case_manager: User,
    supervisor: User,
    teammate: User,
    other_team_case_manager: User,
    collateral: Collateral,
) -> None:
    url = f"{COLLATERALS}{collateral.pk}/"
    change = {"best_way_to_reach": "Text first"}
    assert _api(teammate).patch(url, change, format="json").status_code == 403
    assert _api(other_team_case_manager).patch(url, change, format="json").status_code == 404
    response = _api(supervisor).patch(url, change, format="json")
    assert response.status_code == 200
    assert response.json()["best_way_to_reach"] == "Text first"
    assert response.json()["name"] == "Rosa Rivera"
    gone = _api(case_manager).patch(url, {"is_active": False}, format="json")
    assert gone.status_code == 200 and gone.json()["is_active"] is False
    whole = _api(case_manager).put(url, collateral_data(name="Rosa M. Rivera"), format="json")
    assert whole.status_code == 200 and whole.json()["name"] == "Rosa M. Rivera"
    bad = _api(case_manager).patch(url, {"name": " "}, format="json")
    assert bad.status_code == 400 and "name" in bad.json()
    reasons = [
        (r.history_user, r.history_change_reason)
        for r in collateral.history.order_by("history_date", "history_id")
    ]
    assert reasons == [
        (case_manager, "Collateral added"),
        (supervisor, "Collateral updated"),
        (case_manager, "Collateral updated: no longer involved"),
        (case_manager, "Collateral updated"),
    ]


def test_no_collateral_is_deleted(case_manager: User, collateral: Collateral) -> None:
    assert _api(case_manager).delete(f"{COLLATERALS}{collateral.pk}/").status_code == 405
    assert Collateral.objects.filter(pk=collateral.pk).exists()


# --- Crisis events ------------------------------------------------------------------------


def test_record_a_crisis_event(case_manager: User, north_client: Client) -> None:
    response = _api(case_manager, token=True).post(
        CRISIS, _crisis_payload(north_client), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["is_open"] is True and body["crisis_professional_name"] == "J. Alvarez, DCP"
    event = CrisisEvent.objects.get(pk=body["id"])
    assert event.history.get().history_change_reason == "Crisis event recorded"


def test_record_validation_names_the_field(case_manager: User, north_client: Client) -> None:
    api = _api(case_manager)
    response = api.post(
        CRISIS,
        _crisis_payload(
            north_client,
            crisis_professional_name="",
            follow_up_on=(today() - dt.timedelta(days=3)).isoformat(),
        ),
        format="json",
    )
    assert response.status_code == 400
    body = response.json()
    assert body["crisis_professional_name"] == [
        "Name the designated crisis professional who was involved."
    ]
    assert body["follow_up_on"][0].startswith("The follow-up cannot be before the event")
    future = api.post(
        CRISIS,
        _crisis_payload(
            north_client,
            occurred_at=(now() + dt.timedelta(days=1)).isoformat(),
            follow_up_on=(today() + dt.timedelta(days=2)).isoformat(),
        ),
        format="json",
    )
    assert future.status_code == 400
    assert future.json()["occurred_at"] == ["When it happened cannot be in the future."]
    wrong_step = api.post(CRISIS, _crisis_payload(north_client, actions=["prayed"]), format="json")
    assert wrong_step.status_code == 400 and "actions" in wrong_step.json()
    assert not CrisisEvent.objects.exists()


def test_record_for_a_read_only_teammate_is_403_and_outside_scope_400(
    teammate: User, other_team_case_manager: User, admin: User, north_client: Client
) -> None:
    assert (
        _api(teammate).post(CRISIS, _crisis_payload(north_client), format="json").status_code == 403
    )
    for outsider in (other_team_case_manager, admin):
        response = _api(outsider).post(CRISIS, _crisis_payload(north_client), format="json")
        assert response.status_code == 400 and "client" in response.json()
    assert not CrisisEvent.objects.exists()


def test_close_a_crisis_event(
    case_manager: User, teammate: User, other_team_case_manager: User, event: CrisisEvent
) -> None:
    url = f"{CRISIS}{event.pk}/close/"
    body = {"closing_note": "Home visit; safety plan reviewed."}
    assert _api(teammate).post(url, body, format="json").status_code == 403
    assert _api(other_team_case_manager).post(url, body, format="json").status_code == 404
    empty = _api(case_manager).post(url, {"closing_note": ""}, format="json")
    assert empty.status_code == 400 and "closing_note" in empty.json()
    ok = _api(case_manager).post(url, body, format="json")
    assert ok.status_code == 200
    assert ok.json()["is_open"] is False and ok.json()["closed_by"] == case_manager.pk
    again = _api(case_manager).post(url, body, format="json")
    assert again.status_code == 400 and "already closed" in again.json()["non_field_errors"][0]
    latest = event.history.first()
    assert latest is not None and latest.history_user == case_manager
    assert latest.history_change_reason == "Crisis event closed: follow-up done"


def test_open_filter(case_manager: User, north_client: Client, event: CrisisEvent) -> None:
    closed = make_crisis(case_manager, north_client)
    _api(case_manager).post(f"{CRISIS}{closed.pk}/close/", {"closing_note": "Done"}, format="json")
    api = _api(case_manager)
    assert [r["id"] for r in api.get(CRISIS, {"open": "true"}).json()["results"]] == [event.pk]
    assert [r["id"] for r in api.get(CRISIS, {"open": "false"}).json()["results"]] == [closed.pk]
    assert api.get(CRISIS, {"open": "maybe"}).status_code == 400


def test_crisis_events_are_not_edited_or_deleted(case_manager: User, event: CrisisEvent) -> None:
    api = _api(case_manager)
    url = f"{CRISIS}{event.pk}/"
    assert api.delete(url).status_code == 405
    assert api.patch(url, {"description": "x"}, format="json").status_code == 405
    assert CrisisEvent.objects.filter(pk=event.pk).exists()


# --- Schema and query counts --------------------------------------------------------------


def test_schema_lists_both(case_manager: User) -> None:
    paths = _api(case_manager).get("/api/schema/", {"format": "json"}).json()["paths"]
    assert COLLATERALS in paths and f"{COLLATERALS}{{id}}/" in paths
    assert {"get", "put", "patch"} <= set(paths[f"{COLLATERALS}{{id}}/"])
    assert CRISIS in paths and f"{CRISIS}{{id}}/close/" in paths


def _grow(kind: str, actor: User, client: Client, n: int) -> None:
    for _ in range(n):
        if kind == "collaterals":
            collateral = make_collateral(actor, client)
            release_naming(actor, collateral)
        else:
            make_crisis(actor, client)


@pytest.mark.parametrize(("kind", "url"), [("collaterals", COLLATERALS), ("crisis", CRISIS)])
def test_api_list_query_count_is_flat(
    case_manager: User, north_client: Client, kind: str, url: str
) -> None:
    api = _api(case_manager, token=True)
    _grow(kind, case_manager, north_client, 3)
    with CaptureQueriesContext(connection) as three:
        assert api.get(url).status_code == 200
    _grow(kind, case_manager, north_client, 27)
    with CaptureQueriesContext(connection) as thirty:
        assert api.get(url).json()["count"] == 30
    assert len(thirty) == len(three), [q["sql"] for q in thirty.captured_queries]
