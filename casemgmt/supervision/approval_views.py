"""The approvals queue: everything waiting for a supervisor of the user's teams on one page,
decided inline (htmx) or with a plain form post when JavaScript is off."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.forms import add_service_error

from . import approvals
from .approval_forms import ApprovalForm
from .approvals import ApprovalKind, ApprovalQueue, Decision

SUCCESS = {
    (ApprovalKind.PLAN, Decision.APPROVE): gettext_lazy("The plan is approved and active."),
    (ApprovalKind.PLAN, Decision.RETURN): gettext_lazy("The plan is returned to the case manager."),
    (ApprovalKind.EXCEPTION, Decision.APPROVE): gettext_lazy(
        "Your review is recorded: the exception is upheld."
    ),
    (ApprovalKind.EXCEPTION, Decision.RETURN): gettext_lazy(
        "The exception is not upheld: the provider's link is revoked and the referral cancelled."
    ),
    (ApprovalKind.NOTE, Decision.APPROVE): gettext_lazy("The note is co-signed."),
    (ApprovalKind.NOTE, Decision.RETURN): gettext_lazy(
        "The note is returned to its author with your comment."
    ),
}


def _supervisor(request: HttpRequest) -> User:
    """The queue exists only for supervisors; anyone else gets a 404."""
    user = policy.clinician_or_404(request.user)
    if not policy.supervised_team_ids(user):
        raise Http404
    return user


def _tab(value: str) -> str:
    return value if value in ApprovalKind.values else ""


def _context(queue: ApprovalQueue, kind: str) -> dict[str, Any]:
    tabs = [{"value": "", "label": _("All"), "count": queue.total, "active": not kind}]
    tabs += [
        {"value": value, "label": label, "count": queue.counts[value], "active": kind == value}
        for value, label in ApprovalKind.choices
    ]
    return {"queue": queue, "kind": kind, "tabs": tabs}


def _page(
    request: HttpRequest,
    user: User,
    kind: str,
    *,
    failed: str = "",
    form: ApprovalForm | None = None,
    status: int = 200,
) -> HttpResponse:
    queue = approvals.approval_queue(user, kind=kind)
    context = _context(queue, kind)
    context["rows"] = [(item, form if item.key == failed else None) for item in queue.items]
    context.update(failed=failed, failed_form=form)
    return render(request, "supervision/approvals.html", context, status=status)


@require_GET
def approvals_page(request: HttpRequest) -> HttpResponse:
    """Plans to approve, consent exceptions to review and notes to co-sign, oldest first,
    with a tab for each kind."""
    user = _supervisor(request)
    return _page(request, user, _tab(request.GET.get("kind", "")))


@require_POST
def approval_decide(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """Approve or return one item. Outside the user's teams: 404. A refusal (their own
    work, an item no longer waiting, a return without a comment) is shown beside the
    comment box and nothing changes."""
    user = _supervisor(request)
    target = approvals.approval_target(user, kind, pk)
    tab = _tab(request.POST.get("tab", ""))
    form = ApprovalForm(request.POST)
    status = 400
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        try:
            approvals.approval_decide(
                actor=user,
                kind=kind,
                target=target,
                decision=decision,
                comment=form.cleaned_data["comment"],
            )
        except PermissionDenied as error:
            form.add_error(None, str(error) or _("You may not decide on this item."))
            status = 403
        except ValidationError as error:
            add_service_error(form, error)
        else:
            message = str(SUCCESS[(ApprovalKind(kind), Decision(decision))])
            if request.htmx:  # type: ignore[attr-defined]
                context = _context(approvals.approval_queue(user, kind=tab), tab)
                context["message"] = message
                return render(request, "supervision/includes/approval_done.html", context)
            messages.success(request, message)
            url = reverse("supervision:approvals")
            return redirect(f"{url}?kind={tab}" if tab else url)
    return _refused(request, user, f"{kind}-{pk}", tab, form, status)


def _refused(
    request: HttpRequest, user: User, key: str, tab: str, form: ApprovalForm, status: int
) -> HttpResponse:
    """The item again with the problem beside its comment box (htmx), or the whole page
    with it (a plain post). An item no longer in the queue gets the problem at the top."""
    queue = approvals.approval_queue(user, kind=tab)
    item = next((i for i in queue.items if i.key == key), None)
    if item is None:
        problems = [str(m) for errors in form.errors.values() for m in errors]
        if request.htmx:  # type: ignore[attr-defined]
            return render(
                request,
                "supervision/includes/approval_gone.html",
                {"key": key, "problems": problems},
            )
        for problem in problems:
            messages.error(request, problem)
        return _page(request, user, tab, status=status)
    if request.htmx:  # type: ignore[attr-defined]
        # htmx swaps only successful responses, so the problem comes back with a 200.
        return render(
            request,
            "supervision/includes/approval_item.html",
            {"item": item, "form": form, "kind": tab},
        )
    return _page(request, user, tab, failed=key, form=form, status=status)
