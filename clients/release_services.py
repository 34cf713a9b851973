"""Releases of information, the accounting of disclosures and documents on the client's file:
recording and revoking releases, the consent gate's question "which releases cover this?",
and uploads kept outside any public URL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import models, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casemgmt.accounts import policy
from casemgmt.accounts.models import User

from .models import (
    Client,
    ClientDocument,
    Collateral,
    Disclosure,
    ReleaseCategory,
    ReleaseOfInformation,
    ReleasePurpose,
    ReleaseQuerySet,
    SignerRelationship,
)
from .permissions import can_change_client
from .services import _save

#: The statement that goes with every disclosure of 42 CFR Part 2 records (§ 2.32(a)(1)).
PART2_REDISCLOSURE_NOTICE = gettext_lazy(
    "This information has been disclosed to you from records protected by federal "
    "confidentiality rules (42 CFR part 2). The federal rules prohibit you from making any "
    "further disclosure of information in this record that identifies a patient as having or "
    "having had a substance use disorder either directly, by reference to publicly available "
    "information, or through verification of such identification by another person unless "
    "further disclosure is expressly permitted by the written consent of the individual whose "
    "information is being disclosed or as otherwise permitted by 42 CFR part 2. A general "
    "authorization for the release of medical or other information is NOT sufficient for this "
    "purpose (see § 2.31). The federal rules restrict any use of the information to "
    "investigate or prosecute with regard to a crime any patient with a substance use "
    "disorder, except as provided at §§ 2.12(c)(5) and 2.65."
)

#: The three statements a release must say the client was told, in the order of the form.
STATEMENTS = ("ack_right_to_revoke", "ack_no_conditioning", "ack_redisclosure")

#: Fields of a release a user fills in; the services keep the rest.
RELEASE_FIELDS = (
    "discloser",
    "recipient_organization_id",
    "recipient_collateral",
    "recipient_name",
    "recipient_details",
    "purposes",
    "purpose_other",
    "categories",
    "category_other",
    "effective_on",
    "expires_on",
    "expiration_event",
    "signer_name",
    "signer_relationship",
    "signer_authority",
    "signature_method",
    "signed_on",
    *STATEMENTS,
)

MAX_UPLOAD_BYTES = 10 * 1024 * 1024

#: What an upload may be, told by its first bytes (never by its name or the browser's word).
_FILE_SIGNATURES = (
    (b"%PDF-", ".pdf"),
    (b"\xff\xd8\xff", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", ".png"),
)

CONTENT_TYPES = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".png": "image/png"}

NOT_YOURS_TO_CHANGE = gettext_lazy("You can read this record but not change it.")


# --- The directory (owned by the referrals app, which builds on clients) -------------------


def _organization_model() -> type[models.Model] | None:
    try:
        return apps.get_model("referrals", "Organization")
    except LookupError:
        return None


def directory_organizations() -> list[tuple[str, str]]:
    """(id, name) of every organization in the provider directory, by name: the recipients
    a release may name from the directory."""
    organization = _organization_model()
    if organization is None:
        return []
    rows = organization._default_manager.order_by("name").values_list("pk", "name")
    return [(str(pk), name) for pk, name in rows]


def _directory_name(organization_id: uuid.UUID) -> str | None:
    organization = _organization_model()
    if organization is None:
        return None
    name = (
        organization._default_manager.filter(pk=organization_id)
        .values_list("name", flat=True)
        .first()
    )
    return str(name) if name is not None else None


def _as_uuid(value: Any) -> uuid.UUID | None:
    """An organization id as typed or posted; None for blank; ValueError for nonsense."""
    if value in (None, ""):
        return None
    if isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


# --- Uploads ------------------------------------------------------------------------------


def _file_extension(upload: File) -> str | None:
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    for signature, extension in _FILE_SIGNATURES:
        if head.startswith(signature):
            return extension
    return None


def upload_problem(upload: File) -> str | None:
    """Why an upload cannot be kept, or None: a PDF, JPEG or PNG file under 10 MB."""
    size = upload.size or 0
    if size == 0:
        return _("The file is empty. Choose the scanned file again.")
    if size >= MAX_UPLOAD_BYTES:
        return _("The file is larger than 10 MB. Scan at a lower resolution or split it.")
    if _file_extension(upload) is None:
        return _("Upload a PDF, JPEG or PNG file.")
    return None


def _stored_name(upload: File) -> str:
    """A random name: the client's name never appears in the storage path."""
    return f"{uuid.uuid4().hex}{_file_extension(upload)}"


