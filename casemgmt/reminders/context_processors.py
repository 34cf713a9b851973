"""The unread-notification count for the navbar."""

from __future__ import annotations

from functools import cache
from typing import Any

from django.http import HttpRequest

from . import selectors


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    """For signed-in clinical staff only, and counted (one query) only if a template shows
    it: the template calls the function, and the cache makes a second use free."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "has_clinical_role", False):
        return {}

    @cache
    def count() -> int:
        return selectors.unread_count(user)

    return {"notifications_unread": count}
