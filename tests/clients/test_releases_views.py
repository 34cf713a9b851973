"""The Releases tab: who may open and change what, recording a release with its errors beside
the fields and nothing typed lost, revoking, files served only through logged, scope-checked
views, the accounting of disclosures with the Part 2 notice, documents, and query counts that
do not grow with rows."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from casemgmt.accounts.models import Team, User
from casemgmt.audit.models import AccessAction, AccessLog
from clients import release_services
from clients.models import (
    Client,
    ClientDocument,
    Disclosure,
    ReleaseOfInformation,
    ReleaseStatus,
)
from clients.services import disclosure_record

from ..factories import make_client
from .test_releases import JPEG, PDF, PNG, days, make_release, organization, today, upload

pytestmark = pytest.mark.django_db

NOTICE_START = (
    "This information has been disclosed to you from records protected by federal "
    "confidentiality rules (42 CFR part 2)."
)


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def _login(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


@pytest.fixture
def release(case_manager: User, north_client: Client) -> ReleaseOfInformation:
    return make_release(case_manager, north_client, scanned_copy=upload(PDF))


@pytest.fixture
def document(case_manager: User, north_client: Client) -> ClientDocument:
    return release_services.document_upload(
        actor=case_manager,
        client=north_client,
        title="Benefits letter",
        category="general",
        file=upload(JPEG, "letter.jpg"),
    )


def _url(page: str, client: Client, release: ReleaseOfInformation, document: ClientDocument) -> str:
    if page in ("release_detail", "release_revoke", "release_copy", "release_event_ended"):
        return reverse(f"clients:{page}", args=[client.pk, release.pk])
    if page == "document_download":
        return reverse("clients:document_download", args=[client.pk, document.pk])
    return reverse(f"clients:{page}", args=[client.pk])


READS = [
    "release_list",
    "release_detail",
    "release_copy",
    "disclosure_list",
    "document_list",
    "document_download",
]
WRITES = ["release_new", "release_revoke"]


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
    release: ReleaseOfInformation,
    document: ClientDocument,
    page: str,
    role: str,
    read: int,
    write: int,
) -> None:
    response = _login(client, request.getfixturevalue(role)).get(
        _url(page, north_client, release, document)
    )
    assert response.status_code == (write if page in WRITES else read)


@pytest.mark.parametrize(
    "page", ["release_new", "release_revoke", "release_event_ended", "document_list"]
)
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
    case_manager: User,
    north_client: Client,
    release: ReleaseOfInformation,
    document: ClientDocument,
    page: str,
    role: str,
    expected: int,
) -> None:
    event_release = make_release(
        case_manager, north_client, expires_on=None, expiration_event="Move"
    )
    target = event_release if page == "release_event_ended" else release
    response = _login(client, request.getfixturevalue(role)).post(
        _url(page, north_client, target, document),
        {
            **_form(),
            "revoked_on": today().isoformat(),
            "revocation_method": "By phone",
            "note": "Moved",
            "title": "Sneaky",
            "category": "general",
            "file": upload(PDF, "x.pdf"),
        },
    )
    assert response.status_code == expected
    assert ReleaseOfInformation.objects.count() == 2
    assert ClientDocument.objects.count() == 1
    target.refresh_from_db()
    assert target.revoked_on is None and not target.expired_by_event


def test_a_release_of_another_client_is_not_found_through_this_client(
    client: HttpClient, case_manager: User, team_north: Team, north_client: Client
) -> None:
    other = make_client(case_manager=case_manager, team=team_north)
    elsewhere = make_release(case_manager, other, scanned_copy=upload())
    _login(client, case_manager)
    for page in ("release_detail", "release_revoke", "release_copy"):
        url = reverse(f"clients:{page}", args=[north_client.pk, elsewhere.pk])
        assert client.get(url).status_code == 404


# --- The list ----------------------------------------------------------------------------


def test_list_shows_status_in_words_and_badge(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    make_release(case_manager, north_client, recipient_name="Active Clinic")
    make_release(
        case_manager,
        north_client,
        recipient_name="Pending Clinic",
        effective_on=days(1),
        signed_on=today(),
    )
    make_release(
        case_manager,
        north_client,
        recipient_name="Expired Clinic",
        effective_on=days(-10),
        expires_on=days(-1),
    )
    revoked = make_release(case_manager, north_client, recipient_name="Revoked Clinic")
    release_services.release_revoke(
        actor=case_manager, release=revoked, revoked_on=today(), method="By phone"
    )
    page = _login(client, case_manager).get(reverse("clients:release_list", args=[north_client.pk]))
    body = page.content.decode()
    for name, status in [
        ("Active Clinic", ReleaseStatus.ACTIVE),
        ("Pending Clinic", ReleaseStatus.PENDING),
        ("Expired Clinic", ReleaseStatus.EXPIRED),
        ("Revoked Clinic", ReleaseStatus.REVOKED),
    ]:
        row = re.search(rf"<tr>(?:(?!</tr>).)*{name}(?:(?!</tr>).)*</tr>", body, re.S)
        assert row is not None, name
        assert f'data-status="{status.value}">{status.label}</span>' in row.group(0)
    assert "Referral and linkage to services" in body
    assert "General mental health information" in body
    assert reverse("clients:release_new", args=[north_client.pk]) in body


def test_a_teammate_reads_without_the_record_button(
    client: HttpClient, teammate: User, north_client: Client, release: ReleaseOfInformation
) -> None:
    body = (
        _login(client, teammate)
        .get(reverse("clients:release_list", args=[north_client.pk]))
        .content.decode()
    )
    assert "Dr. Ana Lopez" in body
    assert reverse("clients:release_new", args=[north_client.pk]) not in body


# --- Recording ----------------------------------------------------------------------------


def _form(**overrides: Any) -> dict[str, Any]:
    """The release form as a browser posts it."""
    data: dict[str, Any] = {
        "discloser": "Test Agency",
        "recipient_organization_id": "",
        "recipient_name": "Dr. Ana Lopez",
        "recipient_details": "Lopez Family Clinic",
        "purposes": ["referral"],
        "purpose_other": "",
        "categories": ["general", "sud_part2"],
        "category_other": "",
        "effective_on": today().isoformat(),
        "expires_on": days(180).isoformat(),
        "expiration_event": "",
        "signer_name": "Maria Rivera",
        "signer_relationship": "self",
        "signer_authority": "",
        "signature_method": "wet",
        "signed_on": today().isoformat(),
        "ack_right_to_revoke": "on",
        "ack_no_conditioning": "on",
        "ack_redisclosure": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_states_the_three_statements_in_full(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    response = _login(client, case_manager).get(
        reverse("clients:release_new", args=[north_client.pk])
    )
    body = response.content.decode()
    assert 'enctype="multipart/form-data"' in body
    for name in release_services.STATEMENTS:
        box = re.search(rf'<input[^>]*name="{name}"[^>]*>', body)
        assert box is not None and "required" in box.group(0)
    assert escape("may revoke this release at any time") in body
    assert escape("do not depend on signing this release") in body
    assert escape("may be disclosed again by the recipient") in body
    # Pre-filled from the client and the agency.
    form = response.context["form"]
    assert form.initial["signer_name"] == "Maria Rivera"
    assert form.initial["discloser"] == north_client.team.agency.name


def test_record_a_release_with_its_scanned_copy(
    client: HttpClient, case_manager: User, north_client: Client, tmp_path: Path
) -> None:
    response = _login(client, case_manager).post(
        reverse("clients:release_new", args=[north_client.pk]),
        {**_form(), "scanned_copy": upload(PNG, "scan.png")},
    )
    release = ReleaseOfInformation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "clients:release_detail", args=[north_client.pk, release.pk]
    )
    assert release.categories == ["general", "sud_part2"]
    assert release.scanned_copy.name is not None
    assert (tmp_path / release.scanned_copy.name).read_bytes() == PNG


def test_record_a_release_to_a_directory_organization(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    harbor = organization("Harbor Housing")
    _login(client, case_manager)
    page = client.get(reverse("clients:release_new", args=[north_client.pk])).content.decode()
    assert f'<option value="{harbor.pk}">Harbor Housing</option>' in page
    response = client.post(
        reverse("clients:release_new", args=[north_client.pk]),
        _form(recipient_organization_id=str(harbor.pk), recipient_name=""),
    )
    assert response.status_code == 302
    release = ReleaseOfInformation.objects.get()
    assert release.recipient_organization_id == harbor.pk
    assert release.recipient_name == "Harbor Housing"


def test_errors_beside_fields_at_once_and_nothing_typed_is_lost(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    response = _login(client, case_manager).post(
        reverse("clients:release_new", args=[north_client.pk]),
        {
            **_form(
                ack_redisclosure=None,
                expires_on="",
                signer_relationship="guardian",
                signer_name="Rosa Rivera",
                recipient_details="Fax 305-555-0199",
                categories=["other"],
                signed_on=days(2).isoformat(),
            ),
            "scanned_copy": upload(b"not a scan", "scan.pdf"),
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    for field in (
        "ack_redisclosure",
        "expires_on",
        "signer_authority",
        "category_other",
        "signed_on",
        "scanned_copy",
    ):
        assert field in form.errors, field
    body = response.content.decode()
    assert "There is a problem" in body
    assert 'href="#id_ack_redisclosure"' in body and 'href="#id_expires_on"' in body
    assert 'href="#id_categories_0"' in body or 'href="#id_category_other"' in body
    assert "invalid-feedback" in body
    # What was typed is still there.
    assert 'value="Rosa Rivera"' in body and 'value="Fax 305-555-0199"' in body
    assert re.search(r'<input[^>]*value="other"[^>]*checked', body)
    assert "choose the scanned copy again" in body
    assert not ReleaseOfInformation.objects.exists()


def test_none_chosen_purposes_are_linked_from_the_summary(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    response = _login(client, case_manager).post(
        reverse("clients:release_new", args=[north_client.pk]), _form(purposes=[])
    )
    assert "purposes" in response.context["form"].errors
    assert 'href="#id_purposes_0"' in response.content.decode()
    assert 'id="id_purposes_0"' in response.content.decode()


# --- Detail, copy, revoke, event ----------------------------------------------------------


def test_detail_links_the_copy_through_the_view_never_media(
    client: HttpClient, teammate: User, north_client: Client, release: ReleaseOfInformation
) -> None:
    body = (
        _login(client, teammate)
        .get(reverse("clients:release_detail", args=[north_client.pk, release.pk]))
        .content.decode()
    )
    assert reverse("clients:release_copy", args=[north_client.pk, release.pk]) in body
    assert release.scanned_copy.name is not None
    assert release.scanned_copy.name not in body and "/media/" not in body
    # A teammate reads but sees no controls to change the release.
    assert reverse("clients:release_revoke", args=[north_client.pk, release.pk]) not in body


def test_scanned_copy_download_is_logged(
    client: HttpClient, teammate: User, north_client: Client, release: ReleaseOfInformation
) -> None:
    url = reverse("clients:release_copy", args=[north_client.pk, release.pk])
    response = _login(client, teammate).get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert north_client.record_number in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    log = AccessLog.objects.get(user=teammate, path=url)
    assert log.action == AccessAction.VIEW and log.client_id == north_client.pk


def test_an_outsider_download_is_404_and_not_logged(
    client: HttpClient,
    other_team_case_manager: User,
    north_client: Client,
    release: ReleaseOfInformation,
) -> None:
    url = reverse("clients:release_copy", args=[north_client.pk, release.pk])
    assert _login(client, other_team_case_manager).get(url).status_code == 404
    assert not AccessLog.objects.filter(user=other_team_case_manager).exists()


def test_no_copy_on_file_is_404(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    bare = make_release(case_manager, north_client)
    url = reverse("clients:release_copy", args=[north_client.pk, bare.pk])
    assert _login(client, case_manager).get(url).status_code == 404


def test_a_copy_missing_from_storage_is_404(
    client: HttpClient,
    case_manager: User,
    north_client: Client,
    release: ReleaseOfInformation,
    tmp_path: Path,
) -> None:
    assert release.scanned_copy.name is not None
    (tmp_path / release.scanned_copy.name).unlink()
    url = reverse("clients:release_copy", args=[north_client.pk, release.pk])
    assert _login(client, case_manager).get(url).status_code == 404


def test_revoke_through_the_page(
    client: HttpClient, case_manager: User, north_client: Client, release: ReleaseOfInformation
) -> None:
    url = reverse("clients:release_revoke", args=[north_client.pk, release.pk])
    _login(client, case_manager)
    bad = client.post(
        url, {"revoked_on": days(3).isoformat(), "revocation_method": "Letter from the client"}
    )
    assert bad.status_code == 200
    assert "revoked_on" in bad.context["form"].errors
    assert "Letter from the client" in bad.content.decode()
    ok = client.post(
        url, {"revoked_on": today().isoformat(), "revocation_method": "Letter from the client"}
    )
    assert ok.status_code == 302
    release.refresh_from_db()
    assert release.status == ReleaseStatus.REVOKED
    listing = client.get(reverse("clients:release_list", args=[north_client.pk]))
    assert 'data-status="revoked">Revoked</span>' in listing.content.decode()
    again = client.get(url).content.decode()
    assert "This release was revoked on" in again and "<form" not in again.split("<main")[-1]


def test_mark_the_expiration_event_through_the_page(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    release = make_release(
        case_manager, north_client, expires_on=None, expiration_event="Housing decided"
    )
    _login(client, case_manager)
    detail = reverse("clients:release_detail", args=[north_client.pk, release.pk])
    assert "The expiration event has happened" in client.get(detail).content.decode()
    url = reverse("clients:release_event_ended", args=[north_client.pk, release.pk])
    bad = client.post(url, {"note": ""})
    assert bad.status_code == 400
    assert "note" in bad.context["event_form"].errors
    ok = client.post(url, {"note": "Approved on Monday"})
    assert ok.status_code == 302 and ok["Location"] == detail
    release.refresh_from_db()
    assert release.status == ReleaseStatus.EXPIRED


# --- Accounting of disclosures ------------------------------------------------------------


def _disclose(
    actor: User, client: Client, release: ReleaseOfInformation | None, categories: list[str]
) -> Disclosure:
    return disclosure_record(
        actor=actor,
        client=client,
        recipient_name=release.recipient_name if release else "County Court",
        what="Referral packet: identity, presenting issue",
        categories=categories,
        release=release,
        exception="" if release else "Court-ordered (order 2024-77)",
        purpose="Referral",
    )


def test_disclosures_page_shows_each_line_and_the_part2_notice(
    client: HttpClient,
    case_manager: User,
    teammate: User,
    north_client: Client,
    release: ReleaseOfInformation,
) -> None:
    _disclose(case_manager, north_client, release, ["general"])
    _disclose(case_manager, north_client, release, ["general", "sud_part2"])
    _disclose(case_manager, north_client, None, ["general"])
    url = reverse("clients:disclosure_list", args=[north_client.pk])
    response = _login(client, teammate).get(url)
    body = response.content.decode()
    assert response.status_code == 200
    assert body.count("Referral packet: identity, presenting issue") == 3
    assert reverse("clients:release_detail", args=[north_client.pk, release.pk]) in body
    assert "Court-ordered (order 2024-77)" in body and "County Court" in body
    assert "Substance-use disorder records (42 CFR Part 2)" in body
    assert body.count(escape(NOTICE_START)) == 1
    assert escape("A general authorization for the release of medical") in body
    assert "Casey North" in body
    assert AccessLog.objects.filter(user=teammate, action=AccessAction.VIEW, path=url).exists()


def test_the_release_detail_lists_what_was_disclosed_under_it(
    client: HttpClient, case_manager: User, north_client: Client, release: ReleaseOfInformation
) -> None:
    _disclose(case_manager, north_client, release, ["general"])
    body = (
        _login(client, case_manager)
        .get(reverse("clients:release_detail", args=[north_client.pk, release.pk]))
        .content.decode()
    )
    assert "Referral packet: identity, presenting issue" in body


# --- Documents ----------------------------------------------------------------------------


def test_upload_and_download_a_document(
    client: HttpClient, case_manager: User, teammate: User, north_client: Client
) -> None:
    url = reverse("clients:document_list", args=[north_client.pk])
    response = _login(client, case_manager).post(
        url, {"title": "Lease", "category": "general", "file": upload(PDF, "lease.pdf")}
    )
    assert response.status_code == 302 and response["Location"] == url
    document = ClientDocument.objects.get()
    download = reverse("clients:document_download", args=[north_client.pk, document.pk])
    listing = _login(client, teammate).get(url).content.decode()
    assert download in listing and "Lease" in listing
    assert 'enctype="multipart/form-data"' not in listing  # a teammate gets no upload form
    fetched = client.get(download)
    assert fetched.status_code == 200
    assert b"".join(fetched.streaming_content) == PDF  # type: ignore[attr-defined]
    assert 'filename="lease.pdf"' in fetched["Content-Disposition"]
    assert AccessLog.objects.filter(
        user=teammate, action=AccessAction.VIEW, path=download, client_id=north_client.pk
    ).exists()


def test_a_bad_upload_is_refused_beside_the_field(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    response = _login(client, case_manager).post(
        reverse("clients:document_list", args=[north_client.pk]),
        {"title": "Photo ID", "category": "general", "file": upload(b"GIF89a...", "id.gif")},
    )
    assert response.status_code == 400
    assert "file" in response.context["form"].errors
    body = response.content.decode()
    assert "PDF, JPEG or PNG" in body and 'value="Photo ID"' in body
    assert not ClientDocument.objects.exists()


def test_a_document_of_another_client_is_not_found_through_this_client(
    client: HttpClient, case_manager: User, team_north: Team, north_client: Client
) -> None:
    other = make_client(case_manager=case_manager, team=team_north)
    theirs = release_services.document_upload(
        actor=case_manager, client=other, title="x", category="general", file=upload()
    )
    url = reverse("clients:document_download", args=[north_client.pk, theirs.pk])
    assert _login(client, case_manager).get(url).status_code == 404


# --- Query counts -------------------------------------------------------------------------


def _add_rows(kind: str, actor: User, client: Client, n: int) -> None:
    for i in range(n):
        if kind == "releases":
            make_release(actor, client, recipient_name=f"Clinic {uuid.uuid4().hex[:6]}")
        elif kind == "disclosures":
            release = make_release(actor, client)
            _disclose(actor, client, release, ["general", "sud_part2"] if i % 2 else ["general"])
        else:
            release_services.document_upload(
                actor=actor, client=client, title=f"Doc {i}", category="hiv", file=upload()
            )


@pytest.mark.parametrize(
    ("kind", "url_name"),
    [
        ("releases", "clients:release_list"),
        ("disclosures", "clients:disclosure_list"),
        ("documents", "clients:document_list"),
    ],
)
def test_list_query_count_does_not_grow_with_rows(
    client: HttpClient, case_manager: User, north_client: Client, kind: str, url_name: str
) -> None:
    _login(client, case_manager)
    url = reverse(url_name, args=[north_client.pk])
    _add_rows(kind, case_manager, north_client, 3)
    with CaptureQueriesContext(connection) as three:
        assert client.get(url).status_code == 200
    _add_rows(kind, case_manager, north_client, 27)
    with CaptureQueriesContext(connection) as thirty:
        response = client.get(url)
        assert response.status_code == 200
    assert len(thirty) == len(three), [q["sql"] for q in thirty.captured_queries]
    assert len(three) <= 15