def content_type_of(name: str) -> str:
    for extension, content_type in CONTENT_TYPES.items():
        if name.lower().endswith(extension):
            return content_type
    return "application/octet-stream"


# --- Releases -----------------------------------------------------------------------------


def _clean_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The release fields from `data`, strings trimmed and lists without repeats."""
    values: dict[str, Any] = {}
    for field in RELEASE_FIELDS:
        value = data.get(field)
        if isinstance(value, str):
            value = value.strip()
        if field in ("purposes", "categories"):
            value = list(dict.fromkeys(value or []))
        if field in STATEMENTS:
            value = bool(value)
        if value is None and field not in (
            "recipient_organization_id",
            "recipient_collateral",
            "effective_on",
            "expires_on",
            "signed_on",
        ):
            value = ""
        values[field] = value
    return values


def _collateral_of(value: Any, client: Client | None) -> Collateral | None:
    """The collateral a release names, as chosen or posted (an instance or its id), when it
    is one of `client`'s collaterals still involved; None for blank; ValueError otherwise."""
    if value in (None, ""):
        return None
    if isinstance(value, Collateral):
        collateral = value
    else:
        try:
            pk = int(value)
        except (TypeError, ValueError) as nonsense:
            raise ValueError(value) from nonsense
        found = Collateral.objects.filter(pk=pk).first()
        if found is None:
            raise ValueError(value)
        collateral = found
    if client is None or collateral.client_id != client.pk or not collateral.is_active:
        raise ValueError(value)
    return collateral


def release_problems(
    data: Mapping[str, Any], scanned_copy: File | None = None, *, client: Client | None = None
) -> dict[str, list[str]]:
    """The release rules, each refusal beside its field: the three statements acknowledged;
    an expiration date or event, the date after the effective date; signed not in the future;
    a signer other than the client states their authority; "other" purposes and categories
    described; at least one purpose and category; one recipient — a directory organization,
    one of `client`'s collaterals still involved, or a typed name; a scanned copy that is a
    PDF, JPEG or PNG under 10 MB."""
    problems: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    values = _clean_values(data)
    for field in STATEMENTS:
        if not values[field]:
            refuse(field, _("Confirm the client was told this before recording the release."))

    effective_on, expires_on = values["effective_on"], values["expires_on"]
    if not expires_on and not values["expiration_event"]:
        refuse(
            "expires_on",
            _("Give the date the release expires, or the event that ends it."),
        )
    if (
        isinstance(expires_on, dt.date)
        and isinstance(effective_on, dt.date)
        and expires_on <= effective_on
    ):
        refuse(
            "expires_on",
            _("The release must expire after it takes effect on %(day)s.")
            % {"day": effective_on.isoformat()},
        )
    signed_on = values["signed_on"]
    if isinstance(signed_on, dt.date) and signed_on > timezone.localdate():
        refuse("signed_on", _("The signature date cannot be in the future."))

    relationship = values["signer_relationship"]
    if relationship and relationship != SignerRelationship.SELF and not values["signer_authority"]:
        refuse(
            "signer_authority",
            _(
                "Someone signing for the client needs their authority recorded: the court "
                "order, guardianship or power of attorney."
            ),
        )

    if not values["purposes"]:
        refuse("purposes", _("Choose at least one purpose."))
    elif ReleasePurpose.OTHER in values["purposes"] and not values["purpose_other"]:
        refuse("purpose_other", _("Describe the other purpose."))
    categories = values["categories"]
    if not categories:
        refuse("categories", _("Choose at least one category of information."))
    else:
        if any("psychotherapy" in str(c) for c in categories):
            refuse(
                "categories",
                _("Psychotherapy notes are never disclosed under a release of information."),
            )
        if ReleaseCategory.OTHER in categories and not values["category_other"]:
            refuse("category_other", _("Describe the other information."))

    collateral: Collateral | None = None
    try:
        collateral = _collateral_of(values["recipient_collateral"], client)
    except ValueError:
        refuse(
            "recipient_collateral",
            _("Choose one of this client's collaterals who is still involved."),
        )
    try:
        organization_id = _as_uuid(values["recipient_organization_id"])
    except ValueError:
        refuse("recipient_organization_id", _("Choose an organization from the directory."))
    else:
        if collateral is not None:
            if organization_id is not None:
                refuse(
                    "recipient_collateral",
                    _("Choose a directory organization or a collateral, not both."),
                )
            if values["recipient_name"]:
                refuse(
                    "recipient_name",
                    _(
                        "Choose a collateral or type the recipient, not both (the "
                        "collateral's name is kept as the recipient)."
                    ),
                )
        elif organization_id is not None:
            if _directory_name(organization_id) is None:
                refuse(
                    "recipient_organization_id",
                    _("Choose an organization from the directory."),
                )
            elif values["recipient_name"]:
                refuse(
                    "recipient_name",
                    _(
                        "Choose a directory organization or type the recipient, not both "
                        "(put a contact person in the recipient's address or contact)."
                    ),
                )
        elif not values["recipient_name"] and "recipient_collateral" not in problems:
            refuse(
                "recipient_name",
                _(
                    "Choose an organization from the directory or one of the client's "
                    "collaterals, or type the recipient's name."
                ),
            )

    if scanned_copy is not None:
        problem = upload_problem(scanned_copy)
        if problem:
            refuse("scanned_copy", problem)
    return problems


