"""/api/v1/crisis-events/: crisis events under the same access policy as the pages — list
(`?client=`, `?open=true|false`), retrieve, record, and `close` once the follow-up is done.
A recorded event is not edited or deleted (405)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from casemgmt.api import (
    ClientRecordViewSet,
    VisibleClientField,
    api_writer,
    as_drf_error,
    service_errors,
)

from . import crisis_services as services
from .models import Client, CrisisAction, CrisisEvent, CrisisOutcome, DistressLevel


class CrisisEventSerializer(serializers.ModelSerializer[CrisisEvent]):
    """A crisis event as recorded; `is_open` while the follow-up is not done."""

    is_open = serializers.BooleanField(read_only=True)

    class Meta:
        model = CrisisEvent
        fields = (
            "id",
            "client",
            "is_open",
            *services.CRISIS_FIELDS,
            "recorded_by",
            "recorded_at",
            "closed_at",
            "closed_by",
            "closing_note",
        )
        read_only_fields = fields


class CrisisEventCreateSerializer(serializers.Serializer[Any]):
    """The crisis as the case manager responded to it. The rules (not in the future, the
    designated crisis professional named when involved, the follow-up not before the event …)
    are checked by the service and answered with 400 naming each field."""

    client = VisibleClientField()
    occurred_at = serializers.DateTimeField(help_text="When it happened; not in the future.")
    distress_level = serializers.ChoiceField(choices=DistressLevel.choices)
    description = serializers.CharField(help_text="What happened: the facts.")
    actions = serializers.ListField(
        child=serializers.ChoiceField(choices=CrisisAction.choices),
        help_text="Which of the five steps were taken (at least one).",
    )
    actions_detail = serializers.CharField(required=False, allow_blank=True)
    consulted_with = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="Required when `consulted` is among the actions.",
    )
    crisis_professional_involved = serializers.BooleanField(required=False, default=False)
    crisis_professional_name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        help_text="Required when the designated crisis professional was involved.",
    )
    outcome = serializers.ChoiceField(choices=CrisisOutcome.choices)
    outcome_detail = serializers.CharField(required=False, allow_blank=True)
    safety_plan = serializers.CharField(required=False, allow_blank=True)
    follow_up_on = serializers.DateField(help_text="Not before the day it happened.")


class CrisisEventCloseSerializer(serializers.Serializer[Any]):
    closing_note = serializers.CharField(
        help_text="The follow-up done: who was contacted, what was agreed."
    )


@extend_schema_view(
    list=extend_schema(
        summary="Crisis events the caller may read",
        parameters=[
            OpenApiParameter(
                "client", int, description="Only the events of this client.", required=False
            ),
            OpenApiParameter(
                "open",
                bool,
                description="true: only open events; false: only closed ones.",
                required=False,
            ),
        ],
    ),
    retrieve=extend_schema(summary="One crisis event"),
)
class CrisisEventViewSet(mixins.ListModelMixin, ClientRecordViewSet):
    serializer_class = CrisisEventSerializer
    queryset = CrisisEvent.objects.none()

    def get_queryset(self) -> QuerySet[CrisisEvent]:
        rows = CrisisEvent.objects.visible_to(self.request.user).order_by("-occurred_at", "-pk")
        if self.action == "list":
            rows = self.filter_by_client(rows)
            still_open = self.request.query_params.get("open", "").lower()
            if still_open in ("true", "1"):
                rows = rows.filter(closed_at__isnull=True)
            elif still_open in ("false", "0"):
                rows = rows.filter(closed_at__isnull=False)
            elif still_open:
                raise ValidationError({"open": "Use true or false."})
        return rows

    @extend_schema(
        summary="Record a crisis event",
        description="Only the client's assigned case manager or the team's supervisor "
        "records one (403 otherwise; a client the caller cannot see is 400 on `client`). "
        "The client is flagged on every page until the event is closed.",
        request=CrisisEventCreateSerializer,
        responses={201: CrisisEventSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = CrisisEventCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        client: Client = data.pop("client")
        actor = api_writer(request, client, services.NOT_YOURS_TO_CHANGE)
        with service_errors():
            event = services.crisis_event_record(actor=actor, client=client, data=data)
        return Response(self.get_serializer(event).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Close a crisis event: the follow-up is done",
        description="An event closes once (400 the second time).",
        request=CrisisEventCloseSerializer,
        responses={200: CrisisEventSerializer},
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        event = self.get_object()
        actor = api_writer(request, event.client, services.NOT_YOURS_TO_CHANGE)
        incoming = CrisisEventCloseSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            closed = services.crisis_event_close(
                actor=actor, event=event, closing_note=incoming.validated_data["closing_note"]
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        return Response(self.get_serializer(closed).data)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the API router."""
    router.register("crisis-events", CrisisEventViewSet, basename="crisis-event")
