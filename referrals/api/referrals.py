"""/api/v1/referrals/: referrals with their status events, under the access policy. They
are read here; they move through the pages, where the consent gate and each step's rules
apply."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers
from rest_framework.routers import BaseRouter

from casemgmt.api import ClientRecordViewSet

from ..models import Referral, ReferralEvent


class ReferralEventSerializer(serializers.ModelSerializer):
    actor = serializers.SerializerMethodField()

    class Meta:
        model = ReferralEvent
        fields = ("id", "from_status", "to_status", "actor", "at", "note")

    def get_actor(self, event: ReferralEvent) -> str:
        return str(event.actor) if event.actor_id else event.actor_label


class ReferralSerializer(serializers.ModelSerializer):
    events = ReferralEventSerializer(many=True, read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    organization_name = serializers.CharField(
        source="service.organization.name", read_only=True, allow_null=True
    )

    class Meta:
        model = Referral
        fields = (
            "id",
            "client",
            "goal",
            "service",
            "service_name",
            "organization_name",
            "is_internal",
            "case_manager",
            "status",
            "reason",
            "presenting_issue_summary",
            "desired_services",
            "urgency",
            "target_date",
            "review_date",
            "packet_sections",
            "release",
            "consent_exception",
            "exception_reviewed_at",
            "handoff_contact",
            "handoff_at",
            "handoff_method",
            "intake_on",
            "tour_on",
            "attended_intake",
            "service_started_on",
            "outcome",
            "outcome_reason",
            "sent_at",
            "responded_at",
            "events",
        )
        read_only_fields = fields


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter(
                "client", OpenApiTypes.INT, description="Only this client's referrals"
            ),
            OpenApiParameter(
                "status", OpenApiTypes.STR, description="Only referrals in this status"
            ),
        ]
    )
)
class ReferralViewSet(mixins.ListModelMixin, ClientRecordViewSet):
    serializer_class = ReferralSerializer

    def get_queryset(self) -> QuerySet[Referral]:
        referrals = (
            Referral.objects.visible_to(self.request.user)
            .select_related("service__organization")
            .prefetch_related(
                Prefetch("events", queryset=ReferralEvent.objects.select_related("actor"))
            )
            .order_by("-created_at", "-pk")
        )
        client = self.request.query_params.get("client", "")
        if client.isdigit():
            referrals = referrals.filter(client_id=int(client))
        status = self.request.query_params.get("status", "")
        if status:
            referrals = referrals.filter(status=status)
        return referrals


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the API router."""
    router.register("referrals", ReferralViewSet, basename="referral")