def _merge(problems: dict[str, list[str]], error: ValidationError) -> None:
    for field, messages in error.message_dict.items():
        problems.setdefault(field, []).extend(messages)


@transaction.atomic
def release_record(
    *,
    actor: User,
    client: Client,
    data: Mapping[str, Any],
    scanned_copy: File | None = None,
) -> ReleaseOfInformation:
    """Record a signed release of information for the client (see `release_problems` for
    its rules). A directory recipient's or a collateral's name is kept as it was on the day
    of signing."""
    if not can_change_client(actor, client):
        raise PermissionDenied(NOT_YOURS_TO_CHANGE)
    problems = release_problems(data, scanned_copy, client=client)
    values = _clean_values(data)
    collateral = None
    if "recipient_collateral" not in problems:
        collateral = _collateral_of(values["recipient_collateral"], client)
    values["recipient_collateral"] = collateral
    if collateral is not None and "recipient_name" not in problems:
        values["recipient_name"] = collateral.name
    if "recipient_organization_id" not in problems:
        organization_id = _as_uuid(values["recipient_organization_id"])
        values["recipient_organization_id"] = organization_id
        if organization_id is not None:
            values["recipient_name"] = _directory_name(organization_id) or ""
    else:
        values["recipient_organization_id"] = None
    release = ReleaseOfInformation(client=client, created_by=actor, **values)
    if scanned_copy is not None and "scanned_copy" not in problems:
        scanned_copy.name = _stored_name(scanned_copy)
        release.scanned_copy = scanned_copy
    try:
        release.full_clean(exclude=list(problems), validate_constraints=not problems)
    except ValidationError as error:
        _merge(problems, error)
    if problems:
        raise ValidationError(problems)
    _save(release, actor=actor, reason="Release of information recorded")
    return release


def _locked_release(release: ReleaseOfInformation, actor: User) -> ReleaseOfInformation:
    locked = (
        ReleaseOfInformation.objects.select_for_update(of=("self",))
        .select_related("client")
        .get(pk=release.pk)
    )
    if not can_change_client(actor, locked.client):
        raise PermissionDenied(NOT_YOURS_TO_CHANGE)
    return locked


@transaction.atomic
def release_revoke(
    *, actor: User, release: ReleaseOfInformation, revoked_on: dt.date, method: str
) -> ReleaseOfInformation:
    """The client takes back a release: from `revoked_on` (not in the future, not before it
    was signed, so a release not yet in effect can be withdrawn too) nothing more is
    disclosed under it. A release is revoked once."""
    locked = _locked_release(release, actor)
    if locked.revoked_on is not None:
        raise ValidationError(
            _("This release was already revoked on %(day)s.")
            % {"day": locked.revoked_on.isoformat()}
        )
    problems: dict[str, list[str]] = {}
    if revoked_on > timezone.localdate():
        problems["revoked_on"] = [_("The revocation date cannot be in the future.")]
    elif revoked_on < locked.signed_on:
        problems["revoked_on"] = [
            _("The revocation date cannot be before the release was signed on %(day)s.")
            % {"day": locked.signed_on.isoformat()}
        ]
    method = (method or "").strip()
    if not method:
        problems["revocation_method"] = [
            _("Say how the client revoked it (in writing, by phone, in person…).")
        ]
    if problems:
        raise ValidationError(problems)
    locked.revoked_on = revoked_on
    locked.revocation_method = method
    locked.revoked_by = actor
    locked.full_clean()
    _save(
        locked,
        actor=actor,
        reason="Release revoked",
        update_fields=["revoked_on", "revocation_method", "revoked_by"],
    )
    return locked


