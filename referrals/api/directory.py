"""/api/v1/directory/: the provider directory, read-only.

Any signed-in staff member may read it — it holds no client data, so the access policy's
client scope does not apply; changes go through the directory pages and imports, never here.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.postgres.search import SearchQuery
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, TextChoices
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers
from rest_framework.routers import BaseRouter

from casemgmt.api import ScopedGenericViewSet
from clients.models import PayerType

from ..hsds.serializers import LANGUAGE_CODES
from ..models import (
    Accessibility,
    Address,
    Location,
    LocationType,
    Organization,
    Phone,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    TaxonomyTerm,
)

# --- Queries -----------------------------------------------------------------------------

#: The text search configuration the services' search vectors are built with.
SEARCH_CONFIG = "english"


def services_matching_text(queryset: QuerySet[Service], text: str) -> QuerySet[Service]:
    """Full-text search on the service's search vector, with a plain substring match on the
    names and description for services whose vector has not been computed yet."""
    text = text.strip()
    if not text:
        return queryset
    query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    return queryset.filter(
        Q(search_vector=query)
        | Q(name__icontains=text)
        | Q(alternate_name__icontains=text)
        | Q(description__icontains=text)
        | Q(organization__name__icontains=text)
    )


def services_in_categories(queryset: QuerySet[Service], categories: list[str]) -> QuerySet[Service]:
    """Services filed under any of the categories, each given by its id or its code."""
    ids = []
    codes = []
    for category in categories:
        try:
            ids.append(uuid.UUID(category))
        except ValueError:
            codes.append(category)
    links = Service.categories.through.objects.filter(service_id=OuterRef("pk")).filter(
        Q(taxonomyterm_id__in=ids) | Q(taxonomyterm__code__in=codes)
    )
    return queryset.filter(Exists(links))


def services_in_language(queryset: QuerySet[Service], language: str) -> QuerySet[Service]:
    """Services offered in the language, named in any letter case or by its ISO code."""
    language = language.strip()
    spellings = {language, language.lower(), language.title(), language.capitalize()}
    names = {name for name, code in LANGUAGE_CODES.items() if code == language.lower()}
    spellings |= {name.title() for name in names} | names
    return queryset.filter(languages__overlap=sorted(spellings))


# --- Serializers ---------------------------------------------------------------------------


class DirectoryCategorySerializer(serializers.ModelSerializer[TaxonomyTerm]):
    taxonomy = serializers.CharField(
        source="taxonomy.name", read_only=True, allow_null=True, default=None
    )
    service_count = serializers.IntegerField(read_only=True, help_text="Services filed here.")

    class Meta:
        model = TaxonomyTerm
        fields = ("id", "code", "name", "description", "parent", "taxonomy", "service_count")
        read_only_fields = fields


class DirectoryCategoryBriefSerializer(serializers.ModelSerializer[TaxonomyTerm]):
    class Meta:
        model = TaxonomyTerm
        fields = ("id", "code", "name")
        read_only_fields = fields


class DirectoryOrganizationSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = (
            "id",
            "name",
            "alternate_name",
            "description",
            "email",
            "website",
            "is_internal",
            "last_modified",
        )
        read_only_fields = fields


class DirectoryOrganizationBriefSerializer(serializers.ModelSerializer[Organization]):
    class Meta:
        model = Organization
        fields = ("id", "name", "is_internal")
        read_only_fields = fields


class DirectoryPhoneSerializer(serializers.ModelSerializer[Phone]):
    class Meta:
        model = Phone
        fields = ("id", "number", "extension", "type", "description", "languages")
        read_only_fields = fields


def _values(choices: type[TextChoices]) -> list[tuple[str, str]]:
    """A choice set keyed by value alone. drf-spectacular then documents it as an enum of its
    own instead of warning that one choice set (the location's type, a client's payer) has
    two names."""
    return [(value, value) for value in choices.values]


class DirectoryAddressSerializer(serializers.ModelSerializer[Address]):
    address_type = serializers.ChoiceField(choices=_values(LocationType), read_only=True)

    class Meta:
        model = Address
        fields = (
            "id",
            "address_type",
            "attention",
            "address_1",
            "address_2",
            "city",
            "region",
            "state_province",
            "postal_code",
            "country",
        )
        read_only_fields = fields


class DirectoryAccessibilitySerializer(serializers.ModelSerializer[Accessibility]):
    class Meta:
        model = Accessibility
        fields = ("id", "description", "details", "url")
        read_only_fields = fields


class DirectoryLocationSerializer(serializers.ModelSerializer[Location]):
    addresses = DirectoryAddressSerializer(many=True, read_only=True)
    accessibility = DirectoryAccessibilitySerializer(many=True, read_only=True)
    phones = DirectoryPhoneSerializer(many=True, read_only=True)

    class Meta:
        model = Location
        fields = (
            "id",
            "organization",
            "location_type",
            "name",
            "alternate_name",
            "description",
            "transportation",
            "latitude",
            "longitude",
            "url",
            "addresses",
            "accessibility",
            "phones",
        )
        read_only_fields = fields


class DirectoryServiceLocationSerializer(serializers.ModelSerializer[Location]):
    addresses = DirectoryAddressSerializer(many=True, read_only=True)

    class Meta:
        model = Location
        fields = ("id", "name", "location_type", "addresses")
        read_only_fields = fields


class DirectoryServiceSerializer(serializers.ModelSerializer[Service]):
    organization = DirectoryOrganizationBriefSerializer(read_only=True, allow_null=True)
    is_internal = serializers.BooleanField(
        read_only=True,
        help_text="A referral to this service is an internal referral.",
    )
    categories = DirectoryCategoryBriefSerializer(many=True, read_only=True)
    phones = DirectoryPhoneSerializer(many=True, read_only=True)
    locations = serializers.SerializerMethodField()
    payers_accepted = serializers.ListField(
        child=serializers.ChoiceField(choices=_values(PayerType)), read_only=True
    )

    class Meta:
        model = Service
        fields = (
            "id",
            "organization",
            "is_internal",
            "name",
            "alternate_name",
            "description",
            "url",
            "email",
            "status",
            "categories",
            "languages",
            "interpretation_services",
            "eligibility_description",
            "minimum_age",
            "maximum_age",
            "payers_accepted",
            "fees_description",
            "accepting_new_clients",
            "wait_time",
            "wait_time_days",
            "capacity_note",
            "application_process",
            "required_documents",
            "alert",
            "phones",
            "locations",
            "last_verified_on",
            "last_modified",
        )
        read_only_fields = fields

    @extend_schema_field(DirectoryServiceLocationSerializer(many=True))
    def get_locations(self, service: Service) -> list[dict[str, Any]]:
        """Where the service is offered (its service-at-location rows' locations)."""
        locations = [sal.location for sal in service.service_at_locations.all()]
        return list(DirectoryServiceLocationSerializer(locations, many=True).data)


class DirectoryServiceFilterSerializer(serializers.Serializer[Any]):
    """The list's query parameters."""

    category = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text="A category's id or code; repeat for any of several.",
    )
    language = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="A language offered, by name (any case) or ISO code.",
    )
    accepting = serializers.BooleanField(
        required=False, allow_null=True, help_text="Only services (not) accepting new clients."
    )
    internal = serializers.BooleanField(
        required=False,
        allow_null=True,
        help_text="true: only the agency's own programs; false: only outside providers.",
    )
    q = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Words to look for in the name, description or organization.",
    )
    status = serializers.ChoiceField(
        choices=ServiceStatus.choices, required=False, help_text="Only services in this status."
    )


