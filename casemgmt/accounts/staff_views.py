"""Staff pages for agency administrators: the list, adding and changing a person, deactivating
and reactivating them. Anyone else gets a 404, as if the pages did not exist."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from casemgmt.forms import add_service_error

from . import selectors, staff_services
from .agency_views import agency_admin_or_404, agency_for_admin
from .models import Agency, User
from .staff_forms import StaffFilterForm, StaffForm

STAFF_PAGE_SIZE = 50
RECENT_CHANGES = 10


def admin_and_agency(request: HttpRequest) -> tuple[User, Agency]:
    """The signed-in active administrator and their agency; 404 for anyone else."""
    admin = agency_admin_or_404(request.user)
    return admin, agency_for_admin(admin)


def _person_or_404(agency: Agency, pk: int) -> User:
    person = selectors.staff_member_or_none(agency, pk)
    if person is None:
        raise Http404
    return person


def reassign_links(error: ValidationError) -> list[dict[str, Any]]:
    """For a refusal over a caseload, where each holder's clients are reassigned."""
    if not isinstance(error, staff_services.CaseloadNotEmpty):
        return []
    base = reverse("clients:reassign")
    return [
        {"user": user, "count": count, "url": f"{base}?{urlencode({'from_user': user.pk})}"}
        for user, count in error.holders
    ]


@require_safe
def staff_list(request: HttpRequest) -> HttpResponse:
    """Everyone on the agency's staff with their roles and teams; active staff unless the
    administrator asks for others."""
    _admin, agency = admin_and_agency(request)
    choices = request.GET.copy()
    choices.setdefault("active", "active")
    form = StaffFilterForm(choices, agency=agency)
    people = selectors.staff_list(agency, form.filters())
    page = Paginator(people, STAFF_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "accounts/staff_list.html",
        {"form": form, "page": page, "agency": agency, "query": query.urlencode()},
    )


@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    """Add a person; they get an e-mail with a link to choose their own password."""
    admin, agency = admin_and_agency(request)
    form = StaffForm(request.POST or None, agency=agency, submit_label=_("Add staff member"))
    if request.method == "POST" and form.is_valid():
        try:
            person = staff_services.staff_create(actor=admin, agency=agency, data=form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if staff_services.staff_invite_send(actor=admin, user=person, agency=agency):
                messages.success(
                    request,
                    _("%(name)s is added. We e-mailed %(email)s a link to choose their password.")
                    % {"name": person, "email": person.email},
                )
            else:
                messages.warning(
                    request,
                    _(
                        "%(name)s is added, but the e-mail with the link to choose a password "
                        "could not be sent. Send it again from their page."
                    )
                    % {"name": person},
                )
            return redirect("accounts:staff_list")
    return render(
        request,
        "accounts/staff_form.html",
        {"form": form, "agency": agency, "title": _("Add a staff member")},
    )


@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a person's details, roles and teams."""
    admin, agency = admin_and_agency(request)
    person = _person_or_404(agency, pk)
    form = StaffForm(
        request.POST or None,
        initial=StaffForm.initial_for(person, agency),
        agency=agency,
        submit_label=_("Save changes"),
    )
    links: list[dict[str, Any]] = []
    if request.method == "POST" and form.is_valid():
        try:
            saved = staff_services.staff_update(
                actor=admin, agency=agency, user=person, data=form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
            links = reassign_links(error)
        else:
            messages.success(request, _("The changes to %(name)s are saved.") % {"name": saved})
            return redirect("accounts:staff_edit", pk=person.pk)
    return render(
        request,
        "accounts/staff_form.html",
        {
            "form": form,
            "agency": agency,
            "person": person,
            "reassign": links,
            "is_self": person.pk == admin.pk,
            "changes": list(person.history.select_related("history_user")[:RECENT_CHANGES]),
            "title": _("Staff member: %(name)s") % {"name": person},
        },
    )


@require_http_methods(["GET", "POST"])
def staff_deactivate(request: HttpRequest, pk: int) -> HttpResponse:
    """Ask, then end the person's access; refused while they hold active clients."""
    admin, agency = admin_and_agency(request)
    person = _person_or_404(agency, pk)
    if not person.is_active:
        messages.info(request, _("%(name)s is already deactivated.") % {"name": person})
        return redirect("accounts:staff_edit", pk=person.pk)
    refusal: ValidationError | None = None
    if request.method == "POST":
        try:
            staff_services.staff_deactivate(actor=admin, user=person)
        except ValidationError as error:
            refusal = error
        else:
            messages.success(
                request,
                _(
                    "%(name)s is deactivated: signed out everywhere, with no API token or "
                    "calendar feed. Their records keep their name."
                )
                % {"name": person},
            )
            return redirect("accounts:staff_edit", pk=person.pk)
    else:
        try:
            staff_services.staff_deactivation_check(actor=admin, user=person)
        except ValidationError as error:
            refusal = error
    return render(
        request,
        "accounts/staff_deactivate.html",
        {
            "agency": agency,
            "person": person,
            "refusal": refusal.messages if refusal is not None else [],
            "reassign": reassign_links(refusal) if refusal is not None else [],
            "supervised": list(
                person.supervised_teams.filter(agency=agency)
                .order_by("name")
                .values_list("name", flat=True)
            ),
        },
    )


@require_POST
def staff_reactivate(request: HttpRequest, pk: int) -> HttpResponse:
    admin, agency = admin_and_agency(request)
    person = _person_or_404(agency, pk)
    staff_services.staff_reactivate(actor=admin, user=person)
    messages.success(
        request,
        _(
            "%(name)s is active again and can sign in with their password (or ask for a "
            "set-password e-mail below)."
        )
        % {"name": person},
    )
    return redirect("accounts:staff_edit", pk=person.pk)


@require_POST
def staff_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """Send the set-password e-mail again (the first link expired, or never arrived)."""
    admin, agency = admin_and_agency(request)
    person = _person_or_404(agency, pk)
    try:
        sent = staff_services.staff_invite_send(actor=admin, user=person, agency=agency)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if sent:
            messages.success(
                request,
                _("We e-mailed %(email)s a link to choose a password.") % {"email": person.email},
            )
        else:
            messages.error(request, _("The e-mail could not be sent. Try again in a few minutes."))
    return redirect("accounts:staff_edit", pk=person.pk)
