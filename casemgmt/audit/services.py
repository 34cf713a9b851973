"""Writing the access log."""

from django.http import HttpRequest
from ipware import get_client_ip

from casemgmt.accounts.models import User

from .models import AccessAction, AccessLog


def access_log_record(
    *, actor: User, client_id: int, action: AccessAction, request: HttpRequest | None = None
) -> AccessLog:
    """Every view, print or export of a client record leaves a row: who, which, when, where."""
    ip_address, path, user_agent = None, "", ""
    if request is not None:
        ip_address, _routable = get_client_ip(request)
        path = request.get_full_path()[:500]
        user_agent = request.headers.get("user-agent", "")[:300]
    return AccessLog.objects.create(
        user=actor,
        client_id=client_id,
        action=action,
        path=path,
        ip_address=ip_address,
        user_agent=user_agent,
    )
