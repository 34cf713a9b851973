"""/api/v1/dashboard/: the supervisor dashboard's figures, read-only, with the page's filters
(`team`, `start`, `end`) and the page's numbers. Only supervisors, for the teams they
supervise; anyone else gets a 404. Bad filter input is a 400 naming the field."""

from __future__ import annotations

from typing import Any

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casemgmt.accounts.models import User
from casemgmt.api import ScopedViewSetMixin
from casemgmt.reminders.rules import local_today

from . import dashboard
from .dashboard_forms import DashboardFilterForm

# --- Serializers ----------------------------------------------------------------------------


class FiltersSerializer(serializers.Serializer[Any]):
    today = serializers.DateField(help_text="The agency's date the figures are as of.")
    start = serializers.DateField(help_text="First day of the date range (inclusive).")
    end = serializers.DateField(help_text="Last day of the date range (inclusive).")
    teams = serializers.ListField(
        child=serializers.IntegerField(), help_text="The ids of the teams counted."
    )


class CaseManagerFiguresSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The case manager's user id.")
    name = serializers.CharField()
    active_clients = serializers.IntegerField(
        help_text="Active clients whose primary case manager they are."
    )
    weighted_load = serializers.IntegerField(
        help_text="1 per active client plus the agency's weights for each open crisis event, "
        "open safety flag and high-need domain of the latest completed assessment."
    )
    plans_overdue = serializers.IntegerField(
        help_text="Service plans in force whose review date has passed."
    )
    follow_ups_overdue = serializers.IntegerField(
        help_text="Referral follow-ups past their date: no provider answer, intake "
        "attendance, fit review."
    )
    unsigned_notes_overdue = serializers.IntegerField(
        help_text="Draft notes unsigned after the agency's signing deadline."
    )
    late_notes = serializers.IntegerField(
        help_text="Notes signed as late entries, of contacts in the date range."
    )
    days_since_contact = serializers.IntegerField(
        allow_null=True,
        help_text="Over their active clients, the most days since a signed note of a direct "
        "contact (or, never seen, since the episode or record began); null without active "
        "clients.",
    )
    awaiting_answer = serializers.IntegerField(
        help_text="Referrals sent and not yet answered by the provider."
    )


class CaseloadsSerializer(FiltersSerializer):
    case_managers = CaseManagerFiguresSerializer(many=True)


class CaseloadSizeSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(help_text="The case manager's user id.")
    name = serializers.CharField()
    active_clients = serializers.IntegerField()


class FunnelSerializer(serializers.Serializer[Any]):
    sent = serializers.IntegerField(help_text="Referrals sent in the date range.")
    accepted = serializers.IntegerField(help_text="Of those, how many were ever accepted.")
    started = serializers.IntegerField(help_text="Of those, how many were ever in progress.")
    completed = serializers.IntegerField(help_text="Of those, how many were completed.")


class GoalOutcomesSerializer(serializers.Serializer[Any]):
    met = serializers.IntegerField()
    partially_met = serializers.IntegerField()
    not_met = serializers.IntegerField()


class TeamFiguresSerializer(FiltersSerializer):
    caseload_sizes = CaseloadSizeSerializer(many=True)
    referral_funnel = FunnelSerializer()
    median_days_to_start = serializers.FloatField(
        allow_null=True,
        help_text="Median days from sending a referral to the start of services, over the "
        "referrals whose services started in the date range; null when none did.",
    )
    referrals_started = serializers.IntegerField(
        help_text="How many referrals' services started in the date range."
    )
    goal_outcomes = GoalOutcomesSerializer(
        help_text="Goal reviews recorded in the date range, by progress."
    )


# --- Views ----------------------------------------------------------------------------------

FILTER_PARAMETERS = [
    OpenApiParameter(
        "team", OpenApiTypes.INT, description="One of your teams; all of them without it."
    ),
    OpenApiParameter(
        "start", OpenApiTypes.DATE, description="First day of the range; 90 days ago without it."
    ),
    OpenApiParameter(
        "end", OpenApiTypes.DATE, description="Last day of the range; today without it."
    ),
]
ERRORS = {
    400: OpenApiResponse(description="A filter is not valid; the message names it."),
    404: OpenApiResponse(description="Only supervisors read the dashboard."),
}

# Figure slugs of the page and their names in the API.
API_NAMES = {
    "active": "active_clients",
    "load": "weighted_load",
    "plans": "plans_overdue",
    "follow-ups": "follow_ups_overdue",
    "unsigned": "unsigned_notes_overdue",
    "late": "late_notes",
    "contact": "days_since_contact",
    "awaiting": "awaiting_answer",
}


class DashboardAPIView(ScopedViewSetMixin, APIView):
    """The filters from the query string, checked as the page checks them."""

    def filters(self, request: Request) -> tuple[User, dashboard.Filters]:
        # DRF answers the page's Http404 with its own 404.
        user = dashboard.supervisor_or_404(request.user)
        today = local_today()
        form = DashboardFilterForm(
            request.query_params, teams=dashboard.supervised_teams(user), today=today
        )
        if not form.is_valid():
            raise ValidationError(
                {name: [str(message) for message in errors] for name, errors in form.errors.items()}
            )
        return user, dashboard.make_filters(
            user,
            team_id=form.team_id,
            start=form.cleaned_data.get("start"),
            end=form.cleaned_data.get("end"),
            today=today,
        )

    @staticmethod
    def header(filters: dashboard.Filters) -> dict[str, Any]:
        return {
            "today": filters.today,
            "start": filters.start,
            "end": filters.end,
            "teams": list(filters.team_ids),
        }


class CaseloadsView(DashboardAPIView):
    @extend_schema(
        operation_id="dashboard_caseloads",
        summary="Each case manager's caseload figures",
        description="For each active case manager of the teams, the figures of the supervisor "
        "dashboard, as of the agency's today (late notes over the date range).",
        parameters=FILTER_PARAMETERS,
        responses={200: CaseloadsSerializer, **ERRORS},
        tags=["dashboard"],
    )
    def get(self, request: Request) -> Response:
        user, filters = self.filters(request)
        loads = dashboard.caseloads(user, filters)
        data = {
            **self.header(filters),
            "case_managers": [
                {
                    "id": row.case_manager.pk,
                    "name": str(row.case_manager),
                    **{API_NAMES[cell.figure.slug]: cell.value for cell in row.cells},
                }
                for row in loads.rows
            ],
        }
        return Response(CaseloadsSerializer(data).data)


class TeamView(DashboardAPIView):
    @extend_schema(
        operation_id="dashboard_team",
        summary="The team's chart figures",
        description="Caseload sizes, and over the date range the referral funnel, the median "
        "days from referral to service start and the goal outcomes of reviews.",
        parameters=FILTER_PARAMETERS,
        responses={200: TeamFiguresSerializer, **ERRORS},
        tags=["dashboard"],
    )
    def get(self, request: Request) -> Response:
        user, filters = self.filters(request)
        team = dashboard.team_figures(user, filters)
        data = {
            **self.header(filters),
            "caseload_sizes": [
                {"id": person.pk, "name": str(person), "active_clients": size}
                for person, size in team.caseload_sizes
            ],
            "referral_funnel": team.funnel,
            "median_days_to_start": team.median_days_to_start,
            "referrals_started": team.referrals_started,
            "goal_outcomes": team.goal_outcomes,
        }
        return Response(TeamFiguresSerializer(data).data)


urlpatterns = [
    path("dashboard/caseloads/", CaseloadsView.as_view(), name="dashboard-caseloads"),
    path("dashboard/team/", TeamView.as_view(), name="dashboard-team"),
]
