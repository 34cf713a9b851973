"""Releases of information: every recording rule refused beside its field, status computed at
its boundaries, revocation and event expiry, the consent gate's `releases_covering`, and
documents with the same file rules."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casemgmt.accounts.models import Team, User
from clients import release_services as services
from clients.models import (
    Client,
    ClientDocument,
    ReleaseCategory,
    ReleaseOfInformation,
    ReleaseStatus,
)
from referrals.models import Organization

from ..factories import make_client

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.MEDIA_ROOT = tmp_path


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def upload(content: bytes = PDF, name: str = "Maria Rivera release.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def organization(name: str = "Harbor Housing") -> Organization:
    return Organization.objects.create(id=uuid.uuid4(), name=name)


def release_data(**overrides: Any) -> dict[str, Any]:
    """A valid release as a form's cleaned data holds it: to a named person, for a year."""
    data: dict[str, Any] = {
        "discloser": "Test Agency",
        "recipient_organization_id": None,
        "recipient_name": "Dr. Ana Lopez",
        "recipient_details": "Lopez Family Clinic, 12 Main St",
        "purposes": ["referral", "coordination"],
        "purpose_other": "",
        "categories": ["general", "mental_health"],
        "category_other": "",
        "effective_on": days(-30),
        "expires_on": days(335),
        "expiration_event": "",
        "signer_name": "Maria Rivera",
        "signer_relationship": "self",
        "signer_authority": "",
        "signature_method": "wet",
        "signed_on": days(-30),
        "ack_right_to_revoke": True,
        "ack_no_conditioning": True,
        "ack_redisclosure": True,
    }
    data.update(overrides)
    return data


def make_release(
    actor: User, client: Client, *, scanned_copy: Any = None, **overrides: Any
) -> ReleaseOfInformation:
    return services.release_record(
        actor=actor, client=client, data=release_data(**overrides), scanned_copy=scanned_copy
    )


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


# --- Recording ----------------------------------------------------------------------------


def test_record_a_release_to_a_named_person(case_manager: User, north_client: Client) -> None:
    release = make_release(case_manager, north_client)
    assert release.pk is not None
    assert release.created_by == case_manager
    assert release.recipient_organization_id is None
    assert release.recipient_name == "Dr. Ana Lopez"
    assert release.status == ReleaseStatus.ACTIVE
    entry = release.history.get()
    assert entry.history_user == case_manager
    assert entry.history_change_reason == "Release of information recorded"


def test_a_directory_recipient_keeps_its_name_from_the_day_of_signing(
    case_manager: User, north_client: Client
) -> None:
    harbor = organization("Harbor Housing")
    release = make_release(
        case_manager, north_client, recipient_organization_id=str(harbor.pk), recipient_name=""
    )
    assert release.recipient_organization_id == harbor.pk
    assert release.recipient_name == "Harbor Housing"
    Organization.objects.filter(pk=harbor.pk).update(name="Harbor Housing Partners")
    release.refresh_from_db()
    assert release.recipient_name == "Harbor Housing"


def test_directory_lists_organizations_by_name() -> None:
    organization("Zenith Recovery")
    first = organization("Aurora Clinic")
    assert services.directory_organizations()[0] == (str(first.pk), "Aurora Clinic")


def test_an_expiration_event_is_enough(case_manager: User, north_client: Client) -> None:
    release = make_release(
        case_manager,
        north_client,
        expires_on=None,
        expiration_event="When the housing application is decided",
    )
    assert release.expires_on is None
    assert release.status == ReleaseStatus.ACTIVE


def test_someone_signing_for_the_client_with_authority(
    case_manager: User, north_client: Client
) -> None:
    release = make_release(
        case_manager,
        north_client,
        signer_name="Rosa Rivera",
        signer_relationship="guardian",
        signer_authority="Letters of guardianship, Miami-Dade probate court 2021-123",
    )
    assert release.get_signer_relationship_display() == "Legal guardian"


