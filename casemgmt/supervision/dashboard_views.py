"""The supervisor dashboard pages: the caseload figures with the team's charts, and the list
behind each figure. Only supervisors see them, for the teams they supervise; anyone else
gets a 404."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from casemgmt.accounts.models import User
from casemgmt.reminders.rules import local_today
from clients import supervision_selectors as clients_selectors

from . import dashboard
from .dashboard_forms import DashboardFilterForm


def _filters(
    request: HttpRequest, user: User
) -> tuple[DashboardFilterForm, dashboard.Filters | None]:
    """The filter form from the query string and, when its input is valid, the filters
    (a team outside the user's is a form error; no input means the defaults)."""
    today = local_today()
    form = DashboardFilterForm(
        request.GET or None, teams=dashboard.supervised_teams(user), today=today
    )
    if not form.is_bound:
        return form, dashboard.make_filters(user, team_id=None, start=None, end=None, today=today)
    if not form.is_valid():
        return form, None
    filters = dashboard.make_filters(
        user,
        team_id=form.team_id,
        start=form.cleaned_data.get("start"),
        end=form.cleaned_data.get("end"),
        today=today,
    )
    return form, filters


@require_http_methods(["GET"])
def dashboard_page(request: HttpRequest) -> HttpResponse:
    user = dashboard.supervisor_or_404(request.user)
    form, filters = _filters(request, user)
    context: dict[str, object] = {"form": form, "figures": dashboard.FIGURES}
    if filters is not None:
        loads = dashboard.caseloads(user, filters)
        team = dashboard.team_figures(user, filters, loads)
        context.update(
            {
                "filters": filters,
                "caseloads": loads,
                "team": team,
                "charts": dashboard.team_charts(team),
                "query": urlencode(filters.query),
                "unattended": clients_selectors.clients_without_a_working_case_manager(
                    user, filters.team_ids
                ),
            }
        )
    return render(request, "supervision/dashboard.html", context)


@require_http_methods(["GET"])
def drilldown_page(request: HttpRequest, user_id: int, figure: str) -> HttpResponse:
    user = dashboard.supervisor_or_404(request.user)
    if figure not in dashboard.FIGURE_BY_SLUG:
        raise Http404
    form, filters = _filters(request, user)
    if filters is None:
        # The filters came from a link on the dashboard; mended by hand, they are shown
        # there, beside the field.
        return render(
            request,
            "supervision/dashboard.html",
            {"form": form, "figures": dashboard.FIGURES},
        )
    person = dashboard.case_manager_or_404(filters, user_id)
    drill = dashboard.drilldown(user, filters, person, figure)
    dashboard.log_clients_read(request, user, drill.client_ids)
    return render(
        request,
        "supervision/dashboard_drilldown.html",
        {
            "form": form,
            "drill": drill,
            "query": urlencode(filters.query),
        },
    )
