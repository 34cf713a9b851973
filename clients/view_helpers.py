"""What the pages of a client's tabs (collaterals, crisis events, releases) do first: find
the client in the caller's scope, refuse a change to a reader, log a read of the record."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record

from .models import Client
from .permissions import can_change_client
from .selectors import client_for_user


def clinician_and_client(request: HttpRequest, pk: int) -> tuple[User, Client]:
    """The clinician asking and the client `pk` in their scope; 404 otherwise."""
    user = policy.clinician_or_404(request.user)
    return user, client_for_user(user, pk)


def require_writer(user: User, client: Client) -> None:
    """403 unless the user may change the client's record."""
    if not can_change_client(user, client):
        raise PermissionDenied(_("You can read this record but not change it."))


def log_view(request: HttpRequest, user: User, client: Client) -> None:
    access_log_record(actor=user, client_id=client.pk, action=AccessAction.VIEW, request=request)
