"""The home page: where each role starts the day."""

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from casemgmt.accounts import policy
from casemgmt.accounts.models import Team, User
from clients.models import Client, ClientStatus


@require_http_methods(["GET"])
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    context: dict[str, object] = {}
    if user.has_clinical_role:
        visible = Client.objects.visible_to(user)
        context["mine"] = visible.filter(primary_case_manager=user).aggregate(
            active=Count("pk", filter=Q(status=ClientStatus.ACTIVE)),
            discharged=Count("pk", filter=Q(status=ClientStatus.DISCHARGED)),
        )
        team_ids = policy.member_team_ids(user) | policy.supervised_team_ids(user)
        context["teams"] = (
            Team.objects.filter(pk__in=team_ids)
            .annotate(active=Count("clients", filter=Q(clients__status=ClientStatus.ACTIVE)))
            .order_by("name")
        )
    if user.is_agency_admin:
        context["admin_counts"] = {
            "users": User.objects.filter(is_active=True).count(),
            "teams": Team.objects.count(),
        }
    return render(request, "home.html", context)