def test_other_purpose_and_category_with_descriptions(
    case_manager: User, north_client: Client
) -> None:
    release = make_release(
        case_manager,
        north_client,
        purposes=["other", "other"],
        purpose_other="Tenant screening",
        categories=["other"],
        category_other="Rental history",
    )
    assert release.purposes == ["other"]
    assert release.category_other == "Rental history"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ack_right_to_revoke": False}, "ack_right_to_revoke"),
        ({"ack_no_conditioning": False}, "ack_no_conditioning"),
        ({"ack_redisclosure": False}, "ack_redisclosure"),
        ({"expires_on": None, "expiration_event": ""}, "expires_on"),
        ({"expires_on": "SAME"}, "expires_on"),
        ({"expires_on": "BEFORE"}, "expires_on"),
        ({"signed_on": "TOMORROW"}, "signed_on"),
        ({"signer_relationship": "guardian", "signer_authority": ""}, "signer_authority"),
        ({"signer_relationship": "parent", "signer_authority": "  "}, "signer_authority"),
        ({"purposes": ["other"], "purpose_other": ""}, "purpose_other"),
        ({"categories": ["hiv", "other"], "category_other": ""}, "category_other"),
        ({"purposes": []}, "purposes"),
        ({"categories": []}, "categories"),
        ({"categories": ["psychotherapy_notes"]}, "categories"),
        ({"categories": ["general", "nonsense"]}, "categories"),
        ({"recipient_name": "  "}, "recipient_name"),
        (
            {"recipient_organization_id": "UNKNOWN", "recipient_name": ""},
            "recipient_organization_id",
        ),
        ({"recipient_organization_id": "not-a-uuid"}, "recipient_organization_id"),
        ({"recipient_organization_id": "KNOWN", "recipient_name": "Also typed"}, "recipient_name"),
        ({"signature_method": "fax"}, "signature_method"),
        ({"signer_name": ""}, "signer_name"),
        ({"discloser": ""}, "discloser"),
    ],
)
def test_each_rule_is_refused_beside_its_field(
    case_manager: User, north_client: Client, overrides: dict[str, Any], field: str
) -> None:
    effective = days(-30)
    replacements: dict[str, Any] = {
        "SAME": effective,
        "BEFORE": effective - dt.timedelta(days=1),
        "TOMORROW": days(1),
        "UNKNOWN": str(uuid.uuid4()),
        "KNOWN": None,
    }
    if "KNOWN" in overrides.values():
        replacements["KNOWN"] = str(organization().pk)
    data = {k: replacements.get(v, v) if isinstance(v, str) else v for k, v in overrides.items()}
    with pytest.raises(ValidationError) as error:
        make_release(case_manager, north_client, effective_on=effective, **data)
    assert field in refusal(error), refusal(error)
    assert not ReleaseOfInformation.objects.exists()


def test_psychotherapy_notes_are_named_in_the_refusal(
    case_manager: User, north_client: Client
) -> None:
    with pytest.raises(ValidationError) as error:
        make_release(case_manager, north_client, categories=["psychotherapy_notes"])
    assert "Psychotherapy notes are never disclosed" in refusal(error)["categories"][0]


def test_every_problem_is_told_at_once(case_manager: User, north_client: Client) -> None:
    with pytest.raises(ValidationError) as error:
        make_release(
            case_manager,
            north_client,
            ack_redisclosure=False,
            expires_on=None,
            signer_relationship="representative",
            purposes=[],
        )
    assert {"ack_redisclosure", "expires_on", "signer_authority", "purposes"} <= set(refusal(error))


@pytest.mark.parametrize("role", ["teammate", "other_team_case_manager", "admin"])
def test_only_those_who_change_the_record_record_a_release(
    request: pytest.FixtureRequest, north_client: Client, role: str
) -> None:
    with pytest.raises(PermissionDenied):
        make_release(request.getfixturevalue(role), north_client)
    assert not ReleaseOfInformation.objects.exists()


def test_the_supervisor_records_a_release(supervisor: User, north_client: Client) -> None:
    assert make_release(supervisor, north_client).created_by == supervisor


# --- Scanned copy -------------------------------------------------------------------------


