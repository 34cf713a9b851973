"""Shared pieces of the REST API."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.functional import Promise
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record
from clients.models import Client
from clients.permissions import can_change_client

Rows = TypeVar("Rows", bound=QuerySet[Any])


class ScopedViewSetMixin:
    """API views authenticate with DRF (session or token), so the site-wide login redirect
    must not intercept them; DRF's IsAuthenticated answers anonymous callers with 401/403."""

    @classmethod
    def as_view(cls, *args: Any, **kwargs: Any) -> Any:
        return login_not_required(super().as_view(*args, **kwargs))  # type: ignore[misc]


class ScopedGenericViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    pass


# A viewset over records that belong to a client: reading one leaves an access-log row, and
# the list may be narrowed to one client with `?client=`. (A comment, not a docstring: the
# schema generator would take a docstring here as the description of every operation.)
class ClientRecordViewSet(mixins.RetrieveModelMixin, ScopedGenericViewSet):
    def logged_client_id(self, record: Any) -> int:
        """Whose record the access log names; a client's own record overrides this."""
        return int(record.client_id)

    def filter_by_client(
        self, rows: Rows, *, error: str = "A client id is a whole number."
    ) -> Rows:
        """The rows of the client named by `?client=`, all of them without it; 400 with
        `error` on `client` when it is not a whole number."""
        client = self.request.query_params.get("client", "")
        if not client:
            return rows
        if not client.isdigit():
            raise ValidationError({"client": error})
        return rows.filter(client_id=int(client))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        record = self.get_object()
        access_log_record(
            actor=policy.signed_in(request.user),
            client_id=self.logged_client_id(record),
            action=AccessAction.API_VIEW,
            request=request._request,
        )
        return Response(self.get_serializer(record).data)


@extend_schema_field(OpenApiTypes.INT)
class VisibleClientField(serializers.PrimaryKeyRelatedField[Client]):
    """A client the caller may see; any other id reads as "does not exist"."""

    def get_queryset(self) -> QuerySet[Client]:
        request = self.context.get("request")
        if request is None:
            return Client.objects.none()
        return Client.objects.visible_to(request.user)


def api_writer(request: Request, client: Client, message: str | Promise) -> User:
    """The caller, when they may change the client's record (the assigned case manager or a
    supervisor of the team); 403 with `message` otherwise."""
    actor = policy.signed_in(request.user)
    if not can_change_client(actor, client):
        raise PermissionDenied(str(message))
    return actor


def as_drf_error(error: DjangoValidationError) -> ValidationError:
    """A service's validation error as DRF's 400, naming each field; errors about no one
    field are reported under `non_field_errors`."""
    if hasattr(error, "error_dict"):
        detail = error.message_dict
        if NON_FIELD_ERRORS in detail:
            detail = {**detail, "non_field_errors": detail.pop(NON_FIELD_ERRORS)}
        return ValidationError(detail)
    return ValidationError({"non_field_errors": error.messages})


@contextmanager
def service_errors() -> Iterator[None]:
    """Inside, a service's Django ValidationError answers 400 (see `as_drf_error`) and its
    Django PermissionDenied answers 403 with the service's message."""
    try:
        yield
    except DjangoValidationError as error:
        raise as_drf_error(error) from error
    except DjangoPermissionDenied as error:
        raise PermissionDenied(str(error) or None) from error
