"""Collaterals: the services' rules and history, the Collaterals pages under the access
policy, the release status shown for each collateral, recording a release that names one
(and refusing another client's), query counts that do not grow with rows, and the demo
seeder."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients import collateral_services, release_services
from clients.demo_collaterals import SCENES, seed_demo_collaterals_and_crises
from clients.models import Client, Collateral, CrisisEvent, ReleaseOfInformation
from notes.services import collateral_release

from ..factories import make_client

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    return timezone.localdate()


def collateral_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "Rosa Rivera",
        "relationship": "family",
        "relationship_detail": "Mother",
        "organization": "",
        "phone": "305-555-0101",
        "email": "rosa@example.com",
        "address": "",
        "best_way_to_reach": "Mobile after 5 pm",
        "is_emergency_contact": True,
        "notes": "",
    }
    data.update(overrides)
    return data


def make_collateral(actor: User, client: Client, **overrides: Any) -> Collateral:
    return collateral_services.collateral_create(
        actor=actor, client=client, data=collateral_data(**overrides)
    )


def release_data(collateral: Collateral | int | None = None, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "discloser": "Test Agency",
        "recipient_collateral": collateral,
        "recipient_organization_id": None,
        "recipient_name": "",
        "recipient_details": "",
        "purposes": ["family"],
        "categories": ["general"],
        "effective_on": today() - dt.timedelta(days=1),
        "expires_on": today() + dt.timedelta(days=90),
        "expiration_event": "",
        "signer_name": "Maria Rivera",
        "signer_relationship": "self",
        "signature_method": "wet",
        "signed_on": today() - dt.timedelta(days=1),
        "ack_right_to_revoke": True,
        "ack_no_conditioning": True,
        "ack_redisclosure": True,
    }
    data.update(overrides)
    return data


def release_naming(actor: User, collateral: Collateral, **overrides: Any) -> ReleaseOfInformation:
    return release_services.release_record(
        actor=actor, client=collateral.client, data=release_data(collateral, **overrides)
    )


def _login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


@pytest.fixture
def collateral(case_manager: User, north_client: Client) -> Collateral:
    return make_collateral(case_manager, north_client)


# --- Services -----------------------------------------------------------------------------


def test_create_keeps_history_with_user_and_reason(
    case_manager: User, north_client: Client
) -> None:
    collateral = make_collateral(case_manager, north_client, name="  Rosa Rivera  ")
    assert collateral.name == "Rosa Rivera"
    assert collateral.created_by == case_manager and collateral.is_active
    entry = collateral.history.get()
    assert entry.history_user == case_manager
    assert entry.history_change_reason == "Collateral added"


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"name": " "}, "name", "Give the person's name."),
        ({"relationship": "cousin"}, "relationship", "Choose how they are related"),
        (
            {"relationship": "other", "relationship_detail": ""},
            "relationship_detail",
            "Say how they are related",
        ),
        ({"is_emergency_contact": True, "phone": ""}, "phone", "needs a phone number"),
        ({"email": "not-an-address"}, "email", "valid email"),
    ],
)
def test_create_refuses_with_a_message_beside_the_field(
    case_manager: User, north_client: Client, overrides: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        make_collateral(case_manager, north_client, **overrides)
    assert any(message in m for m in error.value.message_dict[field])
    assert not Collateral.objects.exists()


def test_only_those_who_change_the_client_add_or_change_collaterals(
    teammate: User, other_team_case_manager: User, north_client: Client, collateral: Collateral
) -> None:
    for user in (teammate, other_team_case_manager):
        with pytest.raises(PermissionDenied):
            make_collateral(user, north_client)
        with pytest.raises(PermissionDenied):
            collateral_services.collateral_update(
                actor=user, collateral=collateral, data=collateral_data(name="X")
            )
        with pytest.raises(PermissionDenied):
            collateral_services.collateral_set_involved(
                actor=user, collateral=collateral, involved=False
            )
    assert Collateral.objects.count() == 1


def test_update_and_no_longer_involved_keep_history(
    case_manager: User, supervisor: User, collateral: Collateral
) -> None:
    collateral_services.collateral_update(
        actor=supervisor, collateral=collateral, data=collateral_data(phone="305-555-0199")
    )
    collateral_services.collateral_set_involved(
        actor=case_manager, collateral=collateral, involved=False
    )
    collateral.refresh_from_db()
    assert collateral.phone == "305-555-0199" and not collateral.is_active
    rows = list(collateral.history.order_by("history_date", "history_id"))
    assert [(r.history_user, r.history_change_reason) for r in rows] == [
        (case_manager, "Collateral added"),
        (supervisor, "Collateral updated"),
        (case_manager, "No longer involved"),
    ]


# --- Releases naming a collateral ----------------------------------------------------------


def test_a_release_naming_a_collateral_keeps_their_name(
    case_manager: User, collateral: Collateral
) -> None:
    release = release_naming(case_manager, collateral)
    assert release.recipient_collateral == collateral
    assert release.recipient_name == "Rosa Rivera"
    assert collateral_services.collateral_active_release(collateral, today()) == release
    assert collateral_release(collateral, today()) == release


def test_a_release_cannot_name_another_clients_collateral(
    case_manager: User, team_north: Team, north_client: Client
) -> None:
    other = make_client(case_manager=case_manager, team=team_north)
    theirs = make_collateral(case_manager, other, name="Someone Else")
    with pytest.raises(ValidationError) as error:
        release_services.release_record(
            actor=case_manager, client=north_client, data=release_data(theirs)
        )
    assert "this client's collaterals" in error.value.message_dict["recipient_collateral"][0]
    with pytest.raises(ValidationError) as by_id:
        release_services.release_record(
            actor=case_manager, client=north_client, data=release_data(theirs.pk)
        )
    assert "recipient_collateral" in by_id.value.message_dict
    assert not ReleaseOfInformation.objects.exists()


def test_a_release_names_one_recipient(case_manager: User, collateral: Collateral) -> None:
    with pytest.raises(ValidationError) as error:
        release_naming(case_manager, collateral, recipient_name="Somebody typed")
    assert "not both" in error.value.message_dict["recipient_name"][0]


def test_a_collateral_no_longer_involved_cannot_be_named(
    case_manager: User, collateral: Collateral
) -> None:
    collateral_services.collateral_set_involved(
        actor=case_manager, collateral=collateral, involved=False
    )
    collateral.refresh_from_db()
    with pytest.raises(ValidationError) as error:
        release_naming(case_manager, collateral)
    assert "recipient_collateral" in error.value.message_dict


def test_an_expired_or_revoked_release_does_not_cover_them(
    case_manager: User, collateral: Collateral
) -> None:
    release = release_naming(case_manager, collateral)
    release_services.release_revoke(
        actor=case_manager, release=release, revoked_on=today(), method="By phone"
    )
    assert collateral_services.collateral_active_release(collateral, today()) is None


# --- Pages --------------------------------------------------------------------------------


def _url(page: str, client: Client, collateral: Collateral) -> str:
    if page in ("collateral_detail", "collateral_edit", "collateral_involvement"):
        return reverse(f"clients:{page}", args=[client.pk, collateral.pk])
    return reverse(f"clients:{page}", args=[client.pk])


READS = ["collateral_list", "collateral_detail"]
WRITES = ["collateral_new", "collateral_edit"]


@pytest.mark.parametrize("page", READS + WRITES)
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
def test_role_by_page_matrix(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    collateral: Collateral,
    page: str,
    role: str,
    read: int,
    write: int,
) -> None:
    response = _login(client, request.getfixturevalue(role)).get(
        _url(page, north_client, collateral)
    )
    assert response.status_code == (write if page in WRITES else read)


@pytest.mark.parametrize("page", [*READS, *WRITES, "collateral_involvement"])
def test_anonymous_goes_to_login(
    client: HttpClient, north_client: Client, collateral: Collateral, page: str
) -> None:
    response = client.get(_url(page, north_client, collateral))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


@pytest.mark.parametrize("page", [*WRITES, "collateral_involvement"])
@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("teammate", 403),
        ("other_team_case_manager", 404),
        ("other_team_supervisor", 404),
        ("admin", 404),
    ],
)
def test_writes_by_others_are_refused_and_change_nothing(
    request: pytest.FixtureRequest,
    client: HttpClient,
    north_client: Client,
    collateral: Collateral,
    page: str,
    role: str,
    expected: int,
) -> None:
    response = _login(client, request.getfixturevalue(role)).post(
        _url(page, north_client, collateral),
        {**collateral_data(name="Changed"), "involved": "0"},
    )
    assert response.status_code == expected
    collateral.refresh_from_db()
    assert collateral.name == "Rosa Rivera" and collateral.is_active
    assert Collateral.objects.count() == 1


def test_a_collateral_of_another_client_is_not_found_through_this_client(
    client: HttpClient, case_manager: User, team_north: Team, north_client: Client
) -> None:
    other = make_client(case_manager=case_manager, team=team_north)
    theirs = make_collateral(case_manager, other)
    _login(client, case_manager)
    for page in ("collateral_detail", "collateral_edit"):
        assert client.get(_url(page, north_client, theirs)).status_code == 404


def test_reading_the_list_and_detail_is_logged(
    client: HttpClient, teammate: User, north_client: Client, collateral: Collateral
) -> None:
    _login(client, teammate)
    client.get(_url("collateral_list", north_client, collateral))
    client.get(_url("collateral_detail", north_client, collateral))
    assert (
        AccessLog.objects.filter(
            user=teammate, client_id=north_client.pk, action=AccessAction.VIEW
        ).count()
        == 2
    )


def test_list_shows_relationship_reach_emergency_and_release_status(
    client: HttpClient, case_manager: User, north_client: Client, collateral: Collateral
) -> None:
    landlord = make_collateral(
        case_manager,
        north_client,
        name="Harold Jenkins",
        relationship="landlord",
        relationship_detail="",
        organization="Sunrise Gardens",
        is_emergency_contact=False,
    )
    release = release_naming(case_manager, collateral, expires_on=dt.date(2099, 3, 1))
    _login(client, case_manager)
    page = client.get(_url("collateral_list", north_client, collateral)).content.decode()
    assert "Family member" in page and "Mother" in page
    assert "305-555-0101" in page and "Mobile after 5 pm" in page
    assert "Active release until 03/01/2099" in page
    assert reverse("clients:release_detail", args=[north_client.pk, release.pk]) in page
    assert "No active release — contact about the client needs one" in page
    new_release = reverse("clients:release_new", args=[north_client.pk])
    assert f"{new_release}?collateral={landlord.pk}" in page
    assert f"{new_release}?collateral={collateral.pk}" not in page


def test_a_teammate_reads_without_the_buttons(
    client: HttpClient, teammate: User, north_client: Client, collateral: Collateral
) -> None:
    _login(client, teammate)
    page = client.get(_url("collateral_list", north_client, collateral)).content.decode()
    assert "Rosa Rivera" in page
    assert reverse("clients:collateral_new", args=[north_client.pk]) not in page
    assert "?collateral=" not in page
    detail = client.get(_url("collateral_detail", north_client, collateral)).content.decode()
    assert reverse("clients:collateral_edit", args=[north_client.pk, collateral.pk]) not in detail


def test_add_through_the_page(client: HttpClient, case_manager: User, north_client: Client) -> None:
    _login(client, case_manager)
    response = client.post(
        reverse("clients:collateral_new", args=[north_client.pk]), collateral_data()
    )
    collateral = Collateral.objects.get()
    assert response.status_code == 302
    assert response["Location"] == _url("collateral_detail", north_client, collateral)
    assert collateral.client == north_client and collateral.created_by == case_manager
    assert collateral.history.get().history_change_reason == "Collateral added"


def test_errors_beside_the_fields_and_nothing_typed_is_lost(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    _login(client, case_manager)
    response = client.post(
        reverse("clients:collateral_new", args=[north_client.pk]),
        collateral_data(
            name="Abuela Carmen", relationship="other", relationship_detail="", phone=""
        ),
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["relationship_detail"] == ["Say how they are related to the client."]
    assert form.errors["phone"] == ["An emergency contact needs a phone number."]
    page = response.content.decode()
    assert "There is a problem" in page and 'href="#id_phone"' in page
    assert 'value="Abuela Carmen"' in page
    assert not Collateral.objects.exists()


def test_edit_and_mark_no_longer_involved_through_the_pages(
    client: HttpClient, case_manager: User, north_client: Client, collateral: Collateral
) -> None:
    _login(client, case_manager)
    edit = client.get(_url("collateral_edit", north_client, collateral)).content.decode()
    assert 'value="Rosa Rivera"' in edit
    response = client.post(
        _url("collateral_edit", north_client, collateral),
        collateral_data(best_way_to_reach="Text first"),
    )
    assert response.status_code == 302
    response = client.post(
        _url("collateral_involvement", north_client, collateral), {"involved": "0"}
    )
    assert response.status_code == 302
    collateral.refresh_from_db()
    assert collateral.best_way_to_reach == "Text first" and not collateral.is_active
    page = client.get(_url("collateral_list", north_client, collateral)).content.decode()
    assert "No longer involved" in page
    client.post(_url("collateral_involvement", north_client, collateral), {"involved": "1"})
    collateral.refresh_from_db()
    assert collateral.is_active
    latest = collateral.history.first()
    assert latest is not None and latest.history_change_reason == "Involved again"


def test_involvement_is_post_only(
    client: HttpClient, case_manager: User, north_client: Client, collateral: Collateral
) -> None:
    _login(client, case_manager)
    assert client.get(_url("collateral_involvement", north_client, collateral)).status_code == 405


# --- The release form picks a collateral ---------------------------------------------------


def _release_form(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "discloser": "Test Agency",
        "recipient_organization_id": "",
        "recipient_collateral": "",
        "recipient_name": "",
        "recipient_details": "",
        "purposes": ["family"],
        "categories": ["general"],
        "effective_on": today().isoformat(),
        "expires_on": (today() + dt.timedelta(days=365)).isoformat(),
        "signer_name": "Maria Rivera",
        "signer_relationship": "self",
        "signature_method": "wet",
        "signed_on": today().isoformat(),
        "ack_right_to_revoke": "on",
        "ack_no_conditioning": "on",
        "ack_redisclosure": "on",
    }
    data.update(overrides)
    return data


def test_the_release_form_preselects_the_collateral(
    client: HttpClient, case_manager: User, north_client: Client, collateral: Collateral
) -> None:
    _login(client, case_manager)
    url = reverse("clients:release_new", args=[north_client.pk])
    response = client.get(url, {"collateral": collateral.pk})
    form = response.context["form"]
    assert form.initial["recipient_collateral"] == collateral.pk
    assert form.initial["purposes"] == ["family"]
    assert f'<option value="{collateral.pk}" selected>' in response.content.decode()
    nonsense = client.get(url, {"collateral": "abc"})
    assert "recipient_collateral" not in nonsense.context["form"].initial


def test_the_release_form_lists_only_this_clients_collaterals_still_involved(
    client: HttpClient,
    case_manager: User,
    team_north: Team,
    north_client: Client,
    collateral: Collateral,
) -> None:
    other = make_client(case_manager=case_manager, team=team_north)
    theirs = make_collateral(case_manager, other, name="Not Theirs")
    gone = make_collateral(case_manager, north_client, name="Moved Away")
    collateral_services.collateral_set_involved(actor=case_manager, collateral=gone, involved=False)
    _login(client, case_manager)
    url = reverse("clients:release_new", args=[north_client.pk])
    page = client.get(url, {"collateral": theirs.pk}).content.decode()
    assert "Rosa Rivera" in page
    assert "Not Theirs" not in page and "Moved Away" not in page
    response = client.post(url, _release_form(recipient_collateral=str(theirs.pk)))
    assert response.status_code == 200
    assert response.context["form"].errors["recipient_collateral"] == [
        "Choose one of this client's collaterals who is still involved."
    ]
    assert not ReleaseOfInformation.objects.exists()


def test_record_a_release_naming_the_collateral_through_the_page(
    client: HttpClient, case_manager: User, north_client: Client, collateral: Collateral
) -> None:
    _login(client, case_manager)
    response = client.post(
        reverse("clients:release_new", args=[north_client.pk]),
        _release_form(recipient_collateral=str(collateral.pk)),
    )
    assert response.status_code == 302
    release = ReleaseOfInformation.objects.get()
    assert release.recipient_collateral == collateral
    assert release.recipient_name == "Rosa Rivera"
    detail = client.get(response["Location"]).content.decode()
    assert "Collateral named" in detail and "Covers them" in detail
    assert _url("collateral_detail", north_client, collateral) in detail
    page = client.get(_url("collateral_detail", north_client, collateral)).content.decode()
    assert "Active release until" in page
    assert reverse("clients:release_detail", args=[north_client.pk, release.pk]) in page
    listing = client.get(reverse("clients:release_list", args=[north_client.pk])).content
    assert b"(collateral)" in listing


def test_the_release_detail_says_when_it_no_longer_covers_them(
    client: HttpClient, case_manager: User, north_client: Client, collateral: Collateral
) -> None:
    release = release_naming(case_manager, collateral)
    release_services.release_revoke(
        actor=case_manager, release=release, revoked_on=today(), method="In writing"
    )
    _login(client, case_manager)
    detail = client.get(
        reverse("clients:release_detail", args=[north_client.pk, release.pk])
    ).content.decode()
    assert "Does not cover them now" in detail
    page = client.get(_url("collateral_detail", north_client, collateral)).content.decode()
    assert "No active release — contact about the client needs one" in page
    assert "Revoked" in page


# --- Query counts -------------------------------------------------------------------------


def _add_collaterals(actor: User, client: Client, n: int) -> None:
    for i in range(n):
        collateral = make_collateral(actor, client, name=f"Person {i:02d}")
        if i % 2 == 0:
            release_naming(actor, collateral)
        if i % 5 == 4:
            collateral_services.collateral_set_involved(
                actor=actor, collateral=collateral, involved=False
            )


def test_list_query_count_does_not_grow_with_rows(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    _login(client, case_manager)
    url = reverse("clients:collateral_list", args=[north_client.pk])
    _add_collaterals(case_manager, north_client, 5)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _add_collaterals(case_manager, north_client, 25)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
        assert response.status_code == 200
    assert response.content.decode().count("data-collateral=") == 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 15


# --- Demo ---------------------------------------------------------------------------------


def test_demo_seeder_gives_clients_collaterals_releases_and_crises(
    case_manager: User, team_north: Team
) -> None:
    clients = [make_client(case_manager=case_manager, team=team_north) for _ in range(4)]
    lines = seed_demo_collaterals_and_crises()
    assert lines[0].startswith("Collaterals: 6 created (4 named in a release)")
    named = Collateral.objects.filter(releases__isnull=False).distinct().count()
    assert named == 4
    without = Collateral.objects.filter(releases__isnull=True, is_active=True)
    assert without.count() == 1
    assert collateral_services.collateral_active_release(without.get(), today()) is None
    assert Collateral.objects.filter(is_active=False).count() == 1
    assert CrisisEvent.objects.open().count() == 1
    assert CrisisEvent.objects.filter(closed_at__isnull=False).count() == 1
    assert set(Collateral.objects.values_list("client_id", flat=True)) == {
        c.pk for c in clients[: len(SCENES)]
    }
    for collateral in Collateral.objects.filter(releases__isnull=False):
        assert collateral_services.collateral_active_release(collateral, today()) is not None
    counts = (Collateral.objects.count(), ReleaseOfInformation.objects.count())
    again = seed_demo_collaterals_and_crises()
    assert again[0].startswith("Collaterals: 0 created")
    assert (Collateral.objects.count(), ReleaseOfInformation.objects.count()) == counts
    assert CrisisEvent.objects.count() == 2