@pytest.mark.parametrize(("content", "extension"), [(PDF, ".pdf"), (JPEG, ".jpg"), (PNG, ".png")])
def test_scanned_copy_is_kept_under_a_random_name(
    case_manager: User, north_client: Client, tmp_path: Path, content: bytes, extension: str
) -> None:
    release = make_release(case_manager, north_client, scanned_copy=upload(content))
    name = release.scanned_copy.name
    assert name is not None
    assert name.startswith("releases/") and name.endswith(extension)
    assert "Rivera" not in name and "Maria" not in name
    assert (tmp_path / name).read_bytes() == content


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ\x90\x00 this is a program", "PDF, JPEG or PNG"),
        (b"<html><script>alert(1)</script></html>", "PDF, JPEG or PNG"),
        (b"", "empty"),
        (PDF + b"\x00" * (10 * 1024 * 1024), "10 MB"),
    ],
)
def test_scanned_copy_must_be_a_pdf_jpeg_or_png_under_10_mb(
    case_manager: User, north_client: Client, tmp_path: Path, content: bytes, message: str
) -> None:
    with pytest.raises(ValidationError) as error:
        make_release(case_manager, north_client, scanned_copy=upload(content, "copy.pdf"))
    assert message in " ".join(refusal(error)["scanned_copy"])
    assert not ReleaseOfInformation.objects.exists()
    assert not list(tmp_path.rglob("*.pdf"))


def test_a_file_just_under_10_mb_is_accepted(case_manager: User, north_client: Client) -> None:
    content = PDF + b"\x00" * (10 * 1024 * 1024 - len(PDF) - 1)
    release = make_release(case_manager, north_client, scanned_copy=upload(content))
    assert release.scanned_copy.size == 10 * 1024 * 1024 - 1


# --- Status -------------------------------------------------------------------------------


def _status_cases(actor: User, client: Client) -> dict[str, ReleaseOfInformation]:
    pending = make_release(actor, client, effective_on=days(1), signed_on=today())
    expires_today = make_release(actor, client, effective_on=days(-10), expires_on=today())
    expired = make_release(actor, client, effective_on=days(-10), expires_on=days(-1))
    revoked = make_release(actor, client)
    services.release_revoke(actor=actor, release=revoked, revoked_on=today(), method="By phone")
    by_event = make_release(actor, client, expires_on=None, expiration_event="Housing decided")
    services.release_mark_event_expired(actor=actor, release=by_event, note="Approved today")
    return {
        "pending": pending,
        "expires_today": expires_today,
        "expired": expired,
        "revoked": revoked,
        "by_event": by_event,
    }


def test_status_is_computed_at_its_boundaries(case_manager: User, north_client: Client) -> None:
    cases = _status_cases(case_manager, north_client)
    expected = {
        "pending": ReleaseStatus.PENDING,
        "expires_today": ReleaseStatus.ACTIVE,
        "expired": ReleaseStatus.EXPIRED,
        "revoked": ReleaseStatus.REVOKED,
        "by_event": ReleaseStatus.EXPIRED,
    }
    for name, release in cases.items():
        release.refresh_from_db()
        assert release.status_on(today()) == expected[name], name
        assert release.status == expected[name], name
    # The queryset agrees with the computed status.
    active = set(ReleaseOfInformation.objects.active_on(today()).values_list("pk", flat=True))
    assert active == {cases["expires_today"].pk}


def test_status_moves_with_the_day(case_manager: User, north_client: Client) -> None:
    release = make_release(case_manager, north_client, effective_on=days(-5), expires_on=days(5))
    assert release.status_on(days(-6)) == ReleaseStatus.PENDING
    assert release.status_on(days(-5)) == ReleaseStatus.ACTIVE
    assert release.status_on(days(5)) == ReleaseStatus.ACTIVE
    assert release.status_on(days(6)) == ReleaseStatus.EXPIRED


# --- Revocation ---------------------------------------------------------------------------


def test_revoke_records_date_method_and_who(case_manager: User, north_client: Client) -> None:
    release = make_release(case_manager, north_client)
    revoked = services.release_revoke(
        actor=case_manager, release=release, revoked_on=days(-1), method="Letter from the client"
    )
    assert revoked.revoked_on == days(-1)
    assert revoked.revocation_method == "Letter from the client"
    assert revoked.revoked_by == case_manager
    assert revoked.status == ReleaseStatus.REVOKED
    assert revoked.status_on(days(-2)) == ReleaseStatus.ACTIVE
    latest = revoked.history.order_by("-history_date").first()
    assert latest is not None and latest.history_change_reason == "Release revoked"
    assert latest.history_user == case_manager


