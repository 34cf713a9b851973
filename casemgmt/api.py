"""Shared pieces of the REST API."""

from typing import Any

from django.contrib.auth.decorators import login_not_required
from rest_framework import viewsets


class ScopedViewSetMixin:
    """API views authenticate with DRF (session or token), so the site-wide login redirect
    must not intercept them; DRF's IsAuthenticated answers anonymous callers with 401/403."""

    @classmethod
    def as_view(cls, *args: Any, **kwargs: Any) -> Any:
        return login_not_required(super().as_view(*args, **kwargs))  # type: ignore[misc]


class ScopedGenericViewSet(ScopedViewSetMixin, viewsets.GenericViewSet):
    pass
