"""/api/v1/plans/: service plans with their goals and interventions, read-only, under the
access policy. Plans change through the web pages, where each step has its rules."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from casemgmt.api import ClientRecordViewSet

from ..models import Goal, Intervention, ServicePlan
from ..services.plans import GOAL_FIELDS, INTERVENTION_FIELDS


class InterventionSerializer(serializers.ModelSerializer):
    delivered_by = serializers.CharField(read_only=True)

    class Meta:
        model = Intervention
        fields = ("id", *INTERVENTION_FIELDS, "delivered_by")


class GoalSerializer(serializers.ModelSerializer):
    interventions = InterventionSerializer(many=True, read_only=True)
    instrument: serializers.SlugRelatedField[Any] = serializers.SlugRelatedField(
        slug_field="code", read_only=True
    )

    class Meta:
        model = Goal
        fields = ("id", "key", *GOAL_FIELDS, "interventions")


class PlanSerializer(serializers.ModelSerializer):
    goals = GoalSerializer(many=True, read_only=True)

    class Meta:
        model = ServicePlan
        fields = (
            "id",
            "client",
            "assessment",
            "version",
            "previous",
            "revision_reason",
            "status",
            "service_start",
            "review_due",
            "early_review_reason",
            "meeting_date",
            "meeting_participants",
            "client_participated",
            "agreement",
            "agreement_note",
            "finalized_at",
            "finalized_by",
            "approval_required",
            "approved_at",
            "approved_by",
            "goals",
        )
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("client", OpenApiTypes.INT, description="Only this client's plans"),
            OpenApiParameter("status", OpenApiTypes.STR, description="Only plans in this status"),
        ]
    )
)
class PlanViewSet(mixins.ListModelMixin, ClientRecordViewSet):
    serializer_class = PlanSerializer

    def get_queryset(self) -> QuerySet[ServicePlan]:
        plans = (
            ServicePlan.objects.visible_to(self.request.user)
            .prefetch_related(
                Prefetch(
                    "goals",
                    queryset=Goal.objects.select_related("instrument").prefetch_related(
                        Prefetch(
                            "interventions",
                            queryset=Intervention.objects.select_related("staff"),
                        )
                    ),
                )
            )
            .order_by("client_id", "-version")
        )
        client = self.request.query_params.get("client", "")
        if client.isdigit():
            plans = plans.filter(client_id=int(client))
        status = self.request.query_params.get("status", "")
        if status:
            plans = plans.filter(status=status)
        return plans