# --- Views -----------------------------------------------------------------------------


class _ReadOnlyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedGenericViewSet):
    """List and read; POST, PUT, PATCH and DELETE answer 405."""


@extend_schema_view(
    list=extend_schema(summary="Organizations in the provider directory", tags=["directory"]),
    retrieve=extend_schema(summary="One organization", tags=["directory"]),
)
class OrganizationViewSet(_ReadOnlyViewSet):
    """Organizations that provide the directory's services."""

    serializer_class = DirectoryOrganizationSerializer
    queryset = Organization.objects.order_by("name", "pk")


@extend_schema_view(
    list=extend_schema(
        summary="Services in the provider directory",
        parameters=[DirectoryServiceFilterSerializer],
        tags=["directory"],
        responses={
            200: DirectoryServiceSerializer(many=True),
            400: OpenApiResponse(description="Bad filter."),
        },
    ),
    retrieve=extend_schema(summary="One service", tags=["directory"]),
)
class ServiceViewSet(_ReadOnlyViewSet):
    """Services to refer clients to: categories, languages, intake and where they are offered."""

    serializer_class = DirectoryServiceSerializer

    def get_queryset(self) -> QuerySet[Service]:
        queryset = (
            Service.objects.defer("search_vector")
            .select_related("organization")
            .prefetch_related(
                Prefetch("categories", queryset=TaxonomyTerm.objects.order_by("name", "pk")),
                Prefetch("phones", queryset=Phone.objects.order_by("number", "pk")),
                Prefetch(
                    "service_at_locations",
                    queryset=ServiceAtLocation.objects.select_related("location")
                    .order_by("location__name", "pk")
                    .prefetch_related(
                        Prefetch("location__addresses", queryset=Address.objects.order_by("pk"))
                    ),
                ),
            )
            .order_by("name", "pk")
        )
        if self.action != "list":
            return queryset
        filters = DirectoryServiceFilterSerializer(data=self.request.query_params)
        filters.is_valid(raise_exception=True)
        return self._filter(queryset, filters.validated_data)

    @staticmethod
    def _filter(queryset: QuerySet[Service], wanted: dict[str, Any]) -> QuerySet[Service]:
        if wanted.get("category"):
            queryset = services_in_categories(queryset, wanted["category"])
        if wanted.get("language"):
            queryset = services_in_language(queryset, wanted["language"])
        if wanted.get("accepting") is not None:
            queryset = queryset.filter(accepting_new_clients=wanted["accepting"])
        if wanted.get("internal") is not None:
            queryset = queryset.filter(
                Q(organization__is_internal=True)
                if wanted["internal"]
                else Q(organization__is_internal=False) | Q(organization__isnull=True)
            )
        if wanted.get("status"):
            queryset = queryset.filter(status=wanted["status"])
        if wanted.get("q"):
            queryset = services_matching_text(queryset, wanted["q"])
        return queryset


