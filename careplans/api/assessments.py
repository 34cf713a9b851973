"""/api/v1/assessments/: list, retrieve, start, save a draft and complete, under the same
access policy as the pages. A completed assessment is read-only (400)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.api import ClientRecordViewSet, VisibleClientField, as_drf_error
from clients.models import Client

from ..assessment_selectors import assessment_for_user, assessments_visible_to
from ..models import Assessment, Barrier, Domain, DomainNeed, NeedLevel
from ..permissions import can_work_on_client
from ..services import assessments as services


class DomainNeedSerializer(serializers.ModelSerializer[DomainNeed]):
    class Meta:
        model = DomainNeed
        fields = ("domain", "level", "notes")
        read_only_fields = fields


class AssessmentSerializer(serializers.ModelSerializer[Assessment]):
    """An assessment with a need level and notes for each domain, in the domains' order."""

    needs = DomainNeedSerializer(many=True, read_only=True)
    barriers = serializers.ListField(
        child=serializers.ChoiceField(choices=Barrier.choices), read_only=True
    )

    class Meta:
        model = Assessment
        fields = (
            "id",
            "client",
            "kind",
            "status",
            "assessed_on",
            "strengths",
            "barriers",
            "barrier_notes",
            "client_words",
            "needs",
            "created_by",
            "created_at",
            "completed_by",
            "completed_at",
        )
        read_only_fields = fields


class AssessmentStartSerializer(serializers.Serializer[Any]):
    client = VisibleClientField(
        help_text="The client to assess. The first assessment is the intake assessment; later "
        "ones are reassessments, pre-filled from the latest completed assessment.",
    )
    assessed_on = serializers.DateField(required=False, help_text="Defaults to today.")


class NeedInputSerializer(serializers.Serializer[Any]):
    domain = serializers.ChoiceField(choices=Domain.choices)
    level = serializers.ChoiceField(choices=NeedLevel.choices, required=False)
    notes = serializers.CharField(
        required=False, allow_blank=True, help_text="Left out: the notes stay as they are."
    )


class AssessmentDraftSerializer(serializers.Serializer[Any]):
    """The parts of a draft to change; what is left out stays as it is."""

    assessed_on = serializers.DateField(required=False)
    strengths = serializers.CharField(required=False, allow_blank=True)
    barriers = serializers.ListField(
        child=serializers.ChoiceField(choices=Barrier.choices), required=False
    )
    barrier_notes = serializers.CharField(required=False, allow_blank=True)
    client_words = serializers.CharField(required=False, allow_blank=True)
    needs = NeedInputSerializer(many=True, required=False)

    def validate_needs(self, value: list[dict[str, Any]]) -> list[dict[str, Any]]:
        domains = [item["domain"] for item in value]
        if len(domains) != len(set(domains)):
            raise serializers.ValidationError("Give each domain at most once.")
        return value


@extend_schema_view(
    list=extend_schema(
        summary="Assessments the caller may read",
        parameters=[
            OpenApiParameter(
                "client", int, description="Only the assessments of this client.", required=False
            )
        ],
    ),
    retrieve=extend_schema(summary="One assessment with its needs by domain"),
)
class AssessmentViewSet(mixins.ListModelMixin, ClientRecordViewSet):
    serializer_class = AssessmentSerializer
    queryset = Assessment.objects.none()

    def get_queryset(self) -> QuerySet[Assessment]:
        rows = assessments_visible_to(self.request.user)
        if self.action == "list":
            rows = self.filter_by_client(rows)
        return rows

    def _assessment(self) -> Assessment:
        """The assessment in the URL, 404 outside the caller's scope."""
        return assessment_for_user(self.request.user, int(self.kwargs["pk"]))

    def _worker(self, request: Request, client: Client) -> User:
        actor = policy.signed_in(request.user)
        if not can_work_on_client(actor, client):
            raise PermissionDenied(str(services.NOT_YOURS_TO_CHANGE))
        return actor

    @extend_schema(
        summary="Start an assessment of a client",
        description="Opens a draft with every domain not assessed (intake) or filled in from "
        "the latest completed assessment (reassessment). A client has one draft at a time: "
        "a second start answers 409 with the draft's id.",
        request=AssessmentStartSerializer,
        responses={
            201: AssessmentSerializer,
            409: OpenApiResponse(description="The client already has a draft; `draft` is its id."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        start = AssessmentStartSerializer(data=request.data, context={"request": request})
        start.is_valid(raise_exception=True)
        client: Client = start.validated_data["client"]
        actor = self._worker(request, client)
        try:
            assessment = services.assessment_start(
                actor=actor, client=client, assessed_on=start.validated_data.get("assessed_on")
            )
        except services.AssessmentDraftExists as exists:
            return Response(
                {"detail": exists.messages[0], "draft": exists.draft.pk},
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        fresh = assessment_for_user(actor, assessment.pk)
        return Response(self.get_serializer(fresh).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Save changes to a draft",
        description="Send only what changes. `needs` lists domains with their level and "
        "notes. A completed assessment cannot be changed (400): start a reassessment.",
        request=AssessmentDraftSerializer,
        responses={200: AssessmentSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assessment = self._assessment()
        actor = self._worker(request, assessment.client)
        draft = AssessmentDraftSerializer(data=request.data)
        draft.is_valid(raise_exception=True)
        data = dict(draft.validated_data)
        current = {need.domain: need for need in assessment.needs.all()}
        needs = {}
        for item in data.pop("needs", []):
            before = current.get(item["domain"])
            needs[item["domain"]] = (
                item.get("level", before.level if before else NeedLevel.NOT_ASSESSED),
                item.get("notes", before.notes if before else ""),
            )
        try:
            services.assessment_update(actor=actor, assessment=assessment, data=data, needs=needs)
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        return Response(self.get_serializer(assessment_for_user(actor, assessment.pk)).data)

    @extend_schema(
        summary="Complete a draft",
        description="Every domain needs a level, or notes saying why it was not assessed, and "
        "the client's own words must be recorded. A completed assessment is read-only.",
        request=None,
        responses={200: AssessmentSerializer},
    )
    @action(detail=True, methods=["post"])
    def complete(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        assessment = self._assessment()
        actor = self._worker(request, assessment.client)
        try:
            services.assessment_complete(actor=actor, assessment=assessment)
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        return Response(self.get_serializer(assessment_for_user(actor, assessment.pk)).data)
