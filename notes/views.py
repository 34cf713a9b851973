"""Case-note pages: a client's notes, writing a draft (autosaved as it is typed), signing it,
reading a note with its addenda, adding an addendum, the supervisor's co-signature and
queue, and the notes on one plan goal."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.forms import add_service_error
from clients.models import Client
from clients.view_helpers import clinician_and_client, log_view

from . import note_selectors as selectors
from . import services
from .formats import layout
from .forms import AddendumForm, CosignForm, NoteForm
from .hints import note_hints
from .models import SECTION_FIELDS, AddendumKind, CaseNote, ContactType, CosignStatus
from .permissions import can_add_addendum, can_cosign, can_edit_draft, can_write_notes

PAGE_SIZE = 25
#: Marks an autosave answer, so the editor can tell it from a sign-in page (session ended).
AUTOSAVE_HEADER = "X-Casework-Autosave"


# --- Loading ---------------------------------------------------------------------------------


def _note(request: HttpRequest, client_pk: int, pk: int) -> tuple[User, Client, CaseNote]:
    user, client = clinician_and_client(request, client_pk)
    return user, client, selectors.note_for_user(user, client, pk)


def _detail(note: CaseNote) -> HttpResponse:
    return redirect("notes:note_detail", client_pk=note.client_id, pk=note.pk)


def _editor(note: CaseNote) -> HttpResponse:
    return redirect("notes:note_edit", client_pk=note.client_id, pk=note.pk)


def _section_label(name: str) -> str:
    return capfirst(str(getattr(CaseNote._meta.get_field(name), "verbose_name", name)))


# --- What the pages show ---------------------------------------------------------------------


@dataclass
class SectionHints:
    """The hints for one section of the note, to list under its label."""

    section: str
    label: str
    messages: list[str] = field(default_factory=list)


def _hints(client: Client, note: CaseNote) -> list[SectionHints]:
    """Quality hints grouped by section, in the order the note's format lays them out."""
    sections = {name: getattr(note, name) for name in SECTION_FIELDS}
    found = note_hints(client.team.agency, sections)
    order = [name for heading in layout(note.note_format) for name in heading.fields]
    grouped: dict[str, SectionHints] = {}
    for hint in sorted(found, key=lambda h: order.index(h.section) if h.section in order else 99):
        group = grouped.setdefault(
            hint.section, SectionHints(hint.section, _section_label(hint.section))
        )
        group.messages.append(hint.message)
    return list(grouped.values())


def _editor_headings(form: NoteForm, note_format: str) -> list[tuple[str, list[Any]]]:
    return [(str(h.label), [form[name] for name in h.fields]) for h in layout(note_format)]


def _form_format(form: NoteForm, note: CaseNote) -> str:
    """The format to lay the sections out in: the one just chosen, else the saved one."""
    if form.is_bound and "note_format" not in form.errors:
        chosen = getattr(form, "cleaned_data", {}).get("note_format")
        if chosen:
            return str(chosen)
    return note.note_format


def _note_form(client: Client, note: CaseNote, data: Any = None) -> NoteForm:
    return NoteForm(
        data,
        instance=note,
        goals=selectors.editor_goals(client, note),
        referrals=selectors.editor_referrals(client),
        collaterals=selectors.editor_collaterals(client, note),
    )


def _editor_page(
    request: HttpRequest,
    client: Client,
    note: CaseNote,
    form: NoteForm,
    *,
    saved_with_errors: bool = False,
    status: int = 200,
) -> HttpResponse:
    note_format = _form_format(form, note)
    return render(
        request,
        "notes/note_form.html",
        {
            "client": client,
            "note": note,
            "form": form,
            "headings": _editor_headings(form, note_format),
            "hints": _hints(client, note),
            "saved_with_errors": saved_with_errors,
            "autosave_header": AUTOSAVE_HEADER,
        },
        status=status,
    )


def _save_draft(user: User, note: CaseNote, form: NoteForm) -> CaseNote | None:
    """Save every field that passed validation (an autosave must not lose good text for
    one bad date); the service's own refusals go beside their fields. None: nothing saved."""
    form.is_valid()
    try:
        return services.note_draft_update(
            actor=user, note=note, data=form.valid_data(), **form.valid_links()
        )
    except ValidationError as error:
        add_service_error(form, error)
        return None


def _detail_headings(note: CaseNote) -> list[tuple[str, list[tuple[str, str]]]]:
    """The note's sections under its format's headings: (heading, [(label, text)])."""
    return [
        (
            str(heading.label),
            [
                (_section_label(name), getattr(note, name))
                for name in heading.fields
                if getattr(note, name).strip()
            ],
        )
        for heading in layout(note.note_format)
    ]