@transaction.atomic
def release_mark_event_expired(
    *,
    actor: User,
    release: ReleaseOfInformation,
    note: str,
    happened_on: dt.date | None = None,
) -> ReleaseOfInformation:
    """The event a release was to end on has happened (say what and when): from that day
    it has expired."""
    locked = _locked_release(release, actor)
    if not locked.expiration_event:
        raise ValidationError(_("This release ends on a date, not on an event."))
    if locked.expired_by_event:
        raise ValidationError(_("This release was already marked as ended by its event."))
    if locked.revoked_on is not None:
        raise ValidationError(_("This release was revoked; it cannot also end by its event."))
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": [_("Say what happened and when.")]})
    happened_on = happened_on or timezone.localdate()
    if happened_on > timezone.localdate():
        raise ValidationError({"happened_on": [_("The event cannot be in the future.")]})
    locked.expired_by_event = True
    locked.event_happened_on = happened_on
    locked.event_note = note
    _save(
        locked,
        actor=actor,
        reason=f"Ended by its event: {note}"[:100],
        update_fields=["expired_by_event", "event_happened_on", "event_note"],
    )
    return locked


def releases_covering(
    client: Client, *, organization_id: Any, categories: Iterable[str], on: dt.date
) -> ReleaseQuerySet:
    """The client's releases in effect on `on` that name the directory organization
    `organization_id` as recipient and cover every one of `categories`; newest first.
    The referral consent gate asks here."""
    try:
        organization = _as_uuid(organization_id)
    except ValueError:
        organization = None
    if organization is None:
        return ReleaseOfInformation.objects.none()
    return (
        ReleaseOfInformation.objects.filter(
            client=client,
            recipient_organization_id=organization,
            categories__contains=sorted(set(categories)),
        )
        .active_on(on)
        .order_by("-effective_on", "-pk")
    )


# --- Documents ----------------------------------------------------------------------------


@transaction.atomic
def document_upload(
    *, actor: User, client: Client, title: str, category: str, file: File
) -> ClientDocument:
    """Keep a document on the client's file: a PDF, JPEG or PNG under 10 MB, titled and
    labelled with the category of information it holds."""
    if not can_change_client(actor, client):
        raise PermissionDenied(NOT_YOURS_TO_CHANGE)
    problems: dict[str, list[str]] = {}
    title = (title or "").strip()
    if not title:
        problems["title"] = [_("Give the document a title.")]
    if category not in ReleaseCategory.values:
        problems["category"] = [_("Choose the kind of information the document holds.")]
    problem = upload_problem(file) if file is not None else _("Choose a file to upload.")
    if problem:
        problems["file"] = [problem]
    if problems:
        raise ValidationError(problems)
    file.name = _stored_name(file)
    document = ClientDocument(
        client=client, title=title, category=category, file=file, uploaded_by=actor
    )
    document.full_clean()
    _save(document, actor=actor, reason="Document uploaded")
    return document


# --- Reads (always within a client the user was allowed to open) ---------------------------


def releases_for_client(client: Client) -> QuerySet[ReleaseOfInformation]:
    """The client's releases, newest first."""
    return ReleaseOfInformation.objects.filter(client=client).order_by("-effective_on", "-pk")


def release_for_user(user: policy.AnyUser, client: Client, release_pk: int) -> ReleaseOfInformation:
    """One release of the client; 404 outside the user's scope."""
    return get_object_or_404(
        ReleaseOfInformation.objects.visible_to(user)
        .filter(client=client)
        .select_related("created_by", "revoked_by", "recipient_collateral"),
        pk=release_pk,
    )


def disclosures_for_client(client: Client) -> QuerySet[Disclosure]:
    """The client's accounting of disclosures, newest first, with release and discloser."""
    return Disclosure.objects.filter(client=client).select_related("release", "disclosed_by")


def disclosures_under(release: ReleaseOfInformation) -> QuerySet[Disclosure]:
    return Disclosure.objects.filter(release=release).select_related("disclosed_by")


def documents_for_client(client: Client) -> QuerySet[ClientDocument]:
    """The documents on the client's file, newest first."""
    return ClientDocument.objects.filter(client=client).select_related("uploaded_by")


def document_for_user(user: policy.AnyUser, client: Client, document_pk: int) -> ClientDocument:
    """One document of the client; 404 outside the user's scope."""
    scope = policy.record_scope(
        user, team_field="client__team", case_manager_field="client__primary_case_manager"
    )
    rows = ClientDocument.objects.filter(client=client)
    rows = rows.filter(scope) if scope is not None else rows.none()
    return get_object_or_404(rows, pk=document_pk)
