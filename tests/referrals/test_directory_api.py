"""/api/v1/directory/: any signed-in staff member reads the directory (administrators too);
nothing is written through it; the services' filters; fixed query counts; the schema."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casemgmt.accounts.models import User
from referrals.models import Organization, Service, ServiceStatus

from .directory_factories import (
    Directory,
    LocationFactory,
    OrganizationFactory,
    full_service,
    make_directory,
)

pytestmark = pytest.mark.django_db

BASE = "/api/v1/directory/"
LISTS = ("organizations", "services", "locations", "categories")


@pytest.fixture
def directory() -> Directory:
    return make_directory()


def _api(user: User | None = None, *, token: bool = False) -> APIClient:
    api = APIClient()
    if user is not None:
        if token:
            api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        else:
            api.force_login(user)
    return api


def _some_id(directory: Directory, kind: str) -> uuid.UUID:
    return {
        "organizations": directory.north_star.id,
        "services": directory.services["shelter"].id,
        "locations": directory.services["shelter"].service_at_locations.get().location_id,
        "categories": directory.housing.id,
    }[kind]


def _names(api: APIClient, **params: Any) -> set[str]:
    response = api.get(BASE + "services/", params)
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


# --- Who may read; nothing is written ---------------------------------------------------------


def test_anonymous_is_refused(directory: Directory) -> None:
    for kind in LISTS:
        assert _api().get(f"{BASE}{kind}/").status_code in (401, 403)
        assert _api().get(f"{BASE}{kind}/{_some_id(directory, kind)}/").status_code in (401, 403)


@pytest.mark.parametrize("role", ["admin", "case_manager", "supervisor"])
def test_any_staff_member_reads_the_directory(
    directory: Directory, request: pytest.FixtureRequest, role: str
) -> None:
    """Administrators hold no clinical role, yet the directory holds no client data."""
    api = _api(request.getfixturevalue(role))
    for kind in LISTS:
        listing = api.get(f"{BASE}{kind}/")
        assert listing.status_code == 200, (kind, listing.content)
        assert listing.json()["count"] > 0
        one = api.get(f"{BASE}{kind}/{_some_id(directory, kind)}/")
        assert one.status_code == 200, kind
        assert one.json()["id"] == str(_some_id(directory, kind))


def test_token_authentication(directory: Directory, admin: User) -> None:
    assert _api(admin, token=True).get(BASE + "services/").status_code == 200


def test_writes_are_not_allowed(directory: Directory, admin: User) -> None:
    api = _api(admin)
    for kind in LISTS:
        assert api.post(f"{BASE}{kind}/", {"name": "New"}, format="json").status_code == 405
        url = f"{BASE}{kind}/{_some_id(directory, kind)}/"
        assert api.put(url, {"name": "Changed"}, format="json").status_code == 405
        assert api.patch(url, {"name": "Changed"}, format="json").status_code == 405
        assert api.delete(url).status_code == 405
    assert Organization.objects.get(pk=directory.north_star.pk).name == (
        "North Star Community Services"
    )
    assert Service.objects.count() == 4


def test_unknown_ids_are_404(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)
    for kind in LISTS:
        assert api.get(f"{BASE}{kind}/{uuid.uuid4()}/").status_code == 404
        assert api.get(f"{BASE}{kind}/not-an-id/").status_code == 404


# --- What a service shows ----------------------------------------------------------------------


def test_service_fields(directory: Directory, case_manager: User) -> None:
    shelter = directory.services["shelter"]
    body = _api(case_manager).get(f"{BASE}services/{shelter.id}/").json()
    assert body["organization"] == {
        "id": str(directory.north_star.id),
        "name": "North Star Community Services",
        "is_internal": False,
    }
    assert body["is_internal"] is False
    assert {c["code"] for c in body["categories"]} == {"BH", "BH-180"}
    assert body["languages"] == ["English", "Spanish"]
    assert body["payers_accepted"] == ["medicaid"]
    assert body["accepting_new_clients"] is True
    assert body["wait_time_days"] == 7
    assert body["last_verified_on"] == "2026-10-01"
    assert body["required_documents"] == ["Photo ID", "Proof of income"]
    (location,) = body["locations"]
    assert {a["address_type"] for a in location["addresses"]} == {"physical", "postal"}
    assert body["phones"][0]["extension"] == "12"


def test_category_counts_its_services(directory: Directory, case_manager: User) -> None:
    body = _api(case_manager).get(f"{BASE}categories/{directory.housing.id}/").json()
    assert body == {
        "id": str(directory.housing.id),
        "code": "BH",
        "name": "Housing",
        "description": "Somewhere to live.",
        "parent": None,
        "taxonomy": "Casework categories",
        "service_count": 1,
    }
    shelter = _api(case_manager).get(f"{BASE}categories/{directory.shelter.id}/").json()
    assert shelter["parent"] == str(directory.housing.id)
    food = _api(case_manager).get(f"{BASE}categories/{directory.food.id}/").json()
    assert food["taxonomy"] is None


def test_location_fields(directory: Directory, case_manager: User) -> None:
    location_id = _some_id(directory, "locations")
    body = _api(case_manager).get(f"{BASE}locations/{location_id}/").json()
    assert body["organization"] == str(directory.north_star.id)
    assert body["latitude"] == "25.761700"
    assert len(body["addresses"]) == 2
    assert body["accessibility"][0]["details"] == "Ramp at the side door."
    assert body["phones"]


# --- Filters ---------------------------------------------------------------------------------


def test_category_by_id_or_code(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)
    assert _names(api, category=str(directory.shelter.id)) == {"Family Shelter"}
    assert _names(api, category="RP-1400") == {"Counseling for Adults"}
    assert _names(api, category=["RP-1400", str(directory.food.id)]) == {
        "Counseling for Adults",
        "Agency Food Pantry",
    }
    assert _names(api, category="NO-SUCH-CODE") == set()


def test_language_in_any_case_or_by_code(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)
    spanish = {"Family Shelter", "Agency Food Pantry"}
    assert _names(api, language="Spanish") == spanish
    assert _names(api, language="SPANISH") == spanish
    assert _names(api, language="es") == spanish
    assert _names(api, language="haitian creole") == {"Counseling for Adults"}
    assert _names(api, language="Klingon") == set()


def test_accepting_internal_and_status(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)
    assert _names(api, accepting="false") == {"Counseling for Adults"}
    assert "Counseling for Adults" not in _names(api, accepting="true")
    assert _names(api, internal="true") == {"Agency Food Pantry"}
    assert _names(api, internal="false") == {
        "Family Shelter",
        "Counseling for Adults",
        "Old Drop-in Center",
    }
    assert _names(api, status=ServiceStatus.TEMPORARILY_CLOSED) == {"Old Drop-in Center"}
    assert len(_names(api)) == 4


def test_text_search(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)
    assert _names(api, q="depressed") == {"Counseling for Adults"}
    assert _names(api, q="shelter") == {"Family Shelter"}
    assert _names(api, q="pant") == {"Agency Food Pantry"}
    assert _names(api, q="") == _names(api)


def test_filters_combine(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)
    assert _names(api, language="Spanish", internal="false") == {"Family Shelter"}
    assert _names(api, language="Spanish", accepting="true", q="groceries") == {
        "Agency Food Pantry"
    }


@pytest.mark.parametrize("params", [{"accepting": "maybe"}, {"status": "open"}])
def test_bad_filters_get_a_400(
    directory: Directory, case_manager: User, params: dict[str, str]
) -> None:
    response = _api(case_manager).get(BASE + "services/", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


# --- Query counts -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", LISTS)
def test_list_query_count_does_not_grow_with_rows(case_manager: User, kind: str) -> None:
    organization = OrganizationFactory.create()
    api = _api(case_manager)
    api.get(BASE + "services/")

    def queries_for(total: int) -> int:
        while Service.objects.count() < total:
            full_service(organization, categories=[])
            LocationFactory.create(organization=organization)
        with CaptureQueriesContext(connection) as captured:
            assert api.get(f"{BASE}{kind}/").status_code == 200
        return len(captured)

    assert queries_for(3) == queries_for(30)


# --- OpenAPI ---------------------------------------------------------------------------------


def test_schema_documents_read_only_endpoints(case_manager: User) -> None:
    paths = _api(case_manager).get("/api/schema/", {"format": "json"}).json()["paths"]
    for kind in LISTS:
        assert set(paths[f"{BASE}{kind}/"]) == {"get"}
        assert set(paths[f"{BASE}{kind}/{{id}}/"]) == {"get"}
    parameters = {p["name"] for p in paths[BASE + "services/"]["get"]["parameters"]}
    assert parameters >= {"category", "language", "accepting", "internal", "q", "page"}


def test_schema_generation_has_no_warnings_for_the_directory() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=None)
    with GENERATOR_STATS.silence():
        generator.get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    ours = [
        m
        for m in messages
        if "api/directory.py" in m
        or any(
            name in m
            for name in (
                "OrganizationViewSet",
                "ServiceViewSet",
                "LocationViewSet",
                "CategoryViewSet",
                "LocationTypeEnum",
                "PayersAcceptedEnum",
                "AddressTypeEnum",
            )
        )
    ]
    assert not ours, ours