@pytest.mark.parametrize(
    ("when", "method", "field"),
    [
        (1, "By phone", "revoked_on"),
        (-31, "By phone", "revoked_on"),
        (0, "   ", "revocation_method"),
    ],
)
def test_revocation_refusals(
    case_manager: User, north_client: Client, when: int, method: str, field: str
) -> None:
    release = make_release(case_manager, north_client, effective_on=days(-30))
    with pytest.raises(ValidationError) as error:
        services.release_revoke(
            actor=case_manager, release=release, revoked_on=days(when), method=method
        )
    assert field in refusal(error)
    release.refresh_from_db()
    assert release.revoked_on is None


def test_a_release_is_revoked_once(case_manager: User, north_client: Client) -> None:
    release = make_release(case_manager, north_client)
    services.release_revoke(actor=case_manager, release=release, revoked_on=today(), method="Call")
    with pytest.raises(ValidationError, match="already revoked"):
        services.release_revoke(
            actor=case_manager, release=release, revoked_on=today(), method="Again"
        )
    release.refresh_from_db()
    assert release.revocation_method == "Call"


def test_a_teammate_cannot_revoke(case_manager: User, teammate: User, north_client: Client) -> None:
    release = make_release(case_manager, north_client)
    with pytest.raises(PermissionDenied):
        services.release_revoke(actor=teammate, release=release, revoked_on=today(), method="x")


# --- Expiry by event ----------------------------------------------------------------------


def test_mark_event_expired(case_manager: User, north_client: Client) -> None:
    release = make_release(
        case_manager, north_client, expires_on=days(100), expiration_event="Discharge"
    )
    ended = services.release_mark_event_expired(
        actor=case_manager, release=release, note="Discharged from the shelter"
    )
    assert ended.expired_by_event and ended.status == ReleaseStatus.EXPIRED
    latest = ended.history.order_by("-history_date").first()
    assert latest is not None
    assert latest.history_change_reason == "Ended by its event: Discharged from the shelter"


def test_event_expiry_refusals(case_manager: User, teammate: User, north_client: Client) -> None:
    dated = make_release(case_manager, north_client)
    with pytest.raises(ValidationError, match="ends on a date"):
        services.release_mark_event_expired(actor=case_manager, release=dated, note="x")
    by_event = make_release(case_manager, north_client, expires_on=None, expiration_event="Move")
    with pytest.raises(ValidationError) as error:
        services.release_mark_event_expired(actor=case_manager, release=by_event, note=" ")
    assert "note" in refusal(error)
    with pytest.raises(PermissionDenied):
        services.release_mark_event_expired(actor=teammate, release=by_event, note="Moved")
    services.release_mark_event_expired(actor=case_manager, release=by_event, note="Moved")
    with pytest.raises(ValidationError, match="already"):
        services.release_mark_event_expired(actor=case_manager, release=by_event, note="Moved")
    revoked = make_release(case_manager, north_client, expiration_event="Move")
    services.release_revoke(actor=case_manager, release=revoked, revoked_on=today(), method="x")
    with pytest.raises(ValidationError, match="revoked"):
        services.release_mark_event_expired(actor=case_manager, release=revoked, note="Moved")


# --- The consent gate ---------------------------------------------------------------------


@pytest.fixture
def harbor(db: None) -> Organization:
    return organization("Harbor Housing")


def _to(org: Organization, **overrides: Any) -> dict[str, Any]:
    return {"recipient_organization_id": org.pk, "recipient_name": "", **overrides}


def covering(client: Client, org: Any, categories: list[str]) -> list[ReleaseOfInformation]:
    return list(
        services.releases_covering(client, organization_id=org, categories=categories, on=today())
    )


def test_no_release_covers_nothing(north_client: Client, harbor: Organization) -> None:
    assert covering(north_client, harbor.pk, ["general"]) == []


def test_an_active_release_to_the_organization_covers(
    case_manager: User, north_client: Client, harbor: Organization
) -> None:
    release = make_release(case_manager, north_client, **_to(harbor))
    assert covering(north_client, harbor.pk, ["general"]) == [release]
    assert covering(north_client, str(harbor.pk), ["general", "mental_health"]) == [release]
    assert covering(north_client, harbor.pk, []) == [release]


