"""Referral pages for staff: the client's Referrals tab, making a referral from a plan goal
with the options offered and the client's choice, the packet, sending through the consent
gate, recording the provider's answers and the follow-ups, the supervisor's review of
consent exceptions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from careplans.models import Goal, PlanStatus
from careplans.permissions import can_work_on_client
from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency, User
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record
from casemgmt.forms import add_service_error
from clients.models import Client, ClientDocument
from clients.selectors import client_for_user

from .. import referral_selectors as selectors
from ..directory_selectors import client_fit, verification_warning
from ..forms.referrals import (
    ActForm,
    FitReviewForm,
    HandoffForm,
    PacketForm,
    ReferralForm,
    ReviewNoteForm,
    SendForm,
)
from ..models import ReferralStatus, Service
from ..services import referrals as services


def _client(request: HttpRequest, client_pk: int) -> tuple[User, Client]:
    user = policy.clinician_or_404(request.user)
    return user, client_for_user(user, client_pk)


def _back(referral: Any) -> HttpResponse:
    return redirect("referrals:referral_detail", client_pk=referral.client_id, pk=referral.pk)


def _site(request: HttpRequest) -> str:
    return request.build_absolute_uri("/")


@require_http_methods(["GET"])
def referral_list(request: HttpRequest, client_pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    agency = Agency.for_team(client.team_id)
    referrals = selectors.referrals_for_client(user, client)
    for referral in referrals:
        referral.due = selectors.follow_ups(referral, agency)  # type: ignore[attr-defined]
    return render(
        request,
        "referrals/referrals/list.html",
        {
            "client": client,
            "referrals": referrals,
            "can_change": can_work_on_client(user, client),
        },
    )


def _plan_goals(user: User, client: Client) -> Any:
    return (
        Goal.objects.filter(
            plan__in=client.plans.filter(status__in=[PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW]),
        )
        .select_related("plan")
        .order_by("plan__version", "position")
    )


def _offered(request: HttpRequest) -> list[Service]:
    ids = []
    for raw in request.GET.getlist("offer") + request.POST.getlist("offer"):
        try:
            ids.append(uuid.UUID(raw))
        except ValueError:
            continue
    # A service with no organization takes no referrals (see `referral_create`).
    return list(
        Service.objects.offered()
        .filter(pk__in=ids, organization__isnull=False)
        .select_related("organization")
    )


@require_http_methods(["GET", "POST"])
def referral_new(request: HttpRequest, client_pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    if not can_work_on_client(user, client):
        raise PermissionDenied(_("You can read this record but not change it."))
    offered = _offered(request)
    goals = _plan_goals(user, client)
    if not offered:
        messages.info(
            request, _("First find services with the client and tick the ones you offer them.")
        )
        return redirect(f"{_search_url()}?client={client.pk}")
    services_qs = Service.objects.filter(pk__in=[s.pk for s in offered])
    initial: dict[str, Any] = {
        "goal": request.GET.get("goal"),
        "presenting_issue_summary": client.presenting_issue,
        "payer_type": client.payer_type,
        "payer_name": client.payer_name,
        "member_id": client.member_id,
        "urgency": "routine",
        "target_date": timezone.localdate() + dt.timedelta(days=30),
        "review_date": timezone.localdate() + dt.timedelta(days=14),
    }
    if len(offered) == 1:
        initial["service"] = offered[0].pk
    form = ReferralForm(request.POST or None, goals=goals, services=services_qs, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            referral = services.referral_create(
                actor=user,
                goal=data["goal"],
                service=data["service"],
                offered=offered,
                data=data,
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("The referral is drafted. Choose what the packet contains, then send it."),
            )
            return redirect("referrals:referral_packet", client_pk=client.pk, pk=referral.pk)
    return render(
        request,
        "referrals/referrals/new.html",
        {
            "client": client,
            "form": form,
            "offered": offered,
            "has_goals": goals.exists(),
            "fits": [
                (
                    service,
                    client_fit(service, client),
                    verification_warning(service, Agency.for_team(client.team_id)),
                )
                for service in offered
            ],
        },
    )


def _search_url() -> str:
    from django.urls import reverse

    return reverse("referrals:search")


@require_http_methods(["GET"])
def referral_detail(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    referral = selectors.referral_for_user(user, client, pk)
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
    agency = Agency.for_team(client.team_id)
    return render(
        request,
        "referrals/referrals/detail.html",
        {
            "client": client,
            "referral": referral,
            "packet": selectors.packet(referral),
            "verification": verification_warning(referral.service, agency),
            "consent": services.consent_check(referral)
            if referral.status == ReferralStatus.DRAFT
            else None,
            "due": selectors.follow_ups(referral, agency),
            "can_change": can_work_on_client(user, client),
            "can_review_exception": bool(referral.consent_exception)
            and referral.exception_reviewed_at is None
            and client.team_id in policy.supervised_team_ids(user)
            and user.pk != referral.case_manager_id,
            "handoff_form": HandoffForm(
                initial={
                    "at": timezone.localtime()
                    .replace(second=0, microsecond=0)
                    .strftime("%Y-%m-%dT%H:%M")
                }
            ),
            "fit_form": FitReviewForm(),
            "statuses": ReferralStatus,
            "documents": ClientDocument.objects.filter(
                client=client, pk__in=referral.packet_documents
            ),
        },
    )


@require_http_methods(["GET", "POST"])
def referral_packet(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    referral = selectors.referral_for_user(user, client, pk)
    documents = ClientDocument.objects.filter(client=client)
    form = PacketForm(
        request.POST or None,
        documents=documents,
        initial={
            "packet_sections": referral.packet_sections,
            "packet_documents": referral.packet_documents,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_set_packet(
                actor=user,
                referral=referral,
                sections=form.cleaned_data["packet_sections"],
                document_ids=[d.pk for d in form.cleaned_data["packet_documents"]],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("The packet is saved."))
            return redirect("referrals:referral_send", client_pk=client.pk, pk=referral.pk)
    return render(
        request,
        "referrals/referrals/form.html",
        {
            "client": client,
            "referral": referral,
            "form": form,
            "title": _("What the provider receives"),
        },
    )


@require_http_methods(["GET", "POST"])
def referral_send(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    referral = selectors.referral_for_user(user, client, pk)
    if not can_work_on_client(user, client):
        raise PermissionDenied(_("You can read this referral but not change it."))
    default_email = (
        referral.service.contacts.exclude(email="").values_list("email", flat=True).first()
        or referral.service.email
        or (referral.service.organization.email if referral.service.organization else "")
    )
    form = SendForm(request.POST or None, initial={"provider_email": default_email})
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_send(
                actor=user, referral=referral, site_url=_site(request), **form.cleaned_data
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("The referral is sent. The provider has been e-mailed a secure link.")
            )
            return _back(referral)
    return render(
        request,
        "referrals/referrals/send.html",
        {
            "client": client,
            "referral": referral,
            "form": form,
            "consent": services.consent_check(referral),
            "packet": selectors.packet(referral),
        },
    )


@require_POST
def referral_act(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    """Staff record a step, e.g. when the provider answers by phone."""
    user, client = _client(request, client_pk)
    referral = selectors.referral_for_user(user, client, pk)
    form = ActForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.referral_act(
                actor=services.Actor(user=user),
                referral=referral,
                action=data["action"],
                note=data["note"],
                on=data["on"],
                outcome=data["outcome"],
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The referral is updated."))
    else:
        messages.error(request, _("Check the date."))
    return _back(referral)


@require_POST
def referral_handoff(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    referral = selectors.referral_for_user(user, client, pk)
    form = HandoffForm(request.POST)
    if form.is_valid():
        try:
            services.referral_handoff(actor=user, referral=referral, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The warm hand-off is recorded."))
    else:
        messages.error(request, _("Name who you spoke to, when and how."))
    return _back(referral)


@require_POST
def referral_attendance(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    referral = selectors.referral_for_user(user, client, pk)
    try:
        services.referral_record_attendance(
            actor=user,
            referral=referral,
            attended=request.POST.get("attended") == "yes",
            note=request.POST.get("note", ""),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _back(referral)


@require_POST
def referral_fit_review(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    referral = selectors.referral_for_user(user, client, pk)
    form = FitReviewForm(request.POST)
    if form.is_valid():
        try:
            services.referral_fit_review(actor=user, referral=referral, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("The fit review is recorded."))
    else:
        messages.error(request, _("Choose a decision."))
    return _back(referral)


@require_POST
def link_revoke(request: HttpRequest, client_pk: int, pk: int, link_pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    referral = selectors.referral_for_user(user, client, pk)
    link = get_object_or_404(referral.links.all(), pk=link_pk)
    services.provider_link_revoke(actor=user, link=link)
    messages.success(request, _("The provider's link no longer works."))
    return _back(referral)


@require_POST
def link_reissue(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    referral = selectors.referral_for_user(user, client, pk)
    try:
        link, _token = services.provider_link_reissue(
            actor=user, referral=referral, site_url=_site(request)
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("A new link was e-mailed to %(e)s.") % {"e": link.sent_to})
    return _back(referral)


@require_POST
def exception_review(request: HttpRequest, client_pk: int, pk: int) -> HttpResponse:
    user, client = _client(request, client_pk)
    referral = selectors.referral_for_user(user, client, pk)
    form = ReviewNoteForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError({"note": _("Write the outcome of your review.")})
        services.exception_review(actor=user, referral=referral, note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Your review is recorded."))
    return redirect("referrals:exceptions")


@require_http_methods(["GET"])
def exceptions(request: HttpRequest) -> HttpResponse:
    """Referrals sent without consent, waiting for a supervisor's review."""
    user = policy.clinician_or_404(request.user)
    if not policy.supervised_team_ids(user):
        raise Http404
    return render(
        request,
        "referrals/referrals/exceptions.html",
        {
            "referrals": selectors.exceptions_awaiting_review(user),
        },
    )


_one = "clients/<int:client_pk>/referrals/<int:pk>/"
urlpatterns: list[URLPattern] = [
    path("clients/<int:client_pk>/referrals/", referral_list, name="referral_list"),
    path("clients/<int:client_pk>/referrals/new/", referral_new, name="referral_new"),
    path(_one, referral_detail, name="referral_detail"),
    path(_one + "packet/", referral_packet, name="referral_packet"),
    path(_one + "send/", referral_send, name="referral_send"),
    path(_one + "act/", referral_act, name="referral_act"),
    path(_one + "handoff/", referral_handoff, name="referral_handoff"),
    path(_one + "attendance/", referral_attendance, name="referral_attendance"),
    path(_one + "fit-review/", referral_fit_review, name="referral_fit_review"),
    path(_one + "links/<int:link_pk>/revoke/", link_revoke, name="link_revoke"),
    path(_one + "links/new/", link_reissue, name="link_reissue"),
    path(_one + "exception-review/", exception_review, name="exception_review"),
    path("referrals/exceptions/", exceptions, name="exceptions"),
]
