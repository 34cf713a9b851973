"""/hsds/: the HSDS 3.0 API's required endpoints — the root object, the `Page` of services and
one fully nested service — validated against the specification's OpenAPI and schemas."""

from __future__ import annotations

import copy
import datetime as dt
import uuid
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casemgmt.accounts.models import User
from referrals.models import Service

from .directory_factories import (
    AddressFactory,
    ContactFactory,
    Directory,
    LocationFactory,
    OrganizationFactory,
    PhoneFactory,
    ServiceAtLocationFactory,
    ServiceFactory,
    assert_valid,
    full_service,
    make_directory,
    spec_json,
)

pytestmark = pytest.mark.django_db

SERVICE_LIST_REF = (
    "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/compiled/"
    "service_list.json"
)


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


def _page_schema(items: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI's response schema for GET /services, with every Page key required and the
    contents' remote $ref replaced by the specification's local copy."""
    openapi = spec_json("schema/openapi.json")
    page = openapi["components"]["schemas"]["Page"]
    response = copy.deepcopy(
        openapi["paths"]["/services"]["get"]["responses"]["200"]["content"]["application/json"][
            "schema"
        ]
    )
    assert response["properties"]["contents"]["items"]["$ref"] == SERVICE_LIST_REF
    response["properties"]["contents"]["items"] = items
    response["allOf"] = [page]
    response["required"] = [*page["properties"], "contents"]
    return response


def _names(body: dict[str, Any]) -> list[str]:
    return [service["name"] for service in body["contents"]]


# --- Access -------------------------------------------------------------------------------------


def test_anonymous_callers_are_refused(directory: Directory) -> None:
    shelter = directory.services["shelter"]
    for url in ("/hsds/", "/hsds/services", f"/hsds/services/{shelter.id}"):
        assert _api().get(url).status_code in (401, 403), url


def test_token_callers_are_not_redirected_to_the_login_page(
    directory: Directory, case_manager: User
) -> None:
    response = _api(case_manager, token=True).get("/hsds/services")
    assert response.status_code == 200
    assert response.json()["total_items"] == 4


def test_administrators_without_a_clinical_role_may_read(directory: Directory, admin: User) -> None:
    assert _api(admin).get("/hsds/services").status_code == 200
    shelter = directory.services["shelter"]
    assert _api(admin).get(f"/hsds/services/{shelter.id}").status_code == 200


def test_the_api_is_read_only(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)
    shelter = directory.services["shelter"]
    assert api.post("/hsds/services", {}, format="json").status_code == 405
    assert api.put(f"/hsds/services/{shelter.id}", {}, format="json").status_code == 405
    assert api.delete(f"/hsds/services/{shelter.id}").status_code == 405
    assert Service.objects.filter(pk=shelter.pk).exists()


# --- GET /hsds/ ------------------------------------------------------------------------------


def test_root_describes_the_api(case_manager: User) -> None:
    body = _api(case_manager).get("/hsds/").json()
    openapi = spec_json("schema/openapi.json")
    schema = openapi["paths"]["/"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ]
    assert set(body) == set(schema["properties"])
    assert_valid(body, schema)
    assert body["version"] == "3.0"
    assert body["profile"].startswith("https://")
    assert body["openapi_url"].endswith("/openapi.json")


# --- GET /hsds/services ------------------------------------------------------------------------


def test_page_envelope_follows_the_openapi(directory: Directory, case_manager: User) -> None:
    body = _api(case_manager).get("/hsds/services").json()
    assert_valid(body, _page_schema(spec_json("schema/compiled/service_list.json")))
    assert_valid(body, _page_schema(spec_json("schema/compiled/service.json")))
    assert body["total_items"] == 4
    assert body["total_pages"] == 1
    assert body["page_number"] == 1
    assert body["size"] == 4
    assert body["first_page"] is True
    assert body["last_page"] is True
    assert body["empty"] is False
    assert _names(body) == sorted(_names(body))
    entry = body["contents"][0]
    assert entry["organization"]["name"]
    # A list holds each service's own fields; child arrays come with full=true.
    assert "phones" not in entry


def test_full_pages_hold_fully_nested_services(directory: Directory, case_manager: User) -> None:
    body = _api(case_manager).get("/hsds/services", {"full": "true"}).json()
    assert_valid(body, _page_schema(spec_json("schema/compiled/service.json")))
    shelter = next(s for s in body["contents"] if s["name"] == "Family Shelter")
    assert shelter["phones"] and shelter["service_at_locations"] and shelter["attributes"]
    assert {lang["name"] for lang in shelter["languages"]} == {"English", "Spanish"}


@pytest.mark.parametrize(
    ("page", "per_page", "expected"),
    [
        (1, 3, {"size": 3, "total_pages": 2, "first_page": True, "last_page": False}),
        (2, 3, {"size": 1, "total_pages": 2, "first_page": False, "last_page": True}),
        (3, 3, {"size": 0, "total_pages": 2, "last_page": True, "empty": True}),
        (1, 4, {"size": 4, "total_pages": 1, "first_page": True, "last_page": True}),
        (2, 1, {"size": 1, "total_pages": 4, "first_page": False, "last_page": False}),
    ],
)
def test_pagination(
    directory: Directory, case_manager: User, page: int, per_page: int, expected: dict[str, Any]
) -> None:
    body = _api(case_manager).get("/hsds/services", {"page": page, "per_page": per_page}).json()
    assert body["page_number"] == page
    assert body["total_items"] == 4
    assert len(body["contents"]) == body["size"]
    for key, value in expected.items():
        assert body[key] == value, key
    assert body["empty"] is (body["size"] == 0)


def test_pages_cover_every_service_once(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)
    seen = []
    for page in (1, 2, 3, 4):
        seen += _names(api.get("/hsds/services", {"page": page, "per_page": 1}).json())
    assert sorted(seen) == sorted(s.name for s in directory.services.values())


def test_an_empty_directory_is_one_empty_page(case_manager: User) -> None:
    body = _api(case_manager).get("/hsds/services").json()
    assert body["total_items"] == 0
    assert body["total_pages"] == 0
    assert body["empty"] is True
    assert body["contents"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"page": 0},
        {"page": "two"},
        {"per_page": 0},
        {"per_page": 100_000},
        {"organization_id": "not-a-uuid"},
        {"modified_after": "yesterday"},
    ],
)
def test_bad_parameters_get_a_clear_400(case_manager: User, params: dict[str, Any]) -> None:
    response = _api(case_manager).get("/hsds/services", params)
    assert response.status_code == 400
    assert set(response.json()) == set(params)


def test_search_uses_full_text_and_substrings(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)

    def found(text: str) -> list[str]:
        return _names(api.get("/hsds/services", {"search": text}).json())

    # "depressed" appears nowhere verbatim: the full-text stemming finds "depression".
    assert found("depressed") == ["Counseling for Adults"]
    assert found("shelter") == ["Family Shelter"]
    # A substring of a word, which full-text search does not match.
    assert found("pant") == ["Agency Food Pantry"]
    assert found("North Star") == [
        "Counseling for Adults",
        "Family Shelter",
        "Old Drop-in Center",
    ]
    assert found("zzz-nothing") == []
    assert len(found("")) == 4


def test_search_falls_back_when_the_search_vector_is_missing(
    directory: Directory, case_manager: User
) -> None:
    Service.objects.update(search_vector=None)
    body = _api(case_manager).get("/hsds/services", {"search": "groceries"}).json()
    assert _names(body) == ["Agency Food Pantry"]


def test_filters_combine(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)

    def found(**params: Any) -> set[str]:
        return set(_names(api.get("/hsds/services", params).json()))

    assert found(organization_id=directory.own_program.id) == {"Agency Food Pantry"}
    assert found(taxonomy_term_id=directory.shelter.id) == {"Family Shelter"}
    assert found(taxonomy_id=directory.taxonomy.id) == {"Family Shelter", "Counseling for Adults"}
    assert found(taxonomy_id=directory.taxonomy.id, organization_id=directory.own_program.id) == (
        set()
    )
    Service.objects.filter(pk=directory.services["pantry"].pk).update(
        last_modified=timezone.now() - dt.timedelta(days=30)
    )
    recent = (timezone.now() - dt.timedelta(days=1)).isoformat()
    assert "Agency Food Pantry" not in found(modified_after=recent)
    assert len(found(modified_after=recent)) == 3


def test_list_query_count_does_not_grow_with_the_page(case_manager: User) -> None:
    organization = OrganizationFactory.create()
    api = _api(case_manager)
    api.get("/hsds/services")  # the session and user, loaded once

    def queries_for(total: int, **params: Any) -> int:
        while Service.objects.count() < total:
            full_service(organization)
        with CaptureQueriesContext(connection) as captured:
            response = api.get("/hsds/services", {"per_page": 100, **params})
        assert response.json()["size"] == total
        return len(captured)

    assert queries_for(3) == queries_for(30)
    Service.objects.all().delete()
    assert queries_for(3, full="true") == queries_for(30, full="true")


# --- GET /hsds/services/{id} ----------------------------------------------------------------------


def test_service_is_fully_nested_and_valid(directory: Directory, case_manager: User) -> None:
    shelter = directory.services["shelter"]
    response = _api(case_manager).get(f"/hsds/services/{shelter.id}")
    assert response.status_code == 200
    body = response.json()
    assert_valid(body, spec_json("schema/compiled/service.json"))
    assert body["id"] == str(shelter.id)
    assert body["organization"]["id"] == str(directory.north_star.id)
    for key in (
        "phones",
        "schedules",
        "service_at_locations",
        "languages",
        "required_documents",
        "contacts",
        "attributes",
    ):
        assert body[key], key
    assert body["service_at_locations"][0]["location"]["addresses"]


def test_every_service_validates(directory: Directory, case_manager: User) -> None:
    api = _api(case_manager)
    schema = spec_json("schema/compiled/service.json")
    for service in directory.services.values():
        assert_valid(api.get(f"/hsds/services/{service.id}").json(), schema)


def test_a_service_with_no_related_rows(case_manager: User) -> None:
    bare = ServiceFactory.create(description="", languages=[], required_documents=[])
    body = _api(case_manager).get(f"/hsds/services/{bare.id}").json()
    assert_valid(body, spec_json("schema/compiled/service.json"))
    assert body["phones"] == [] and body["attributes"] == []
    assert "description" not in body


@pytest.mark.parametrize("service_id", [str(uuid.uuid4()), "not-a-uuid"])
def test_unknown_service_is_404(directory: Directory, case_manager: User, service_id: str) -> None:
    response = _api(case_manager).get(f"/hsds/services/{service_id}")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_service_query_count_does_not_grow_with_its_rows(
    directory: Directory, case_manager: User
) -> None:
    api = _api(case_manager)
    api.get("/hsds/")
    shelter, counseling = directory.services["shelter"], directory.services["counseling"]
    for _ in range(3):
        PhoneFactory.create(service=counseling)
        contact = ContactFactory.create(service=counseling)
        PhoneFactory.create(contact=contact)
        location = LocationFactory.create(organization=counseling.organization)
        AddressFactory.create(location=location)
        ServiceAtLocationFactory.create(service=counseling, location=location)
    counts = []
    for service in (shelter, counseling):
        with CaptureQueriesContext(connection) as captured:
            assert api.get(f"/hsds/services/{service.id}").status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- OpenAPI --------------------------------------------------------------------------------------


def test_schema_documents_the_endpoints(case_manager: User) -> None:
    schema = _api(case_manager).get("/api/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert set(paths["/hsds/"]) == {"get"}
    assert set(paths["/hsds/services"]) == {"get"}
    assert set(paths["/hsds/services/{id}"]) == {"get"}
    operation = paths["/hsds/services"]["get"]
    assert operation["operationId"] == "getPaginatedListOfServices"
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/HsdsServicePage"
    }
    assert {p["name"] for p in operation["parameters"]} >= {"page", "per_page", "search", "full"}
    components = schema["components"]["schemas"]
    page = components["HsdsServicePage"]
    assert set(page["required"]) >= {
        "total_items",
        "total_pages",
        "page_number",
        "size",
        "first_page",
        "last_page",
        "empty",
        "contents",
    }
    service = components["HsdsService"]
    assert set(service["required"]) == {"id", "organization_id", "name", "status"}
    assert "service_at_locations" in service["properties"]


def test_schema_generation_has_no_warnings_for_the_hsds_api() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=None)
    with GENERATOR_STATS.silence():
        generator.get_schema(request=None, public=True)
    messages = [*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache]
    ours = [m for m in messages if "Hsds" in m or "hsds" in m]
    assert not ours, ours
