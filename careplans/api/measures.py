"""/api/v1/measures/: administered standardized measures with their scores, under the access
policy. Creating one scores it exactly as the web form does."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from casemgmt.accounts import policy
from casemgmt.api import ClientRecordViewSet
from clients.models import Client

from ..models import Instrument, MeasureAdministration
from ..permissions import can_work_on_client
from ..services.measures import measure_administer


class ScopedClientField(serializers.PrimaryKeyRelatedField):
    """A client the caller may see; any other id reads as "no such client", leaking nothing."""

    default_error_messages = {
        "does_not_exist": "No such client.",
        "incorrect_type": "No such client.",
    }

    def get_queryset(self) -> QuerySet[Client]:
        request = self.context.get("request")
        user = request.user if request is not None else None
        return Client.objects.visible_to(user) if user is not None else Client.objects.none()


class MeasureSerializer(serializers.ModelSerializer):
    client = ScopedClientField(help_text="The client's id.")
    instrument = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Instrument.objects.filter(is_active=True),
        help_text="The instrument's code, e.g. phq-9, gad-7, audit-c.",
        error_messages={"does_not_exist": "No instrument with the code {value} is offered."},
    )
    instrument_name = serializers.CharField(source="instrument.name", read_only=True)
    loinc_total = serializers.CharField(source="instrument.loinc_total", read_only=True)
    answers = serializers.DictField(
        child=serializers.IntegerField(min_value=0),
        help_text='Item number → answer value, e.g. {"1": 0, "2": 3, …}. Every item must be '
        "answered with one of its options.",
    )
    administered_by: serializers.StringRelatedField[Any] = serializers.StringRelatedField(
        read_only=True
    )

    class Meta:
        model = MeasureAdministration
        fields = (
            "id",
            "client",
            "instrument",
            "instrument_name",
            "loinc_total",
            "administered_on",
            "administered_by",
            "answers",
            "total_score",
            "band",
            "safety_flagged",
            "created_at",
        )
        read_only_fields = (
            "id",
            "total_score",
            "band",
            "safety_flagged",
            "created_at",
        )


def _as_drf_error(error: DjangoValidationError) -> ValidationError:
    """Item errors (item_3 …) are reported under "answers", naming the item."""
    if not hasattr(error, "error_dict"):
        return ValidationError({"non_field_errors": error.messages})
    detail: dict[str, list[str]] = {}
    for field, messages in error.message_dict.items():
        key = "answers" if field.startswith("item_") else field
        detail.setdefault(key, []).extend(messages)
    return ValidationError(detail)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("client", OpenApiTypes.INT, description="Only this client's."),
            OpenApiParameter(
                "instrument", OpenApiTypes.STR, description="Only this instrument (its code)."
            ),
        ]
    )
)
class MeasureViewSet(mixins.ListModelMixin, mixins.CreateModelMixin, ClientRecordViewSet):
    serializer_class = MeasureSerializer
    lookup_value_regex = r"\d+"

    def get_queryset(self) -> QuerySet[MeasureAdministration]:
        rows = (
            MeasureAdministration.objects.visible_to(self.request.user)
            .select_related("instrument", "administered_by")
            .order_by("-administered_on", "-pk")
        )
        if self.action == "list":
            rows = self.filter_by_client(rows, error="Give the client's id as a number.")
            instrument = self.request.query_params.get("instrument", "")
            if instrument:
                rows = rows.filter(instrument__code=instrument)
        return rows

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        actor = policy.signed_in(request.user)
        if not can_work_on_client(actor, data["client"]):
            raise PermissionDenied("You can read this record but not record measures on it.")
        answers: dict[int, int] = {}
        for number, value in data["answers"].items():
            if not str(number).isdigit():
                raise ValidationError({"answers": [f"{number} is not an item number."]})
            answers[int(number)] = value
        try:
            measure = measure_administer(
                actor=actor,
                client=data["client"],
                instrument=data["instrument"],
                answers=answers,
                administered_on=data.get("administered_on") or timezone.localdate(),
            )
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        return Response(self.get_serializer(measure).data, status=status.HTTP_201_CREATED)