@extend_schema_view(
    list=extend_schema(summary="Locations in the provider directory", tags=["directory"]),
    retrieve=extend_schema(summary="One location", tags=["directory"]),
)
class LocationViewSet(_ReadOnlyViewSet):
    """Places where services are offered, with their addresses, accessibility and phones."""

    serializer_class = DirectoryLocationSerializer
    queryset = Location.objects.prefetch_related(
        Prefetch("addresses", queryset=Address.objects.order_by("pk")),
        Prefetch("accessibility", queryset=Accessibility.objects.order_by("pk")),
        Prefetch("phones", queryset=Phone.objects.order_by("number", "pk")),
    ).order_by("name", "pk")


@extend_schema_view(
    list=extend_schema(summary="Service categories (taxonomy terms)", tags=["directory"]),
    retrieve=extend_schema(summary="One service category", tags=["directory"]),
)
class CategoryViewSet(_ReadOnlyViewSet):
    """Service categories (HSDS taxonomy terms), with how many services each holds."""

    serializer_class = DirectoryCategorySerializer
    queryset = (
        TaxonomyTerm.objects.select_related("taxonomy")
        .annotate(service_count=Count("services"))
        .order_by("name", "pk")
    )


def register(router: BaseRouter) -> None:
    """Add this module's viewsets to the API router."""
    router.register("directory/organizations", OrganizationViewSet, "directory-organization")
    router.register("directory/services", ServiceViewSet, "directory-service")
    router.register("directory/locations", LocationViewSet, "directory-location")
    router.register("directory/categories", CategoryViewSet, "directory-category")
