"""/api/v1/releases/ under the access policy: scope, 404 outside it, 403 for read-only
teammates, validation naming each field, computed status, revoke, the copy, no delete."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients import release_services
from clients.models import Client, ReleaseOfInformation

from ..factories import make_client
from .test_releases import PDF, days, make_release, organization, today, upload

pytestmark = pytest.mark.django_db

URL = "/api/v1/releases/"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _api(user: User | None = None, *, token: bool = False) -> APIClient:
    api = APIClient()
    if user is not None:
        if token:
            api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        else:
            api.force_login(user)
    return api


def _payload(client: Client, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "client": client.pk,
        "discloser": "Test Agency",
        "recipient_name": "Dr. Ana Lopez",
        "purposes": ["referral"],
        "categories": ["general", "mental_health"],
        "effective_on": today().isoformat(),
        "expires_on": days(365).isoformat(),
        "signer_name": "Maria Rivera",
        "signer_relationship": "self",
        "signature_method": "electronic",
        "signed_on": today().isoformat(),
        "ack_right_to_revoke": True,
        "ack_no_conditioning": True,
        "ack_redisclosure": True,
    }
    data.update(overrides)
    return data


@pytest.fixture
def release(case_manager: User, north_client: Client) -> ReleaseOfInformation:
    return make_release(case_manager, north_client, scanned_copy=upload())


def test_anonymous_is_refused() -> None:
    assert _api().get(URL).status_code in (401, 403)


def test_list_is_scoped_and_filtered(
    case_manager: User,
    other_team_case_manager: User,
    admin: User,
    team_north: Team,
    team_south: Team,
    north_client: Client,
    release: ReleaseOfInformation,
) -> None:
    second = make_client(case_manager=case_manager, team=team_north)
    theirs = make_release(case_manager, second)
    south = make_client(case_manager=other_team_case_manager, team=team_south)
    make_release(other_team_case_manager, south)
    body = _api(case_manager).get(URL).json()
    assert {row["id"] for row in body["results"]} == {release.pk, theirs.pk}
    filtered = _api(case_manager).get(URL, {"client": north_client.pk}).json()
    assert [row["id"] for row in filtered["results"]] == [release.pk]
    assert _api(case_manager).get(URL, {"client": "x"}).status_code == 400
    assert _api(admin).get(URL).json()["count"] == 0
    assert _api(other_team_case_manager).get(URL, {"client": north_client.pk}).json()["count"] == 0


@pytest.mark.parametrize("use_token", [False, True])
def test_retrieve_in_scope_is_logged_and_404_outside(
    case_manager: User,
    teammate: User,
    other_team_case_manager: User,
    admin: User,
    north_client: Client,
    release: ReleaseOfInformation,
    use_token: bool,
) -> None:
    ok = _api(teammate, token=use_token).get(f"{URL}{release.pk}/")
    assert ok.status_code == 200
    body = ok.json()
    assert body["status"] == "active" and body["status_label"] == "Active"
    assert body["recipient_name"] == "Dr. Ana Lopez"
    assert body["scanned_copy"].endswith(f"{URL}{release.pk}/copy/")
    assert "/media/" not in ok.content.decode()
    assert (
        AccessLog.objects.filter(
            user=teammate, action=AccessAction.API_VIEW, client_id=north_client.pk
        ).count()
        == 1
    )
    for outsider in (other_team_case_manager, admin):
        assert _api(outsider, token=use_token).get(f"{URL}{release.pk}/").status_code == 404


def test_status_is_computed_in_the_payload(case_manager: User, north_client: Client) -> None:
    pending = make_release(case_manager, north_client, effective_on=days(1), signed_on=today())
    expired = make_release(case_manager, north_client, effective_on=days(-10), expires_on=days(-1))
    rows = {row["id"]: row["status"] for row in _api(case_manager).get(URL).json()["results"]}
    assert rows == {pending.pk: "pending", expired.pk: "expired"}


def test_create_with_json(case_manager: User, north_client: Client) -> None:
    response = _api(case_manager, token=True).post(URL, _payload(north_client), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "active" and body["scanned_copy"] is None
    release = ReleaseOfInformation.objects.get(pk=body["id"])
    assert release.created_by == case_manager
    assert release.history.get().history_user == case_manager


def test_create_multipart_with_a_copy(
    case_manager: User, north_client: Client, tmp_path: Path
) -> None:
    harbor = organization("Harbor Housing")
    data = _payload(north_client, recipient_name="", recipient_organization_id=str(harbor.pk))
    data["scanned_copy"] = upload()
    response = _api(case_manager).post(URL, data, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["recipient_name"] == "Harbor Housing"
    assert body["purposes"] == ["referral"]
    assert body["categories"] == ["general", "mental_health"]
    release = ReleaseOfInformation.objects.get(pk=body["id"])
    assert release.scanned_copy.name is not None
    assert (tmp_path / release.scanned_copy.name).read_bytes() == PDF


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ack_redisclosure": False}, "ack_redisclosure"),
        ({"expires_on": None}, "expires_on"),
        ({"expires_on": "EFFECTIVE"}, "expires_on"),
        ({"signed_on": "TOMORROW"}, "signed_on"),
        ({"signer_relationship": "guardian"}, "signer_authority"),
        ({"purposes": ["other"]}, "purpose_other"),
        ({"categories": ["other"]}, "category_other"),
        ({"purposes": []}, "purposes"),
        ({"categories": []}, "categories"),
        ({"categories": ["psychotherapy_notes"]}, "categories"),
        ({"recipient_name": ""}, "recipient_name"),
        (
            {"recipient_organization_id": "8c7b7c1e-8f43-4a36-9d4c-1c3f0c6a1b2d"},
            "recipient_organization_id",
        ),
        ({"signature_method": "fax"}, "signature_method"),
    ],
)
def test_create_validation_names_the_field(
    case_manager: User, north_client: Client, overrides: dict[str, Any], field: str
) -> None:
    replacements = {"EFFECTIVE": today().isoformat(), "TOMORROW": days(1).isoformat()}
    data = _payload(north_client)
    data.update(
        {k: replacements.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    )
    response = _api(case_manager).post(URL, data, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert not ReleaseOfInformation.objects.exists()


def test_create_refuses_a_bad_copy(case_manager: User, north_client: Client) -> None:
    data = _payload(north_client)
    data["scanned_copy"] = upload(b"#!/bin/sh\necho hi\n", "copy.pdf")
    response = _api(case_manager).post(URL, data, format="multipart")
    assert response.status_code == 400
    assert "scanned_copy" in response.json()


def test_create_for_a_read_only_teammate_is_403_and_outside_scope_400(
    teammate: User, other_team_case_manager: User, admin: User, north_client: Client
) -> None:
    assert _api(teammate).post(URL, _payload(north_client), format="json").status_code == 403
    for outsider in (other_team_case_manager, admin):
        response = _api(outsider).post(URL, _payload(north_client), format="json")
        assert response.status_code == 400
        assert "client" in response.json()
    assert not ReleaseOfInformation.objects.exists()


def test_revoke(
    case_manager: User,
    teammate: User,
    other_team_case_manager: User,
    release: ReleaseOfInformation,
) -> None:
    url = f"{URL}{release.pk}/revoke/"
    body = {"revoked_on": today().isoformat(), "revocation_method": "By phone"}
    assert _api(teammate).post(url, body, format="json").status_code == 403
    assert _api(other_team_case_manager).post(url, body, format="json").status_code == 404
    future = _api(case_manager).post(
        url, {**body, "revoked_on": days(1).isoformat()}, format="json"
    )
    assert future.status_code == 400 and "revoked_on" in future.json()
    missing = _api(case_manager).post(url, {"revoked_on": today().isoformat()}, format="json")
    assert missing.status_code == 400 and "revocation_method" in missing.json()
    ok = _api(case_manager).post(url, body, format="json")
    assert ok.status_code == 200
    assert ok.json()["status"] == "revoked" and ok.json()["revocation_method"] == "By phone"
    again = _api(case_manager).post(url, body, format="json")
    assert again.status_code == 400 and "already revoked" in again.json()["non_field_errors"][0]


def test_copy_is_scoped_and_logged(
    teammate: User,
    other_team_case_manager: User,
    case_manager: User,
    north_client: Client,
    release: ReleaseOfInformation,
) -> None:
    url = f"{URL}{release.pk}/copy/"
    response = _api(teammate, token=True).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Disposition"].startswith("attachment;")
    assert AccessLog.objects.filter(
        user=teammate, action=AccessAction.API_VIEW, path=url, client_id=north_client.pk
    ).exists()
    assert _api(other_team_case_manager).get(url).status_code == 404
    bare = make_release(case_manager, north_client)
    assert _api(case_manager).get(f"{URL}{bare.pk}/copy/").status_code == 404


def test_no_delete_or_update(case_manager: User, release: ReleaseOfInformation) -> None:
    api = _api(case_manager)
    assert api.delete(f"{URL}{release.pk}/").status_code == 405
    assert (
        api.patch(f"{URL}{release.pk}/", {"recipient_name": "x"}, format="json").status_code == 405
    )
    assert ReleaseOfInformation.objects.filter(pk=release.pk).exists()


def test_schema_lists_releases(case_manager: User) -> None:
    paths = _api(case_manager).get("/api/schema/", {"format": "json"}).json()["paths"]
    assert URL in paths and f"{URL}{{id}}/revoke/" in paths and f"{URL}{{id}}/copy/" in paths


def test_api_list_query_count_is_flat(case_manager: User, north_client: Client) -> None:
    api = _api(case_manager, token=True)
    for _ in range(3):
        make_release(case_manager, north_client)
    with CaptureQueriesContext(connection) as three:
        assert api.get(URL).status_code == 200
    for _ in range(27):
        make_release(case_manager, north_client)
    with CaptureQueriesContext(connection) as thirty:
        assert api.get(URL).json()["count"] == 30
    assert len(thirty) == len(three)


def test_releases_covering_matches_what_the_api_calls_active(
    case_manager: User, north_client: Client
) -> None:
    harbor = organization()
    make_release(case_manager, north_client, recipient_organization_id=harbor.pk, recipient_name="")
    covering = release_services.releases_covering(
        north_client, organization_id=harbor.pk, categories=["general"], on=today()
    )
    rows = _api(case_manager).get(URL).json()["results"]
    assert [r["id"] for r in rows if r["status"] == "active"] == [r.pk for r in covering]