def _detail_page(
    request: HttpRequest,
    user: User,
    client: Client,
    note: CaseNote,
    *,
    addendum_form: AddendumForm | None = None,
    cosign_form: CosignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    is_author = note.author_id == user.pk
    if addendum_form is None:
        kind = (
            AddendumKind.SUPERVISOR_RESPONSE
            if is_author and note.cosign_status == CosignStatus.RETURNED
            else AddendumKind.CORRECTION
        )
        addendum_form = AddendumForm(initial={"kind": kind})
    return render(
        request,
        "notes/note_detail.html",
        {
            "client": client,
            "note": note,
            "headings": _detail_headings(note),
            "addenda": list(note.addenda.all()),
            "is_author": is_author,
            "can_edit": can_edit_draft(user, note),
            "can_add_addendum": can_add_addendum(user, note),
            "can_cosign": can_cosign(user, note),
            "addendum_form": addendum_form,
            "cosign_form": cosign_form or CosignForm(),
        },
        status=status,
    )


# --- A client's notes ------------------------------------------------------------------------


@require_http_methods(["GET"])
def note_list(request: HttpRequest, client_pk: int) -> HttpResponse:
    user, client = clinician_and_client(request, client_pk)
    log_view(request, user, client)
    contact_type = request.GET.get("type", "")
    status = request.GET.get("status", "")
    rows = selectors.notes_for_client(user, client, contact_type=contact_type, status=status)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    can_write = can_write_notes(user, client)
    context = {
        "client": client,
        "page": page,
        "contact_type": contact_type if contact_type in ContactType.values else "",
        "status": status if status in selectors.STATUS_FILTERS else "",
        "contact_types": ContactType.choices,
        "statuses": [(value, label) for value, (label, _q) in selectors.STATUS_FILTERS.items()],
        "can_write": can_write,
        "drafts": selectors.my_drafts(user, client) if can_write else [],
    }
    template = "notes/note_list.html"
    if request.htmx and not request.htmx.boosted:  # type: ignore[attr-defined]
        template += "#results"
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
def note_new(request: HttpRequest, client_pk: int) -> HttpResponse:
    """Start a draft (POST) and open it in the editor."""
    user, client = clinician_and_client(request, client_pk)
    if request.method == "GET":
        return redirect("notes:note_list", client_pk=client.pk)
    note = services.note_draft_create(actor=user, client=client)
    return _editor(note)


# --- Writing a draft -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def note_edit(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, note = _note(request, client_pk, pk)
    if note.is_signed:
        messages.info(request, _("This note is signed and can no longer change; add an addendum."))
        return _detail(note)
    if not can_edit_draft(user, note):
        if request.method == "POST":
            raise PermissionDenied(_("Only the author can change a draft note."))
        return _detail(note)
    if request.method == "GET":
        log_view(request, user, client)
        return _editor_page(request, client, note, _note_form(client, note))
    form = _note_form(client, note, request.POST)
    saved = _save_draft(user, note, form)
    if saved is not None and not form.errors:
        messages.success(request, _("The draft is saved."))
        return _editor(note)
    return _editor_page(
        request, client, saved or note, form, saved_with_errors=saved is not None, status=400
    )


@require_http_methods(["GET", "POST"])
def note_autosave(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    """Save what is typed so far and answer with the status line and fresh hints. Invalid
    fields are left as they were and named in the status line; the rest is saved."""
    user, client, note = _note(request, client_pk, pk)
    if request.method == "GET":
        return _editor(note) if not note.is_signed else _detail(note)
    context: dict[str, Any] = {"client": client, "note": note}
    if note.is_signed:
        context["signed"] = True
    else:
        if not can_edit_draft(user, note):
            raise PermissionDenied(_("Only the author can change a draft note."))
        previous_format = note.note_format
        form = _note_form(client, note, request.POST)
        saved = _save_draft(user, note, form)
        current = saved or selectors.note_for_user(user, client, note.pk)
        context.update(
            {
                "form": form,
                "saved": saved,
                "saved_at": timezone.now(),
                "errors": [
                    (form[name].label, form[name].id_for_label or f"id_{name}", error)
                    for name, errors in form.errors.items()
                    if name in form.fields
                    for error in errors
                ]
                + [(None, None, error) for error in form.non_field_errors()],
                "hints": _hints(client, current),
                "relayout": current.note_format != previous_format,
                "headings": _editor_headings(form, current.note_format),
            }
        )
    response = render(request, "notes/_autosave.html", context)
    response[AUTOSAVE_HEADER] = "1"
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
def note_sign(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    """Save what is on the form, then sign and lock the note; anything in the way is shown
    on the form, with nothing typed lost."""
    user, client, note = _note(request, client_pk, pk)
    if note.is_signed:
        messages.info(request, _("This note is already signed."))
        return _detail(note)
    if request.method == "GET":
        return _editor(note)
    if not can_edit_draft(user, note):
        raise PermissionDenied(_("Only the author signs a note."))
    form = _note_form(client, note, request.POST)
    saved = _save_draft(user, note, form)
    if saved is None or form.errors:
        form.add_error(None, _("The note is not signed yet: correct what is shown below."))
        return _editor_page(
            request, client, saved or note, form, saved_with_errors=saved is not None, status=400
        )
    try:
        signed = services.note_sign(actor=user, note=saved)
    except ValidationError as error:
        add_service_error(form, error)
        return _editor_page(request, client, saved, form, saved_with_errors=True, status=400)
    text = _("The note is signed and locked. Corrections are added as addenda.")
    if signed.late_entry:
        text += " " + _("It is marked late entry: it was signed after the agency's deadline.")
    if signed.cosign_status == CosignStatus.PENDING:
        text += " " + _("It now waits for a supervisor's co-signature.")
    messages.success(request, text)
    return _detail(signed)


@require_POST
def note_discard(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, note = _note(request, client_pk, pk)
    if note.is_signed:
        messages.info(request, _("A signed note is kept for good; add an addendum instead."))
        return _detail(note)
    services.note_draft_discard(actor=user, note=note)
    messages.success(request, _("The draft is discarded."))
    return redirect("notes:note_list", client_pk=client.pk)


# --- Reading a note, addenda, co-signature ---------------------------------------------------


@require_http_methods(["GET"])
def note_detail(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, note = _note(request, client_pk, pk)
    log_view(request, user, client)
    return _detail_page(request, user, client, note)


@require_POST
def addendum_add(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, note = _note(request, client_pk, pk)
    if not note.is_signed:
        messages.error(request, _("This note is still a draft: change the draft instead."))
        return _detail(note)
    if not can_add_addendum(user, note):
        raise PermissionDenied(_("You cannot add to this note."))
    form = AddendumForm(request.POST)
    if form.is_valid():
        try:
            services.addendum_add(actor=user, note=note, **form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The addendum is added under the note."))
            return _detail(note)
    return _detail_page(request, user, client, note, addendum_form=form, status=400)


@require_POST
def note_cosign(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client, note = _note(request, client_pk, pk)
    if note.cosign_status != CosignStatus.PENDING:
        messages.info(request, _("This note is not waiting for a co-signature."))
        return _detail(note)
    if not can_cosign(user, note):
        raise PermissionDenied(_("A supervisor of the client's team co-signs, never the author."))
    form = CosignForm(request.POST)
    if form.is_valid():
        try:
            services.note_cosign(
                actor=user, note=note, approve=form.approve, comment=form.cleaned_data["comment"]
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The note is co-signed.")
                if form.approve
                else _("The note is returned to its author with your comment."),
            )
            return _detail(note)
    return _detail_page(request, user, client, note, cosign_form=form, status=400)


@require_http_methods(["GET"])
def cosign_queue(request: HttpRequest) -> HttpResponse:
    """Notes waiting for the supervisor's co-signature, and those returned to their authors."""
    user = policy.clinician_or_404(request.user)
    if not policy.supervised_team_ids(user):
        raise Http404
    page = Paginator(selectors.cosign_queue(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notes/cosign_queue.html",
        {"page": page, "returned": list(selectors.returned_notes(user)[:PAGE_SIZE])},
    )


# --- A goal's notes --------------------------------------------------------------------------


@require_http_methods(["GET"])
def goal_notes(request: HttpRequest, client_pk: int, goal_key: uuid.UUID) -> HttpResponse:
    user, client = clinician_and_client(request, client_pk)
    versions = selectors.goal_versions(user, client, goal_key)
    log_view(request, user, client)
    rows = selectors.notes_for_goal(user, client, goal_key)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notes/goal_notes.html",
        {"client": client, "goal": versions[0], "versions": versions, "page": page},
    )


_one = "clients/<int:client_pk>/notes/<int:pk>/"
urlpatterns: list[URLPattern] = [
    path("clients/<int:client_pk>/notes/", note_list, name="note_list"),
    path("clients/<int:client_pk>/notes/new/", note_new, name="note_new"),
    path(_one, note_detail, name="note_detail"),
    path(_one + "edit/", note_edit, name="note_edit"),
    path(_one + "autosave/", note_autosave, name="note_autosave"),
    path(_one + "sign/", note_sign, name="note_sign"),
    path(_one + "discard/", note_discard, name="note_discard"),
    path(_one + "addenda/", addendum_add, name="addendum_add"),
    path(_one + "cosign/", note_cosign, name="note_cosign"),
    path("notes/cosign/", cosign_queue, name="cosign_queue"),
    path("clients/<int:client_pk>/goals/<uuid:goal_key>/notes/", goal_notes, name="goal_notes"),
]
