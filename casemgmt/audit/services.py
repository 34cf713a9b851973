"""Writing the access log."""

from collections.abc import Iterable

from django.http import HttpRequest
from django.utils import timezone
from ipware import get_client_ip

from casemgmt.accounts.models import User

from .models import AccessAction, AccessLog


def _where(request: HttpRequest | None) -> dict[str, str | None]:
    if request is None:
        return {"ip_address": None, "path": "", "user_agent": ""}
    ip_address, _routable = get_client_ip(request)
    return {
        "ip_address": ip_address,
        "path": request.get_full_path()[:500],
        "user_agent": request.headers.get("user-agent", "")[:300],
    }


def access_log_record(
    *, actor: User, client_id: int, action: AccessAction, request: HttpRequest | None = None
) -> AccessLog:
    """Every view, print or export of a client record leaves a row: who, which, when, where."""
    return AccessLog.objects.create(
        user=actor, client_id=client_id, action=action, **_where(request)
    )


def access_log_record_many(
    *,
    actor: User,
    client_ids: Iterable[int],
    action: AccessAction,
    request: HttpRequest | None = None,
) -> int:
    """A page or export showing many client records leaves one row per client, as opening
    each would, written in one insert whatever their number. Returns the rows written."""
    where = _where(request)
    at = timezone.now()
    rows = AccessLog.objects.bulk_create(
        AccessLog(user=actor, client_id=client_id, action=action, at=at, **where)
        for client_id in sorted(set(client_ids))
    )
    return len(rows)
