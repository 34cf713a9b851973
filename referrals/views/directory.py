"""Provider directory pages: browsing for everyone signed in, searching for providers with a
client for clinical staff, and the administrators' pages that keep services accurate
(edit, verify with the provider, add)."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import URLPattern, path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record
from casemgmt.forms import add_service_error
from clients.models import Client
from clients.selectors import client_for_user

from .. import directory_selectors as selectors
from ..forms.directory import (
    DirectoryBrowseForm,
    OrganizationForm,
    OrganizationInternalForm,
    ProviderSearchForm,
    ServiceCreateForm,
    ServiceEditForm,
    VerifyForm,
)
from ..models import Organization, Service
from ..services import directory as services


def _admin_or_404(request: HttpRequest) -> User:
    """The directory's editing pages exist only for administrators."""
    user = policy.signed_in(request.user)
    if not services.can_manage_directory(user):
        raise Http404
    return user


def _is_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted  # type: ignore[union-attr]


@require_http_methods(["GET"])
def directory(request: HttpRequest) -> HttpResponse:
    user = policy.signed_in(request.user)
    form = DirectoryBrowseForm(request.GET)
    form.is_valid()
    data = form.cleaned_data
    show = data.get("show") or DirectoryBrowseForm.SERVICES
    context: dict[str, Any] = {
        "form": form,
        "show": show,
        "can_manage": services.can_manage_directory(user),
    }
    if show == DirectoryBrowseForm.ORGANIZATIONS:
        rows: Any = selectors.organizations(q=data.get("q") or "")
        page = Paginator(rows, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    else:
        rows = selectors.with_result_details(
            selectors.search_services(
                q=data.get("q") or "",
                category=data.get("category"),
                include_inactive=bool(data.get("include_inactive")),
            )
        )
        page = Paginator(rows, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
        context["rows"] = selectors.result_rows(
            list(page.object_list), agency=selectors.user_agency(user)
        )
    context["page"] = page
    template = "referrals/directory/index.html"
    if _is_partial(request):
        template += "#results"
    return render(request, template, context)


def _search_client(request: HttpRequest, user: User) -> Client | None:
    raw = request.GET.get("client", "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise Http404
    return client_for_user(user, int(raw))


@require_http_methods(["GET"])
def search(request: HttpRequest) -> HttpResponse:
    """Reviewing the provider list with the client: the filters start from the client's
    language, age, payer and city; each result shows how the client fits, the provider's
    record with referrals and whether its details are fresh."""
    user = policy.clinician_or_404(request.user)
    client = _search_client(request, user)
    data: QueryDict | dict[str, Any] = request.GET
    if client is not None and not request.GET.get("filtered"):
        data = {**ProviderSearchForm.client_defaults(client), "q": request.GET.get("q", "")}
    form = ProviderSearchForm(data, client=client)
    form.is_valid()
    rows = selectors.with_result_details(selectors.search_services(**form.search_filters()))
    page = Paginator(rows, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    agency = selectors.user_agency(user)
    goal = request.GET.get("goal", "")
    offered_ids = request.GET.getlist("offer") if client is not None else []
    context: dict[str, Any] = {
        "form": form,
        "client": client,
        "page": page,
        "rows": selectors.result_rows(list(page.object_list), agency=agency, client=client),
        "goal": goal if goal.isdigit() else "",
        "offered": selectors.services_by_ids(offered_ids),
        # Called by the template only when the whole page (with the form) is drawn.
        "languages": selectors.known_languages,
    }
    context["offered_ids"] = {str(s.pk) for s in context["offered"]}
    context["shown_ids"] = {str(row.service.pk) for row in context["rows"]}
    if _is_partial(request):
        return render(request, "referrals/directory/search.html#results", context)
    if client is not None:
        access_log_record(
            actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request
        )
    return render(request, "referrals/directory/search.html", context)


def _service_page(
    request: HttpRequest,
    service: Service,
    *,
    verify_form: VerifyForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = policy.signed_in(request.user)
    can_manage = services.can_manage_directory(user)
    agency = selectors.user_agency(user)
    quality = selectors.service_quality([service.pk])[service.pk]
    return render(
        request,
        "referrals/directory/service_detail.html",
        {
            "service": service,
            "quality": quality,
            "payers": selectors.payer_labels(service.payers_accepted),
            "warning": selectors.verification_warning(service, agency),
            "stale_days": agency.stale_directory_days,
            "can_manage": can_manage,
            "verify_form": verify_form or (VerifyForm(service=service) if can_manage else None),
        },
        status=status,
    )


@require_http_methods(["GET"])
def service_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    policy.signed_in(request.user)
    return _service_page(request, selectors.service_for_page(pk))


@require_http_methods(["GET", "POST"])
def service_edit(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = _admin_or_404(request)
    service = selectors.service_for_page(pk)
    organization = service.organization
    # A service without an organization (an import named one the file lacked) has no
    # "one of our own programs" to set.
    org_form: OrganizationInternalForm | None
    if request.method == "POST":
        form = ServiceEditForm(request.POST, instance=service)
        org_form = OrganizationInternalForm(request.POST) if organization is not None else None
        if form.is_valid() and (org_form is None or org_form.is_valid()):
            try:
                services.service_update(
                    actor=user,
                    service=service,
                    data=form.cleaned_data,
                    organization_is_internal=(
                        org_form.cleaned_data["is_internal"] if org_form is not None else None
                    ),
                )
            except ValidationError as error:
                add_service_error(form, error)
            except PermissionDenied as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The service is saved."))
                return redirect("referrals:directory_service", pk=service.pk)
    else:
        form = ServiceEditForm(instance=service)
        org_form = (
            OrganizationInternalForm(initial={"is_internal": organization.is_internal})
            if organization is not None
            else None
        )
    return render(
        request,
        "referrals/directory/service_form.html",
        {
            "service": service,
            "organization": organization,
            "form": form,
            "org_form": org_form,
            "title": _("Edit %(name)s") % {"name": service.name},
        },
        status=400 if form.errors or (org_form is not None and org_form.errors) else 200,
    )


@require_POST
def service_verify(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = _admin_or_404(request)
    service = selectors.service_for_page(pk)
    form = VerifyForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.service_verify(
                actor=user,
                service=service,
                wait_time_days=data.get("wait_time_days"),
                accepting_new_clients=data.get("accepting_new_clients"),
                capacity_note=data.get("capacity_note") or None,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("Recorded: %(name)s verified with the provider today.") % {"name": service.name},
            )
            return redirect("referrals:directory_service", pk=service.pk)
    return _service_page(request, service, verify_form=form, status=400)


@require_http_methods(["GET", "POST"])
def service_new(request: HttpRequest) -> HttpResponse:
    user = _admin_or_404(request)
    initial: dict[str, Any] = {}
    wanted = request.GET.get("organization", "")
    with contextlib.suppress(ValueError):
        initial["organization"] = uuid.UUID(wanted) if wanted else None
    form = ServiceCreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            service = services.service_create(
                actor=user, organization=data["organization"], data=data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("%(name)s is in the directory.") % {"name": service.name})
            return redirect("referrals:directory_service", pk=service.pk)
    return render(
        request,
        "referrals/directory/service_form.html",
        {"form": form, "title": _("Add a service")},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def organization_new(request: HttpRequest) -> HttpResponse:
    user = _admin_or_404(request)
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            organization = services.organization_create(actor=user, data=form.cleaned_data)
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is in the directory. Now add its services.")
                % {"name": organization.name},
            )
            return redirect(
                f"{reverse('referrals:directory_service_new')}?organization={organization.pk}"
            )
    return render(
        request,
        "referrals/directory/organization_form.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET"])
def organization_detail(request: HttpRequest, pk: uuid.UUID) -> HttpResponse:
    user = policy.signed_in(request.user)
    organization: Organization = selectors.organization_for_page(pk)
    return render(
        request,
        "referrals/directory/organization_detail.html",
        {
            "organization": organization,
            "can_manage": services.can_manage_directory(user),
        },
    )


urlpatterns: list[URLPattern] = [
    path("directory/", directory, name="directory"),
    path("directory/search/", search, name="search"),
    path("directory/services/new/", service_new, name="directory_service_new"),
    path("directory/services/<uuid:pk>/", service_detail, name="directory_service"),
    path("directory/services/<uuid:pk>/edit/", service_edit, name="directory_service_edit"),
    path("directory/services/<uuid:pk>/verify/", service_verify, name="directory_service_verify"),
    path("directory/organizations/new/", organization_new, name="directory_organization_new"),
    path(
        "directory/organizations/<uuid:pk>/",
        organization_detail,
        name="directory_organization",
    ),
]
