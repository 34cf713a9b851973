"""Session limits and the signed-in user's time zone."""

from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from .models import User
from .selectors import agency_for_user, session_idle_seconds

SESSION_STARTED_KEY = "casework_session_started"
#: The agency whose idle timeout applies to the session (0: none), chosen at login.
SESSION_AGENCY_KEY = "casework_session_agency"


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


class AgencySessionTimeoutMiddleware:
    """End a session after the agency's "sign out after this many minutes without activity"
    setting: every signed-in request renews the session for that long. The agency is found
    at login and its setting is remembered by the process (selectors.session_idle_seconds),
    so a request costs no query for it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if isinstance(user, User) and user.is_authenticated:
            if SESSION_AGENCY_KEY not in request.session:
                # A session opened before the setting existed.
                agency = agency_for_user(user)
                request.session[SESSION_AGENCY_KEY] = agency.pk if agency is not None else 0
            seconds = session_idle_seconds(request.session[SESSION_AGENCY_KEY])
            if request.session.get_expiry_age() != seconds:
                request.session.set_expiry(seconds)
        return self.get_response(request)


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
