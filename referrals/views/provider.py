"""The receiving provider's page, reached through the secure link in their e-mail: no
account, only the packet, and the few steps that close the loop. Every view and action is
logged with the time and address."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods
from ipware import get_client_ip

from casemgmt.accounts.models import Agency

from .. import referral_selectors as selectors
from ..forms.referrals import ActForm
from ..models import Outcome, ReferralStatus
from ..services import referrals as services


def _where(request: HttpRequest) -> tuple[str | None, str]:
    ip, _routable = get_client_ip(request)
    return ip, request.headers.get("user-agent", "")


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def provider_link(request: HttpRequest, token: str) -> HttpResponse:
    ip, agent = _where(request)
    action = request.POST.get("action", "") if request.method == "POST" else "view"
    try:
        link = services.provider_link_open(
            token,
            ip_address=ip,
            user_agent=agent,
            action=action or "view",
            note=request.POST.get("note", "")[:500],
        )
    except services.LinkUnusable as unusable:
        status = 404 if unusable.reason == "unknown" else 410
        return render(
            request, "referrals/provider/unusable.html", {"reason": unusable.reason}, status=status
        )
    referral = link.referral
    error = ""
    if request.method == "POST":
        form = ActForm(request.POST)
        if form.is_valid() and form.cleaned_data["action"] in services.PROVIDER_ACTIONS:
            data = form.cleaned_data
            try:
                services.referral_act(
                    actor=services.Actor(
                        label=_("%(org)s (via the referral link)")
                        % {"org": referral.service.provider_name},
                        ip_address=ip,
                    ),
                    referral=referral,
                    action=data["action"],
                    note=data["note"],
                    on=data["on"],
                    outcome=data["outcome"],
                )
            except ValidationError as problem:
                error = " ".join(problem.messages)
            else:
                return redirect("referrals:provider_link", token=token)
        else:
            error = _("Check the date and try again.")
        referral.refresh_from_db()
    agency = Agency.for_team(referral.client.team_id)
    documents = services.packet_documents(referral)
    return render(
        request,
        "referrals/provider/link.html",
        {
            "referral": referral,
            "agency": agency,
            "link": link,
            "error": error,
            "packet": selectors.packet(referral),
            "part2": "sud_part2" in referral.packet_categories(documents),
            "documents": documents,
            "statuses": ReferralStatus,
            "outcomes": Outcome.choices,
        },
    )


@login_not_required
@never_cache
@require_http_methods(["GET"])
def provider_document(
    request: HttpRequest, token: str, document_pk: int
) -> HttpResponse | FileResponse:
    """A document included in the packet, and only such a document."""
    ip, agent = _where(request)
    try:
        link = services.provider_link_open(
            token, ip_address=ip, user_agent=agent, action=f"document {document_pk}"
        )
    except services.LinkUnusable as unusable:
        return render(
            request,
            "referrals/provider/unusable.html",
            {"reason": unusable.reason},
            status=404 if unusable.reason == "unknown" else 410,
        )
    document = next(
        (d for d in services.packet_documents(link.referral) if d.pk == document_pk), None
    )
    if document is None:
        raise Http404
    return FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=(document.file.name or "document").rsplit("/", 1)[-1],
    )


urlpatterns: list[URLPattern] = [
    path("r/<str:token>/", provider_link, name="provider_link"),
    path("r/<str:token>/documents/<int:document_pk>/", provider_document, name="provider_document"),
]
