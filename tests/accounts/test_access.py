"""Every page needs a login; lock-out; session limits; deactivation; password reset."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client as HttpClient
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from casemgmt.accounts.models import User
from casemgmt.accounts.staff_services import staff_deactivate
from clients.models import Client

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"

#: Pages an anonymous visitor may open: signing in and recovering a password.
PUBLIC = {
    "accounts:login",
    "accounts:password_reset",
    "accounts:password_reset_done",
    "accounts:password_reset_confirm",
    "accounts:password_reset_complete",
    "admin:login",
}


def _walk(patterns: list[URLPattern | URLResolver], prefix: str = "", namespace: str = ""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace or ""
            yield from _walk(
                pattern.url_patterns,
                prefix + str(pattern.pattern),
                f"{namespace}{ns}:" if ns else namespace,
            )
        else:
            yield prefix + str(pattern.pattern), f"{namespace}{pattern.name or ''}"


def _concrete(route: str) -> str:
    """Fill path converters and regex groups with plausible values."""
    route = re.sub(r"<int:\w+>", "1", route)
    route = re.sub(r"<(?:str:|slug:)?\w+>", "x", route)
    route = re.sub(r"<path:\w+>", "x", route)
    route = re.sub(r"\(\?P<\w+>[^)]*\)", "1", route)
    route = route.replace("^", "").replace("$", "").replace("\\", "")
    route = re.sub(r"\(\?:[^)]*\)\??", "", route)
    route = route.replace("?", "")
    return "/" + route


def test_every_url_pattern_refuses_anonymous_visitors(client: HttpClient) -> None:
    checked = 0
    for route, name in _walk(get_resolver().url_patterns):
        if name in PUBLIC:
            continue
        url = _concrete(route)
        response = client.get(url)
        assert response.status_code in (301, 302, 401, 403, 404, 405), (url, response.status_code)
        if response.status_code in (301, 302):
            location = response["Location"]
            assert (
                location.startswith(reverse("accounts:login"))
                or location.startswith("/admin/login/")
                or location.endswith("/")
            ), (url, location)
        if response.status_code == 404:
            # A 404 for an anonymous visitor must not be a page of the app itself.
            assert b"Sign out" not in response.content
        checked += 1
    assert checked > 20


def test_login_with_email_and_logout(client: HttpClient, case_manager: User) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": "CM.North@example.org", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("home")).status_code == 302


def test_wrong_password_message(client: HttpClient, case_manager: User) -> None:
    response = client.post(
        reverse("accounts:login"), {"username": case_manager.email, "password": "nope"}
    )
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_lockout_is_per_user_name_and_address_together(
    client: HttpClient, case_manager: User, teammate: User
) -> None:
    for _ in range(5):
        client.post(
            reverse("accounts:login"),
            {"username": case_manager.email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.5",
        )
    locked = client.post(
        reverse("accounts:login"),
        {"username": case_manager.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.5",
    )
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.content.decode()
    # A colleague in the same office (same address) still signs in.
    colleague = HttpClient().post(
        reverse("accounts:login"),
        {"username": teammate.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.5",
    )
    assert colleague.status_code == 302
    # The locked user from another address is not blocked.
    elsewhere = HttpClient().post(
        reverse("accounts:login"),
        {"username": case_manager.email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.9",
    )
    assert elsewhere.status_code == 302


def test_session_ends_after_30_idle_minutes(client: HttpClient, case_manager: User) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        client.force_login(case_manager)
        assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=29))
        assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        assert client.get(reverse("home")).status_code == 302


def test_session_ends_12_hours_after_login_however_active(
    client: HttpClient, case_manager: User
) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC), tick=False) as clock:
        client.force_login(case_manager)
        for _ in range(12 * 3 - 1):
            clock.shift(dt.timedelta(minutes=20))
            assert client.get(reverse("home")).status_code == 200
        clock.shift(dt.timedelta(minutes=25))
        response = client.get(reverse("home"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_deactivating_a_user_ends_their_sessions(
    client: HttpClient, case_manager: User, admin: User
) -> None:
    client.force_login(case_manager)
    assert client.get(reverse("home")).status_code == 200
    assert Session.objects.count() == 1
    staff_deactivate(actor=admin, user=case_manager)
    assert Session.objects.count() == 0
    assert client.get(reverse("home")).status_code == 302


def test_deactivation_in_the_admin_ends_sessions(
    client: HttpClient, case_manager: User, admin: User
) -> None:
    HttpClient().force_login(case_manager)
    assert Session.objects.count() == 1
    client.force_login(admin)
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "deactivate", "_selected_action": [case_manager.pk]},
    )
    assert response.status_code == 302
    case_manager.refresh_from_db()
    assert not case_manager.is_active
    assert Session.objects.exclude(session_key=client.session.session_key).count() == 0


def test_password_reset_sends_a_working_link(client: HttpClient, case_manager: User) -> None:
    client.post(reverse("accounts:password_reset"), {"email": case_manager.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(\S+)", str(mail.outbox[0].body))
    assert link is not None
    form_page = client.get(link.group(1), follow=True)
    assert form_page.status_code == 200
    done = client.post(
        form_page.redirect_chain[-1][0] if form_page.redirect_chain else link.group(1),
        {"new_password1": "a new long passphrase 42", "new_password2": "a new long passphrase 42"},
    )
    assert done.status_code == 302
    case_manager.refresh_from_db()
    assert case_manager.check_password("a new long passphrase 42")


def test_password_change(client: HttpClient, case_manager: User) -> None:
    client.force_login(case_manager)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "another long passphrase 7",
            "new_password2": "another long passphrase 7",
        },
    )
    assert response.status_code == 302
    case_manager.refresh_from_db()
    assert case_manager.check_password("another long passphrase 7")


def test_admin_sees_no_client_records(
    client: HttpClient, admin: User, north_client: Client
) -> None:
    assert Client.objects.visible_to(admin).count() == 0
    client.force_login(admin)
    assert client.get(reverse("clients:detail", args=[north_client.pk])).status_code == 404
    assert client.get(reverse("home")).status_code == 200
