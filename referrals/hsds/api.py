"""/hsds/: the endpoints the Open Referral HSDS 3.0 API requires, read-only.

`GET /hsds/` describes the API, `GET /hsds/services` pages through the services and
`GET /hsds/services/{id}` returns one fully nested. Like the rest of the API they need a
signed-in staff member (session or token); the directory holds no client data, so any may read.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import path
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casemgmt.api import ScopedGenericViewSet, ScopedViewSetMixin

from ..api.directory import services_matching_text
from ..models import Service
from .serializers import (
    HSDS_VERSION,
    HsdsApiInfoSerializer,
    HsdsServicePageSerializer,
    HsdsServiceSerializer,
    page_envelope,
    service_object,
    services_for_hsds,
)

app_name = "hsds"

#: Where the API's HSDS profile is described: the base specification unless configured.
DEFAULT_PROFILE_URL = "https://docs.openreferral.org/en/3.0/"
#: The OpenAPI description these endpoints follow.
OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"

MAX_PER_PAGE = 1000


class HsdsServiceQuerySerializer(serializers.Serializer[Any]):
    """The query parameters of GET /hsds/services (all optional, combined with AND)."""

    search = serializers.CharField(required=False, allow_blank=True, help_text="Full-text search.")
    page = serializers.IntegerField(
        required=False, default=1, min_value=1, help_text="Page number, from 1."
    )
    per_page = serializers.IntegerField(
        required=False,
        default=50,
        min_value=1,
        max_value=MAX_PER_PAGE,
        help_text="Services per page.",
    )
    taxonomy_term_id = serializers.UUIDField(
        required=False, help_text="Only services with this taxonomy term."
    )
    taxonomy_id = serializers.UUIDField(
        required=False, help_text="Only services with a term of this taxonomy."
    )
    organization_id = serializers.UUIDField(
        required=False, help_text="Only this organization's services."
    )
    modified_after = serializers.DateTimeField(
        required=False, help_text="Only services modified on or after this time."
    )
    full = serializers.BooleanField(
        required=False, default=False, help_text="true: fully nested services."
    )


class HsdsRootView(ScopedViewSetMixin, APIView):
    """The HSDS version this API serves, its profile and the OpenAPI description it follows."""

    @extend_schema(
        operation_id="getAPIMetaInformation",
        summary="This API and its relationship with HSDS",
        responses={200: HsdsApiInfoSerializer},
        tags=["hsds"],
    )
    def get(self, request: Request) -> Response:
        return Response(
            {
                "version": HSDS_VERSION,
                "profile": getattr(settings, "HSDS_PROFILE_URL", DEFAULT_PROFILE_URL),
                "openapi_url": OPENAPI_URL,
            }
        )


def _filtered(queryset: QuerySet[Service], wanted: dict[str, Any]) -> QuerySet[Service]:
    """The list's query parameters, combined with AND as the specification requires."""
    links = Service.categories.through.objects.filter(service_id=OuterRef("pk"))
    if "taxonomy_term_id" in wanted:
        queryset = queryset.filter(Exists(links.filter(taxonomyterm_id=wanted["taxonomy_term_id"])))
    if "taxonomy_id" in wanted:
        queryset = queryset.filter(
            Exists(links.filter(taxonomyterm__taxonomy_id=wanted["taxonomy_id"]))
        )
    if "organization_id" in wanted:
        queryset = queryset.filter(organization_id=wanted["organization_id"])
    if "modified_after" in wanted:
        queryset = queryset.filter(last_modified__gte=wanted["modified_after"])
    if wanted.get("search"):
        queryset = services_matching_text(queryset, wanted["search"])
    return queryset


class HsdsServiceViewSet(ScopedGenericViewSet):
    """The directory's services as HSDS 3.0 objects, all statuses included."""

    serializer_class = HsdsServiceSerializer
    pagination_class = None  # HSDS pages with its own envelope and parameters (page, per_page)

    @extend_schema(
        operation_id="getPaginatedListOfServices",
        summary="A page of services",
        description="Each entry holds the service's own fields and its organization; with "
        "full=true, every related array too. A page past the last is empty.",
        parameters=[HsdsServiceQuerySerializer],
        responses={
            200: HsdsServicePageSerializer,
            400: OpenApiResponse(description="A query parameter is not valid."),
        },
        tags=["hsds"],
    )
    def page(self, request: Request) -> Response:
        # Not named "list": that would make the OpenAPI schema an array of pages.
        query = HsdsServiceQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        wanted = query.validated_data
        page, per_page, full = wanted["page"], wanted["per_page"], wanted["full"]
        services = _filtered(services_for_hsds(full=full), wanted).order_by("name", "pk")
        total = services.count()
        start = (page - 1) * per_page
        items = list(services[start : start + per_page]) if start < total else []
        return Response(
            page_envelope(
                items=items,
                render=lambda service: service_object(service, full=full),
                total=total,
                page=page,
                per_page=per_page,
            )
        )

    @extend_schema(
        operation_id="getFullyNestedServiceById",
        summary="One service, fully nested",
        parameters=[
            OpenApiParameter(
                "id", uuid.UUID, OpenApiParameter.PATH, description="The service's id."
            )
        ],
        responses={
            200: HsdsServiceSerializer,
            404: OpenApiResponse(description="No such service."),
        },
        tags=["hsds"],
    )
    def retrieve(self, request: Request, id: str) -> Response:
        try:
            pk = uuid.UUID(id)
        except ValueError as error:
            raise NotFound("No such service.") from error
        service = services_for_hsds(full=True).filter(pk=pk).first()
        if service is None:
            raise NotFound("No such service.")
        return Response(service_object(service, full=True))


urlpatterns = [
    path("", HsdsRootView.as_view(), name="root"),
    path("services", HsdsServiceViewSet.as_view({"get": "page"}), name="service-list"),
    path(
        "services/<str:id>",
        HsdsServiceViewSet.as_view({"get": "retrieve"}),
        name="service-detail",
    ),
]
