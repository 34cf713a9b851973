"""The configuration admin (Django admin) keeps the Staff pages' rules: unticking "active" or
"case manager" of someone with active clients is refused, nobody deactivates themselves, and
the last active administrator stays one."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.contrib.sessions.models import Session
from django.test import Client as HttpClient
from django.urls import reverse
from rest_framework.authtoken.models import Token

from casemgmt.accounts.models import User
from clients.models import Client

from ..factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db: None) -> User:
    """Django staff with every permission, but not an agency administrator."""
    return UserFactory.create(
        email="root@example.org", full_name="Rita Root", is_staff=True, is_superuser=True
    )


def _signed_in(user: User) -> HttpClient:
    http = HttpClient()
    http.force_login(user)
    return http


def _change(http: HttpClient, user: User, **changes: Any) -> Any:
    """Post the admin's change form for `user` as shown, with `changes` made."""
    url = reverse("admin:accounts_user_change", args=[user.pk])
    form = http.get(url).context["adminform"].form
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form.initial.get(name)
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = "" if value is None else value
    for name, value in changes.items():
        if value is False:
            data.pop(name, None)
        elif value is True:
            data[name] = "on"
        else:
            data[name] = value
    return http.post(url, data)


def _errors(response: Any, field: str) -> list[str]:
    return list(response.context["adminform"].form.errors.get(field, []))


def test_unticking_active_is_refused_while_they_hold_clients(
    admin: User, case_manager: User, north_client: Client
) -> None:
    response = _change(_signed_in(admin), case_manager, is_active=False)
    assert response.status_code == 200
    assert _errors(response, "is_active") == [
        "Casey North is the primary case manager of 1 active client. Reassign that client to "
        "another case manager first.",
        f"Reassignment page: {reverse('clients:reassign')}?from_user={case_manager.pk}",
    ]
    case_manager.refresh_from_db()
    assert case_manager.is_active


def test_unticking_active_deactivates_through_the_service(
    admin: User, teammate: User, team_north: Any
) -> None:
    _signed_in(teammate)
    Token.objects.create(user=teammate)
    http = _signed_in(admin)
    response = _change(http, teammate, is_active=False, full_name="Terry Mate-Jones")
    assert response.status_code == 302
    teammate.refresh_from_db()
    assert (teammate.is_active, teammate.full_name) == (False, "Terry Mate-Jones")
    assert Session.objects.exclude(session_key=http.session.session_key).count() == 0
    assert not Token.objects.filter(user=teammate).exists()
    latest = teammate.history.first()
    assert latest is not None and latest.history_change_reason == "Deactivated"


def test_nobody_unticks_their_own_active(admin: User) -> None:
    response = _change(_signed_in(admin), admin, is_active=False)
    assert _errors(response, "is_active") == [
        "You cannot deactivate your own account; another administrator can."
    ]
    admin.refresh_from_db()
    assert admin.is_active


def test_the_last_active_administrator_stays(root: User, admin: User) -> None:
    http = _signed_in(root)
    response = _change(http, admin, is_active=False)
    assert _errors(response, "is_active") == [
        "Ada Admin is the only active administrator; name another one first."
    ]
    response = _change(http, admin, is_agency_admin=False)
    assert _errors(response, "is_agency_admin") == [
        "Ada Admin is the only active administrator; name another one first."
    ]
    admin.refresh_from_db()
    assert admin.is_active and admin.is_agency_admin
    # With a second administrator, the first can go.
    UserFactory.create(is_agency_admin=True)
    assert _change(http, admin, is_active=False).status_code == 302
    admin.refresh_from_db()
    assert not admin.is_active


def test_unticking_case_manager_is_refused_while_they_hold_clients(
    admin: User, case_manager: User, north_client: Client
) -> None:
    response = _change(_signed_in(admin), case_manager, is_case_manager=False)
    assert _errors(response, "is_case_manager")[0].startswith(
        "Casey North is the primary case manager of 1 active client."
    )
    case_manager.refresh_from_db()
    assert case_manager.is_case_manager


def test_the_deactivate_action_keeps_the_rule(
    admin: User, case_manager: User, teammate: User, north_client: Client
) -> None:
    http = _signed_in(admin)
    response = http.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [case_manager.pk, teammate.pk, admin.pk]},
    )
    assert response.status_code == 302
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert texts == [  # in the admin's order: by name
        "Ada Admin: You cannot deactivate your own account; another administrator can.",
        "Casey North: Casey North is the primary case manager of 1 active client. Reassign "
        "that client to another case manager first. Reassignment page: "
        f"{reverse('clients:reassign')}?from_user={case_manager.pk}",
        "1 user(s) deactivated.",
    ]
    case_manager.refresh_from_db()
    teammate.refresh_from_db()
    assert case_manager.is_active and not teammate.is_active


def test_the_team_admin_keeps_a_case_manager_with_clients_on_the_team(
    admin: User, case_manager: User, teammate: User, team_north: Any, north_client: Client
) -> None:
    http = _signed_in(admin)
    url = reverse("admin:accounts_team_change", args=[team_north.pk])
    data = {
        "agency": team_north.agency.pk,
        "name": "North",
        "members": [],
        "supervisors": [],
    }
    response = http.post(url, data)
    assert response.status_code == 200
    assert _errors(response, "members") == [
        "Casey North is the primary case manager of 1 active client on North. Reassign that "
        "client to another case manager first.",
        f"Reassignment page: {reverse('clients:reassign')}?from_user={case_manager.pk}",
    ]
    assert set(team_north.members.all()) == {case_manager, teammate}
    data["members"] = [case_manager.pk]
    assert http.post(url, data).status_code == 302
    assert list(team_north.members.all()) == [case_manager]