def test_expired_revoked_ended_and_pending_releases_do_not_cover(
    case_manager: User, north_client: Client, harbor: Organization
) -> None:
    make_release(
        case_manager, north_client, effective_on=days(-10), expires_on=days(-1), **_to(harbor)
    )
    revoked = make_release(case_manager, north_client, **_to(harbor))
    services.release_revoke(actor=case_manager, release=revoked, revoked_on=today(), method="x")
    ended = make_release(
        case_manager, north_client, expires_on=None, expiration_event="Move", **_to(harbor)
    )
    services.release_mark_event_expired(actor=case_manager, release=ended, note="Moved")
    make_release(case_manager, north_client, effective_on=days(1), signed_on=today(), **_to(harbor))
    assert covering(north_client, harbor.pk, ["general"]) == []


def test_a_release_revoked_tomorrow_still_covers_today(
    case_manager: User, north_client: Client, harbor: Organization
) -> None:
    release = make_release(case_manager, north_client, **_to(harbor))
    ReleaseOfInformation.objects.filter(pk=release.pk).update(
        revoked_on=days(1), revocation_method="Letter dated tomorrow"
    )
    assert covering(north_client, harbor.pk, ["general"]) == [release]


def test_a_release_to_someone_else_does_not_cover(
    case_manager: User, north_client: Client, harbor: Organization
) -> None:
    other = organization("Beacon Recovery")
    make_release(case_manager, north_client, **_to(other))
    # A typed recipient with the same name is not the directory organization.
    make_release(case_manager, north_client, recipient_name="Harbor Housing")
    assert covering(north_client, harbor.pk, ["general"]) == []
    assert covering(north_client, None, ["general"]) == []
    assert covering(north_client, "garbage", ["general"]) == []


def test_another_clients_release_does_not_cover(
    case_manager: User, team_north: Team, north_client: Client, harbor: Organization
) -> None:
    someone_else = make_client(case_manager=case_manager, team=team_north)
    make_release(case_manager, someone_else, **_to(harbor))
    assert covering(north_client, harbor.pk, ["general"]) == []


def test_every_category_must_be_covered(
    case_manager: User, north_client: Client, harbor: Organization
) -> None:
    make_release(case_manager, north_client, categories=["general", "mental_health"], **_to(harbor))
    assert covering(north_client, harbor.pk, ["general", "hiv"]) == []
    assert covering(north_client, harbor.pk, [ReleaseCategory.SUD_PART2]) == []


def test_part2_needed_and_covered(
    case_manager: User, north_client: Client, harbor: Organization
) -> None:
    make_release(case_manager, north_client, categories=["general"], **_to(harbor))
    part2 = make_release(
        case_manager, north_client, categories=["general", "sud_part2"], **_to(harbor)
    )
    assert covering(north_client, harbor.pk, ["general", "sud_part2"]) == [part2]
    assert len(covering(north_client, harbor.pk, ["general"])) == 2


# --- Documents ----------------------------------------------------------------------------


def test_upload_a_document(case_manager: User, north_client: Client, tmp_path: Path) -> None:
    document = services.document_upload(
        actor=case_manager,
        client=north_client,
        title="  Medicaid card ",
        category="general",
        file=upload(PNG, "card.png"),
    )
    assert document.title == "Medicaid card"
    assert document.uploaded_by == case_manager
    assert document.file.name is not None and document.file.name.endswith(".png")
    assert (tmp_path / document.file.name).read_bytes() == PNG
    assert document.history.get().history_user == case_manager


@pytest.mark.parametrize(
    ("title", "category", "content", "field"),
    [
        ("", "general", PDF, "title"),
        ("Letter", "psychotherapy_notes", PDF, "category"),
        ("Letter", "general", b"GIF89a....", "file"),
        ("Letter", "general", PDF + b"\x00" * (10 * 1024 * 1024), "file"),
    ],
)
def test_document_refusals(
    case_manager: User,
    north_client: Client,
    title: str,
    category: str,
    content: bytes,
    field: str,
) -> None:
    with pytest.raises(ValidationError) as error:
        services.document_upload(
            actor=case_manager,
            client=north_client,
            title=title,
            category=category,
            file=upload(content, "letter.pdf"),
        )
    assert field in refusal(error)
    assert not ClientDocument.objects.exists()


def test_a_teammate_cannot_upload(teammate: User, north_client: Client) -> None:
    with pytest.raises(PermissionDenied):
        services.document_upload(
            actor=teammate, client=north_client, title="x", category="general", file=upload()
        )
