"""/api/v1/clients/: list, retrieve, create, update, under the same access policy."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from casemgmt.accounts import policy
from casemgmt.accounts.models import Team, User
from casemgmt.api import ClientRecordViewSet, api_writer

from . import services
from .forms import OLDEST_AGE_YEARS
from .models import Client


class ClientSerializer(serializers.ModelSerializer):
    team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all())
    primary_case_manager = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True, is_case_manager=True)
    )
    version = serializers.IntegerField(
        required=False,
        help_text="The version you read. An update based on an older version is refused "
        "with 409 so nobody's change is silently overwritten.",
    )
    confirm_not_duplicate = serializers.BooleanField(
        write_only=True,
        required=False,
        default=False,
        help_text="Set after reviewing the possible duplicates a 409 reported.",
    )

    class Meta:
        model = Client
        fields = (
            "id",
            "record_number",
            "status",
            "version",
            *services.FACT_SHEET_FIELDS,
            "created_at",
            "updated_at",
            "confirm_not_duplicate",
        )
        read_only_fields = ("id", "record_number", "status", "created_at", "updated_at")

    def validate_date_of_birth(self, value: Any) -> Any:
        from django.utils import timezone

        today = timezone.localdate()
        if value > today:
            raise serializers.ValidationError("The date of birth cannot be in the future.")
        if today.year - value.year > OLDEST_AGE_YEARS:
            raise serializers.ValidationError("Check the year of birth.")
        return value


def _as_drf_error(error: DjangoValidationError) -> ValidationError:
    if hasattr(error, "error_dict"):
        return ValidationError(error.message_dict)
    return ValidationError({"non_field_errors": error.messages})


class ClientViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    ClientRecordViewSet,
):
    serializer_class = ClientSerializer

    def get_queryset(self) -> QuerySet[Client]:
        return (
            Client.objects.visible_to(self.request.user)
            .select_related("team", "primary_case_manager")
            .order_by("legal_last_name", "legal_first_name", "pk")
        )

    def logged_client_id(self, record: Any) -> int:
        return int(record.pk)

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        actor = policy.signed_in(request.user)
        if not policy.can_create_records_for(actor, data["team"]):
            raise PermissionDenied("You cannot hold records for that team.")
        if not data.pop("confirm_not_duplicate", False):
            duplicates = services.client_possible_duplicates(
                actor=actor,
                legal_first_name=data["legal_first_name"],
                legal_last_name=data["legal_last_name"],
                date_of_birth=data["date_of_birth"],
                member_id=data.get("member_id", ""),
            )
            if duplicates:
                return Response(
                    {
                        "detail": "A record may already exist for this person. Review it, "
                        "then send again with confirm_not_duplicate=true.",
                        "possible_duplicates": [
                            {
                                "record_number": d.record_number,
                                "team": d.team,
                                "id": d.client.pk if d.client else None,
                            }
                            for d in duplicates
                        ],
                    },
                    status=status.HTTP_409_CONFLICT,
                )
        try:
            client = services.client_intake(actor=actor, data=data)
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        return Response(self.get_serializer(client).data, status=status.HTTP_201_CREATED)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        partial = kwargs.pop("partial", False)
        client = self.get_object()
        actor = api_writer(request, client, "You can read this record but not change it.")
        serializer = self.get_serializer(client, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("confirm_not_duplicate", None)
        expected = data.pop("version", None)
        if expected is None:
            raise ValidationError({"version": "Send the version you read."})
        try:
            updated = services.client_update(
                actor=actor, client=client, data=data, expected_version=expected
            )
        except services.StaleVersionError as stale:
            return Response(
                {
                    "detail": "Someone else changed this record after you read it.",
                    "changed_fields": stale.changed_fields,
                    "current": self.get_serializer(stale.current).data,
                },
                status=status.HTTP_409_CONFLICT,
            )
        except DjangoValidationError as error:
            raise _as_drf_error(error) from error
        except DjangoPermissionDenied as error:
            raise PermissionDenied(str(error)) from error
        return Response(self.get_serializer(updated).data)
