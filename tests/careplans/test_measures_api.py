"""/api/v1/measures/ under the access policy: scoped lists and filters, 404 outside the scope,
scoring on create, clear 400s for bad answers, 403 for read-only teammates, and the schema."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from careplans.models import MeasureAdministration
from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients.models import Client, SafetyFlag

from ..factories import make_client
from .test_measures import administer, load_instrument

pytestmark = pytest.mark.django_db

URL = "/api/v1/measures/"


def _api(user: User | None = None, *, token: bool = False) -> APIClient:
    api = APIClient()
    if user is not None:
        if token:
            api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        else:
            api.force_login(user)
    return api


def _payload(whom: Client, code: str = "phq-9", **overrides: Any) -> dict[str, Any]:
    instrument = load_instrument(code)
    data: dict[str, Any] = {
        "client": whom.pk,
        "instrument": code,
        "administered_on": timezone.localdate().isoformat(),
        "answers": {str(item.number): 1 for item in instrument.items.all()},
    }
    data.update(overrides)
    return data


def test_anonymous_is_refused() -> None:
    assert _api().get(URL).status_code in (401, 403)
    assert _api().post(URL, {}, format="json").status_code in (401, 403)


def test_list_is_scoped_and_filtered(
    case_manager: User,
    other_team_case_manager: User,
    team_north: Team,
    team_south: Team,
    admin: User,
    north_client: Client,
) -> None:
    south_client = make_client(case_manager=other_team_case_manager, team=team_south)
    second = make_client(case_manager=case_manager, team=team_north)
    phq = administer(case_manager, north_client, "phq-9", total=12)
    gad = administer(case_manager, north_client, "gad-7", total=3)
    other = administer(case_manager, second, "gad-7", total=5)
    hidden = administer(other_team_case_manager, south_client, "gad-7", total=1)

    body = _api(case_manager).get(URL).json()
    assert {row["id"] for row in body["results"]} == {phq.pk, gad.pk, other.pk}
    assert hidden.pk not in {row["id"] for row in body["results"]}

    by_client = _api(case_manager).get(URL, {"client": north_client.pk}).json()
    assert {row["id"] for row in by_client["results"]} == {phq.pk, gad.pk}
    by_instrument = _api(case_manager).get(URL, {"instrument": "gad-7"}).json()
    assert {row["id"] for row in by_instrument["results"]} == {gad.pk, other.pk}
    both = _api(case_manager).get(URL, {"client": str(north_client.pk), "instrument": "phq-9"})
    row = both.json()["results"][0]
    assert both.json()["count"] == 1
    assert row["total_score"] == 12 and row["band"] == "Moderate"
    assert row["instrument"] == "phq-9" and row["loinc_total"] == "44261-6"
    assert row["answers"]["1"] == 3

    # Another team's client through the filter: nothing, not an error that leaks.
    assert _api(case_manager).get(URL, {"client": south_client.pk}).json()["count"] == 0
    assert _api(case_manager).get(URL, {"client": "x"}).status_code == 400
    assert _api(admin).get(URL).json()["count"] == 0


@pytest.mark.parametrize("use_token", [False, True])
def test_retrieve_in_scope_logs_and_is_404_outside(
    case_manager: User,
    teammate: User,
    other_team_case_manager: User,
    admin: User,
    north_client: Client,
    use_token: bool,
) -> None:
    measure = administer(case_manager, north_client, "audit-c", {1: 2, 2: 1, 3: 1})
    for reader in (case_manager, teammate):
        response = _api(reader, token=use_token).get(f"{URL}{measure.pk}/")
        assert response.status_code == 200
        assert response.json()["total_score"] == 4
        assert response.json()["band"] == "Moderate risk"
    assert (
        AccessLog.objects.filter(action=AccessAction.API_VIEW, client_id=north_client.pk).count()
        == 2
    )
    for outsider in (other_team_case_manager, admin):
        assert _api(outsider, token=use_token).get(f"{URL}{measure.pk}/").status_code == 404
    assert _api(case_manager).get(f"{URL}999999/").status_code == 404


@pytest.mark.parametrize("use_token", [False, True])
def test_create_scores_and_flags(case_manager: User, north_client: Client, use_token: bool) -> None:
    response = _api(case_manager, token=use_token).post(URL, _payload(north_client), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["total_score"] == 9 and body["band"] == "Mild"
    assert body["safety_flagged"] is True
    assert body["administered_by"] == str(case_manager)
    measure = MeasureAdministration.objects.get(pk=body["id"])
    assert measure.answers == {str(n): 1 for n in range(1, 10)}
    flag = SafetyFlag.objects.get(client=north_client)
    assert flag.source == f"measure:{measure.pk}"


def test_create_without_item9_raises_no_flag(case_manager: User, north_client: Client) -> None:
    payload = _payload(north_client)
    payload["answers"]["9"] = 0
    response = _api(case_manager).post(URL, payload, format="json")
    assert response.status_code == 201
    assert response.json()["safety_flagged"] is False
    assert not SafetyFlag.objects.exists()


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"answers": {"1": 1, "2": 1}}, "answers", "Item 3"),
        ({"answers": {**{str(n): 0 for n in range(1, 10)}, "4": 9}}, "answers", "Item 4"),
        ({"answers": {**{str(n): 0 for n in range(1, 10)}, "12": 1}}, "answers", "no item 12"),
        ({"answers": {**{str(n): 0 for n in range(1, 10)}, "x": 1}}, "answers", "not an item"),
        ({"answers": {**{str(n): 0 for n in range(1, 10)}, "2": -1}}, "answers", ""),
        ({"answers": "lots"}, "answers", ""),
        ({"instrument": "beck"}, "instrument", "beck"),
        ({"administered_on": "2999-01-01"}, "administered_on", "future"),
        ({"client": 999999}, "client", "No such client."),
        ({"client": "abc"}, "client", "No such client."),
    ],
)
def test_bad_input_is_a_clear_400_and_saves_nothing(
    case_manager: User, north_client: Client, change: dict[str, Any], field: str, words: str
) -> None:
    response = _api(case_manager).post(URL, _payload(north_client, **change), format="json")
    assert response.status_code == 400
    body = response.json()
    assert field in body, body
    assert words in " ".join(
        map(str, body[field] if isinstance(body[field], list) else [body[field]])
    )
    assert not MeasureAdministration.objects.exists()


def test_out_of_scope_client_reads_as_no_such_client(
    other_team_case_manager: User, admin: User, north_client: Client
) -> None:
    for outsider in (other_team_case_manager, admin):
        response = _api(outsider).post(URL, _payload(north_client), format="json")
        assert response.status_code == 400
        assert response.json() == {"client": ["No such client."]}
    assert not MeasureAdministration.objects.exists()


def test_teammate_is_403(teammate: User, north_client: Client) -> None:
    response = _api(teammate).post(URL, _payload(north_client), format="json")
    assert response.status_code == 403
    assert not MeasureAdministration.objects.exists()


def test_supervisor_creates(supervisor: User, north_client: Client) -> None:
    response = _api(supervisor).post(
        URL,
        _payload(
            north_client,
            "gad-7",
            administered_on=(timezone.localdate() - dt.timedelta(days=3)).isoformat(),
        ),
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["band"] == "Mild"


def test_no_update_or_delete(case_manager: User, north_client: Client) -> None:
    measure = administer(case_manager, north_client, "gad-7", total=2)
    api = _api(case_manager)
    assert api.patch(f"{URL}{measure.pk}/", {"band": "x"}, format="json").status_code == 405
    assert api.delete(f"{URL}{measure.pk}/").status_code == 405


def test_schema_documents_the_endpoint(case_manager: User) -> None:
    response = _api(case_manager).get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    schema = response.json()
    assert "/api/v1/measures/" in schema["paths"]
    assert "/api/v1/measures/{id}/" in schema["paths"]
    parameters = {p["name"] for p in schema["paths"]["/api/v1/measures/"]["get"]["parameters"]}
    assert {"client", "instrument"} <= parameters
    assert "post" in schema["paths"]["/api/v1/measures/"]
