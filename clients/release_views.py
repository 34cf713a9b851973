"""The client's Releases tab: releases of information with their computed status, recording
and revoking one, the scanned copy, the accounting of disclosures, and documents on file.
Files are served only through these views, which check scope and log the read."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casemgmt.accounts.models import User
from casemgmt.forms import add_service_error

from . import release_services as services
from .models import (
    Client,
    Disclosure,
    ReleaseCategory,
    ReleaseOfInformation,
    ReleasePurpose,
    ReleaseStatus,
)
from .permissions import can_change_client
from .release_forms import STATEMENT_WORDING, DocumentForm, EventEndedForm, ReleaseForm, RevokeForm
from .view_helpers import clinician_and_client, log_view, require_writer

#: Status is never told by colour alone: the badge always carries the word.
STATUS_BADGES = {
    ReleaseStatus.ACTIVE: "text-bg-success",
    ReleaseStatus.PENDING: "text-bg-info",
    ReleaseStatus.EXPIRED: "text-bg-secondary",
    ReleaseStatus.REVOKED: "text-bg-danger",
}


def category_labels(values: list[str], other: str = "") -> list[str]:
    labels = []
    for value in values:
        if value == ReleaseCategory.OTHER and other:
            labels.append(_("Other: %(what)s") % {"what": other})
        elif value in ReleaseCategory.values:
            labels.append(str(ReleaseCategory(value).label))
        else:
            labels.append(value)
    return labels


def purpose_labels(values: list[str], other: str = "") -> list[str]:
    labels = []
    for value in values:
        if value == ReleasePurpose.OTHER and other:
            labels.append(_("Other: %(what)s") % {"what": other})
        elif value in ReleasePurpose.values:
            labels.append(str(ReleasePurpose(value).label))
        else:
            labels.append(value)
    return labels


@dataclass
class ReleaseRow:
    """A release as the pages show it: status computed for today, labels in words."""

    release: ReleaseOfInformation
    status: ReleaseStatus
    badge: str
    purposes: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, release: ReleaseOfInformation, today: date) -> ReleaseRow:
        status = release.status_on(today)
        return cls(
            release=release,
            status=status,
            badge=STATUS_BADGES[status],
            purposes=purpose_labels(release.purposes, release.purpose_other),
            categories=category_labels(release.categories, release.category_other),
        )


@dataclass
class DisclosureRow:
    disclosure: Disclosure
    categories: list[str]
    part2: bool


def stored_file_response(stored: FieldFile, filename_stem: str) -> FileResponse:
    """A stored file as an attachment, never cached, never sniffed into something else;
    404 when there is none or it is missing from storage."""
    name = stored.name if stored else None
    if not name:
        raise Http404
    try:
        handle = stored.storage.open(name, "rb")
    except FileNotFoundError as missing:
        raise Http404 from missing
    extension = os.path.splitext(name)[1].lower()
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=f"{filename_stem}{extension}",
        content_type=services.content_type_of(name),
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_http_methods(["GET"])
def release_list(request: HttpRequest, pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    log_view(request, user, client)
    today = timezone.localdate()
    rows = [ReleaseRow.of(r, today) for r in services.releases_for_client(client)]
    return render(
        request,
        "clients/releases/list.html",
        {
            "client": client,
            "rows": rows,
            "can_change": can_change_client(user, client),
            "section": "releases",
        },
    )


@require_http_methods(["GET", "POST"])
def release_new(request: HttpRequest, pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    require_writer(user, client)
    form = ReleaseForm(
        request.POST or None,
        request.FILES or None,
        client=client,
        collateral=request.GET.get("collateral"),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        scanned_copy = data.pop("scanned_copy", None)
        try:
            release = services.release_record(
                actor=user, client=client, data=data, scanned_copy=scanned_copy
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The release to %(recipient)s is recorded.")
                % {"recipient": release.recipient_name},
            )
            return redirect("clients:release_detail", pk=client.pk, release_pk=release.pk)
    return render(
        request,
        "clients/releases/form.html",
        {
            "client": client,
            "form": form,
            "file_was_chosen": bool(request.FILES.get("scanned_copy")),
            "section": "releases",
        },
    )


def _detail_context(
    user: User, client: Client, release: ReleaseOfInformation, **forms: Any
) -> dict[str, Any]:
    today = timezone.localdate()
    can_change = can_change_client(user, client)
    row = ReleaseRow.of(release, today)
    return {
        "client": client,
        "row": row,
        "release": release,
        "statements": [
            (STATEMENT_WORDING[name], getattr(release, name)) for name in STATEMENT_WORDING
        ],
        "disclosures": services.disclosures_under(release),
        "can_change": can_change,
        "can_revoke": can_change and release.revoked_on is None,
        "can_end_by_event": can_change
        and bool(release.expiration_event)
        and not release.expired_by_event
        and release.revoked_on is None,
        "revoke_form": forms.get("revoke_form") or RevokeForm(),
        "event_form": forms.get("event_form") or EventEndedForm(),
        "section": "releases",
    }


@require_http_methods(["GET"])
def release_detail(request: HttpRequest, pk: int, release_pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    release = services.release_for_user(user, client, release_pk)
    log_view(request, user, client)
    return render(request, "clients/releases/detail.html", _detail_context(user, client, release))


@require_http_methods(["GET", "POST"])
def release_revoke(request: HttpRequest, pk: int, release_pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    release = services.release_for_user(user, client, release_pk)
    require_writer(user, client)
    form = RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.release_revoke(
                actor=user,
                release=release,
                revoked_on=form.cleaned_data["revoked_on"],
                method=form.cleaned_data["revocation_method"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The release to %(recipient)s is revoked. Nothing more is disclosed under it.")
                % {"recipient": release.recipient_name},
            )
            return redirect("clients:release_detail", pk=client.pk, release_pk=release.pk)
    return render(
        request,
        "clients/releases/revoke.html",
        {
            "client": client,
            "release": release,
            "row": ReleaseRow.of(release, timezone.localdate()),
            "form": form,
            "section": "releases",
        },
    )


@require_POST
def release_event_ended(request: HttpRequest, pk: int, release_pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    release = services.release_for_user(user, client, release_pk)
    require_writer(user, client)
    form = EventEndedForm(request.POST)
    if form.is_valid():
        try:
            services.release_mark_event_expired(
                actor=user, release=release, note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The release has ended by its event."))
            return redirect("clients:release_detail", pk=client.pk, release_pk=release.pk)
    return render(
        request,
        "clients/releases/detail.html",
        _detail_context(user, client, release, event_form=form),
        status=400,
    )


@require_http_methods(["GET"])
def release_copy(request: HttpRequest, pk: int, release_pk: int) -> FileResponse:
    user, client = clinician_and_client(request, pk)
    release = services.release_for_user(user, client, release_pk)
    response = stored_file_response(
        release.scanned_copy, f"release-{client.record_number}-{release.pk}"
    )
    log_view(request, user, client)
    return response


@require_http_methods(["GET"])
def disclosure_list(request: HttpRequest, pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    log_view(request, user, client)
    rows = [
        DisclosureRow(
            disclosure=d,
            categories=category_labels(d.categories),
            part2=d.redisclosure_notice or ReleaseCategory.SUD_PART2 in d.categories,
        )
        for d in services.disclosures_for_client(client)
    ]
    return render(
        request,
        "clients/releases/disclosures.html",
        {
            "client": client,
            "rows": rows,
            "notice": services.PART2_REDISCLOSURE_NOTICE,
            "section": "disclosures",
        },
    )


@require_http_methods(["GET", "POST"])
def document_list(request: HttpRequest, pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, pk)
    can_change = can_change_client(user, client)
    form = DocumentForm()
    status = 200
    if request.method == "POST":
        require_writer(user, client)
        form = DocumentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                document = services.document_upload(
                    actor=user,
                    client=client,
                    title=form.cleaned_data["title"],
                    category=form.cleaned_data["category"],
                    file=form.cleaned_data["file"],
                )
            except ValidationError as error:
                add_service_error(form, error)
            else:
                messages.success(
                    request, _("%(title)s is on the file.") % {"title": document.title}
                )
                return redirect("clients:document_list", pk=client.pk)
        status = 400
    log_view(request, user, client)
    documents = [
        (document, category_labels([document.category])[0])
        for document in services.documents_for_client(client)
    ]
    return render(
        request,
        "clients/releases/documents.html",
        {
            "client": client,
            "documents": documents,
            "form": form,
            "can_change": can_change,
            "section": "documents",
        },
        status=status,
    )


@require_http_methods(["GET"])
def document_download(request: HttpRequest, pk: int, document_pk: int) -> FileResponse:
    user, client = clinician_and_client(request, pk)
    document = services.document_for_user(user, client, document_pk)
    response = stored_file_response(
        document.file, slugify(document.title) or f"document-{document.pk}"
    )
    log_view(request, user, client)
    return response


urlpatterns: list[URLPattern] = [
    path("<int:pk>/releases/", release_list, name="release_list"),
    path("<int:pk>/releases/new/", release_new, name="release_new"),
    path("<int:pk>/releases/<int:release_pk>/", release_detail, name="release_detail"),
    path("<int:pk>/releases/<int:release_pk>/revoke/", release_revoke, name="release_revoke"),
    path(
        "<int:pk>/releases/<int:release_pk>/ended/",
        release_event_ended,
        name="release_event_ended",
    ),
    path("<int:pk>/releases/<int:release_pk>/copy/", release_copy, name="release_copy"),
    path("<int:pk>/disclosures/", disclosure_list, name="disclosure_list"),
    path("<int:pk>/documents/", document_list, name="document_list"),
    path("<int:pk>/documents/<int:document_pk>/", document_download, name="document_download"),
]
