"""Session limits and the signed-in user's time zone."""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

SESSION_STARTED_KEY = "casework_session_started"


class AbsoluteSessionLimitMiddleware:
    """End a session 12 hours (setting) after login, however active it has been."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            if started is None or self._expired(started):
                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)

    @staticmethod
    def _expired(started: str) -> bool:
        try:
            began = datetime.fromisoformat(started)
        except ValueError:
            return True
        return timezone.now() - began > settings.SESSION_ABSOLUTE_LIMIT


class UserTimeZoneMiddleware:
    """Show and read dates and times in the user's own time zone when they have chosen one
    (a case manager working from another state); otherwise the agency's TIME_ZONE."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = getattr(request.user, "time_zone", "")
        if zone:
            timezone.activate(zone)
        else:
            timezone.deactivate()
        return self.get_response(request)
