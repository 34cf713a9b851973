"""/api/v1/collaterals/: the people in a client's life, under the same access policy as the
pages — list (`?client=`), retrieve, add, update (PUT or PATCH, `is_active` to mark them no
longer involved), each with the release in effect today naming them. Nothing is deleted."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from casemgmt.api import ClientRecordViewSet, VisibleClientField, api_writer, service_errors

from . import collateral_services as services
from .models import Client, Collateral, CollateralRelationship, ReleaseOfInformation


class ActiveReleaseSerializer(serializers.ModelSerializer[ReleaseOfInformation]):
    """The release in effect today naming the collateral."""

    class Meta:
        model = ReleaseOfInformation
        fields = ("id", "effective_on", "expires_on", "expiration_event")
        read_only_fields = fields


class CollateralSerializer(serializers.ModelSerializer[Collateral]):
    """A collateral as recorded, with the release in effect today naming them (null when
    there is none: contact with them about the client needs one)."""

    relationship_label = serializers.SerializerMethodField()
    active_release = serializers.SerializerMethodField()

    class Meta:
        model = Collateral
        fields = (
            "id",
            "client",
            *services.COLLATERAL_FIELDS,
            "relationship_label",
            "is_active",
            "active_release",
            "created_by",
            "created_at",
        )
        read_only_fields = fields

    def get_relationship_label(self, collateral: Collateral) -> str:
        return str(collateral.get_relationship_display())

    @extend_schema_field(ActiveReleaseSerializer(allow_null=True))
    def get_active_release(self, collateral: Collateral) -> dict[str, Any] | None:
        release = services.collateral_active_release(collateral, timezone.localdate())
        return ActiveReleaseSerializer(release).data if release is not None else None


class CollateralWriteSerializer(serializers.Serializer[Any]):
    """What is known about the collateral. The rules (a name, a relationship, a phone for an
    emergency contact …) are checked by the service and answered with 400 naming each field."""

    name = serializers.CharField(max_length=200)
    relationship = serializers.ChoiceField(choices=CollateralRelationship.choices)
    relationship_detail = serializers.CharField(max_length=200, required=False, allow_blank=True)
    organization = serializers.CharField(max_length=200, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    best_way_to_reach = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_emergency_contact = serializers.BooleanField(required=False, default=False)
    notes = serializers.CharField(required=False, allow_blank=True)


class CollateralCreateSerializer(CollateralWriteSerializer):
    client = VisibleClientField()


class CollateralUpdateSerializer(CollateralWriteSerializer):
    is_active = serializers.BooleanField(
        required=False, help_text="False when they are no longer part of the client's support."
    )


@extend_schema_view(
    list=extend_schema(
        summary="Collaterals the caller may read",
        parameters=[
            OpenApiParameter(
                "client", int, description="Only the collaterals of this client.", required=False
            )
        ],
    ),
    retrieve=extend_schema(summary="One collateral, with the release in effect today"),
)
class CollateralViewSet(mixins.ListModelMixin, ClientRecordViewSet):
    serializer_class = CollateralSerializer
    queryset = Collateral.objects.none()

    def get_queryset(self) -> QuerySet[Collateral]:
        rows = (
            Collateral.objects.visible_to(self.request.user)
            .prefetch_related(services.active_releases_prefetch(timezone.localdate()))
            .order_by("client_id", "-is_active", "name", "pk")
        )
        if self.action == "list":
            rows = self.filter_by_client(rows)
        return rows

    @extend_schema(
        summary="Add a collateral",
        description="Only the client's assigned case manager or the team's supervisor adds "
        "one (403 otherwise; a client the caller cannot see is 400 on `client`).",
        request=CollateralCreateSerializer,
        responses={201: CollateralSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = CollateralCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        client: Client = data.pop("client")
        actor = api_writer(request, client, services.NOT_YOURS_TO_CHANGE)
        with service_errors():
            collateral = services.collateral_create(actor=actor, client=client, data=data)
        return Response(self.get_serializer(collateral).data, status=status.HTTP_201_CREATED)

    def _update(self, request: Request, *, partial: bool) -> Response:
        collateral = self.get_object()
        actor = api_writer(request, collateral.client, services.NOT_YOURS_TO_CHANGE)
        incoming = CollateralUpdateSerializer(data=request.data, partial=partial)
        incoming.is_valid(raise_exception=True)
        data: dict[str, Any] = {f: getattr(collateral, f) for f in services.COLLATERAL_FIELDS}
        data.update(incoming.validated_data)
        with service_errors():
            updated = services.collateral_update(actor=actor, collateral=collateral, data=data)
        fresh = self.get_queryset().get(pk=updated.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(
        summary="Change a collateral",
        description="Every field; `is_active` false marks them no longer involved.",
        request=CollateralUpdateSerializer,
        responses={200: CollateralSerializer},
    )
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._update(request, partial=False)

    @extend_schema(
        summary="Change some fields of a collateral",
        request=CollateralUpdateSerializer,
        responses={200: CollateralSerializer},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return self._update(request, partial=True)


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the API router."""
    router.register("collaterals", CollateralViewSet, basename="collateral")
