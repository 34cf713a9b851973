"""/api/v1/releases/: releases of information under the same access policy as the pages —
list (`?client=`), retrieve, record (JSON, or multipart with the scanned copy), revoke, and
the scanned copy. Status is computed for today. Nothing is deleted (405)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import BaseRouter

from casemgmt.accounts import policy
from casemgmt.api import (
    ClientRecordViewSet,
    VisibleClientField,
    api_writer,
    as_drf_error,
    service_errors,
)
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record

from . import release_services as services
from .models import (
    Client,
    ReleaseCategory,
    ReleaseOfInformation,
    ReleasePurpose,
    SignatureMethod,
    SignerRelationship,
)
from .release_views import stored_file_response


class ReleaseSerializer(serializers.ModelSerializer[ReleaseOfInformation]):
    """A release as recorded, with its status computed for today and a link to the scanned
    copy (served through the API, scope-checked and logged; never a public file address)."""

    status = serializers.SerializerMethodField(
        help_text="pending, active, expired or revoked, as of today."
    )
    status_label = serializers.SerializerMethodField()
    scanned_copy = serializers.SerializerMethodField(
        help_text="Where to download the signed release, or null when none is on file."
    )

    class Meta:
        model = ReleaseOfInformation
        fields = (
            "id",
            "client",
            "status",
            "status_label",
            *services.RELEASE_FIELDS,
            "expired_by_event",
            "scanned_copy",
            "revoked_on",
            "revocation_method",
            "revoked_by",
            "created_by",
            "created_at",
        )
        read_only_fields = fields

    def get_status(self, release: ReleaseOfInformation) -> str:
        return str(release.status_on(timezone.localdate()).value)

    def get_status_label(self, release: ReleaseOfInformation) -> str:
        return str(release.status_on(timezone.localdate()).label)

    @extend_schema_field(OpenApiTypes.URI)
    def get_scanned_copy(self, release: ReleaseOfInformation) -> str | None:
        if not release.scanned_copy:
            return None
        url = reverse("release-copy", args=[release.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ReleaseCreateSerializer(serializers.Serializer[Any]):
    """What the client signed. The rules (statements, an end, the signer's authority …) are
    checked by the service and answered with 400 naming each field."""

    client = VisibleClientField()
    discloser = serializers.CharField(max_length=200)
    recipient_organization_id = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text="A provider-directory organization; its name is kept as the recipient.",
    )
    recipient_name = serializers.CharField(
        max_length=300,
        required=False,
        allow_blank=True,
        help_text="A person or organization not in the directory (leave out with an organization).",
    )
    recipient_details = serializers.CharField(max_length=300, required=False, allow_blank=True)
    purposes = serializers.ListField(child=serializers.ChoiceField(choices=ReleasePurpose.choices))
    purpose_other = serializers.CharField(max_length=300, required=False, allow_blank=True)
    categories = serializers.ListField(
        child=serializers.ChoiceField(choices=ReleaseCategory.choices),
        help_text="Psychotherapy notes are never a choice.",
    )
    category_other = serializers.CharField(max_length=300, required=False, allow_blank=True)
    effective_on = serializers.DateField()
    expires_on = serializers.DateField(required=False, allow_null=True)
    expiration_event = serializers.CharField(max_length=300, required=False, allow_blank=True)
    signer_name = serializers.CharField(max_length=200)
    signer_relationship = serializers.ChoiceField(choices=SignerRelationship.choices)
    signer_authority = serializers.CharField(max_length=300, required=False, allow_blank=True)
    signature_method = serializers.ChoiceField(choices=SignatureMethod.choices)
    signed_on = serializers.DateField()
    ack_right_to_revoke = serializers.BooleanField(
        help_text="The client was told they may revoke the release at any time."
    )
    ack_no_conditioning = serializers.BooleanField(
        help_text="The client was told services do not depend on signing."
    )
    ack_redisclosure = serializers.BooleanField(
        help_text="The client was told the recipient may redisclose the information."
    )
    scanned_copy = serializers.FileField(
        required=False, help_text="The signed paper: PDF, JPEG or PNG under 10 MB (multipart)."
    )


class ReleaseRevokeSerializer(serializers.Serializer[Any]):
    revoked_on = serializers.DateField(help_text="Not in the future, not before it took effect.")
    revocation_method = serializers.CharField(
        max_length=200, help_text="How the client revoked it: in writing, by phone …"
    )


@extend_schema_view(
    list=extend_schema(
        summary="Releases of information the caller may read",
        parameters=[
            OpenApiParameter(
                "client", int, description="Only the releases of this client.", required=False
            )
        ],
    ),
    retrieve=extend_schema(summary="One release of information, its status computed for today"),
)
class ReleaseViewSet(mixins.ListModelMixin, ClientRecordViewSet):
    serializer_class = ReleaseSerializer
    queryset = ReleaseOfInformation.objects.none()
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def get_queryset(self) -> QuerySet[ReleaseOfInformation]:
        rows = (
            ReleaseOfInformation.objects.visible_to(self.request.user)
            .select_related("client")
            .order_by("-effective_on", "-pk")
        )
        if self.action == "list":
            rows = self.filter_by_client(rows)
        return rows

    @extend_schema(
        summary="Record a release of information",
        description="Send JSON, or multipart with `scanned_copy`. Only the client's assigned "
        "case manager or the team's supervisor records a release (403 otherwise).",
        request={
            "application/json": ReleaseCreateSerializer,
            "multipart/form-data": ReleaseCreateSerializer,
        },
        responses={201: ReleaseSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        incoming = ReleaseCreateSerializer(data=request.data, context={"request": request})
        incoming.is_valid(raise_exception=True)
        data = dict(incoming.validated_data)
        client: Client = data.pop("client")
        scanned_copy = data.pop("scanned_copy", None)
        actor = api_writer(request, client, services.NOT_YOURS_TO_CHANGE)
        with service_errors():
            release = services.release_record(
                actor=actor, client=client, data=data, scanned_copy=scanned_copy
            )
        return Response(self.get_serializer(release).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revoke a release",
        description="From `revoked_on` nothing more is disclosed under it. A release is "
        "revoked once (400 the second time).",
        request=ReleaseRevokeSerializer,
        responses={200: ReleaseSerializer},
    )
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        release = self.get_object()
        actor = api_writer(request, release.client, services.NOT_YOURS_TO_CHANGE)
        incoming = ReleaseRevokeSerializer(data=request.data)
        incoming.is_valid(raise_exception=True)
        try:
            revoked = services.release_revoke(
                actor=actor,
                release=release,
                revoked_on=incoming.validated_data["revoked_on"],
                method=incoming.validated_data["revocation_method"],
            )
        except DjangoValidationError as error:
            raise as_drf_error(error) from error
        return Response(self.get_serializer(revoked).data)

    @extend_schema(
        summary="Download the scanned copy",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The signed release as scanned."
            ),
            404: OpenApiResponse(description="No copy on file, or not the caller's to read."),
        },
    )
    @action(detail=True, methods=["get"])
    def copy(self, request: Request, *args: Any, **kwargs: Any) -> FileResponse:
        release = self.get_object()
        response = stored_file_response(
            release.scanned_copy, f"release-{release.client.record_number}-{release.pk}"
        )
        access_log_record(
            actor=policy.signed_in(request.user),
            client_id=release.client_id,
            action=AccessAction.API_VIEW,
            request=request._request,
        )
        return response


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the API router."""
    router.register("releases", ReleaseViewSet, basename="release")
