"""Remember each session a user opens (see services.user_deactivate)."""

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from .middleware import SESSION_STARTED_KEY
from .models import User, UserSession


@receiver(user_logged_in)
def remember_session(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    request.session[SESSION_STARTED_KEY] = timezone.now().isoformat()
    if request.session.session_key is None:
        request.session.save()
    UserSession.objects.get_or_create(
        session_key=request.session.session_key, defaults={"user": user}
    )


@receiver(user_logged_out)
def forget_session(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
