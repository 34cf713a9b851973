"""Writes about people and teams."""

from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied
from django.db import transaction
from rest_framework.authtoken.models import Token

from .models import User, UserSession


@transaction.atomic
def user_deactivate(*, actor: User, user: User) -> User:
    """Admins deactivate; every open session of the user ends at once."""
    if not actor.is_agency_admin:
        raise PermissionDenied("Only an administrator can deactivate a user.")
    if actor.pk == user.pk:
        raise PermissionDenied("You cannot deactivate your own account.")
    user.is_active = False
    user.save(update_fields=["is_active"])
    user_end_sessions(user=user)
    return user


def user_end_sessions(*, user: User) -> int:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    deleted, _ = UserSession.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def api_token_issue(*, user: User) -> str:
    """A new API token replaces any earlier one; the key is shown to the user once."""
    Token.objects.filter(user=user).delete()
    return str(Token.objects.create(user=user).key)


def api_token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()
