"""The home page: where each role starts the day. For clinical staff it is "My work today":
everything due and overdue for them, computed live from the reminder rules."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from careplans import plan_selectors
from casemgmt.accounts import policy
from casemgmt.accounts.models import Team, User
from casemgmt.reminders import selectors as reminder_selectors
from casemgmt.reminders.forms import SNOOZE_CHOICES
from clients import selectors as client_selectors


@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    user = policy.signed_in(request.user)
    context: dict[str, object] = {}
    if user.has_clinical_role:
        context["work"] = reminder_selectors.my_work(user)
        context["snooze_choices"] = SNOOZE_CHOICES
        context["mine"] = client_selectors.my_caseload_counts(user)
        context["teams"] = client_selectors.team_active_counts(user)
        context["plans_due"] = plan_selectors.plans_due_for_review(user).count()
        if user.is_supervisor:
            context["approvals_waiting"] = sum(
                1 for entry in plan_selectors.approval_queue(user) if entry.can_approve
            )
    if user.is_agency_admin:
        context["admin_counts"] = {
            "users": User.objects.filter(is_active=True).count(),
            "teams": Team.objects.count(),
        }
    return render(request, "home.html", context)
