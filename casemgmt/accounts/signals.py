"""Remember each session a user opens (see staff_services.staff_deactivate), give it the
agency's idle timeout from the first response, and forget a cached timeout when the agency's
settings are saved."""

from typing import Any

from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from .middleware import SESSION_AGENCY_KEY, SESSION_STARTED_KEY
from .models import Agency, User, UserSession
from .selectors import agency_for_user, session_idle_seconds, session_timeout_forget


@receiver(user_logged_in)
def remember_session(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    request.session[SESSION_STARTED_KEY] = timezone.now().isoformat()
    agency = agency_for_user(user)
    request.session[SESSION_AGENCY_KEY] = agency.pk if agency is not None else 0
    request.session.set_expiry(session_idle_seconds(request.session[SESSION_AGENCY_KEY]))
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.get_or_create(
        session_key=request.session.session_key, defaults={"user": user}
    )


@receiver(user_logged_out)
def forget_session(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()


# Django records the time of each login by saving the user; that is not a change to the
# person, so it leaves no row in the user's history.
user_logged_in.disconnect(dispatch_uid="update_last_login")


@receiver(user_logged_in, dispatch_uid="update_last_login")
def update_last_login_without_history(sender: Any, user: User, **kwargs: Any) -> None:
    user.skip_history_when_saving = True  # type: ignore[attr-defined]
    try:
        update_last_login(sender, user, **kwargs)
    finally:
        del user.skip_history_when_saving  # type: ignore[attr-defined]


@receiver(post_save, sender=Agency)
def forget_session_timeout(sender: Any, instance: Agency, **kwargs: Any) -> None:
    """Now, for the rest of this request; and after the commit, in case another request
    cached the old value in between."""
    session_timeout_forget(instance.pk)
    transaction.on_commit(lambda: session_timeout_forget(instance.pk))
