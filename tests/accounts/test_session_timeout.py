"""The idle timeout is the agency's "sign out after this many minutes without activity"
setting; SESSION_IDLE_MINUTES applies only while no agency exists."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test import Client as HttpClient
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casemgmt.accounts.middleware import SESSION_AGENCY_KEY
from casemgmt.accounts.models import Agency, Team, User
from casemgmt.accounts.services import agency_settings_update

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)


def _home(http: HttpClient) -> int:
    return http.get(reverse("home")).status_code


def _signed_out(http: HttpClient) -> bool:
    response = http.get(reverse("home"))
    return response.status_code == 302 and response["Location"].startswith(
        reverse("accounts:login")
    )


@pytest.fixture
def agency(team_north: Team) -> Agency:
    return team_north.agency


def _set_timeout(agency: Agency, admin: User, minutes: int) -> None:
    agency_settings_update(actor=admin, agency=agency, data={"session_timeout_minutes": minutes})


def test_an_idle_session_past_the_agency_limit_is_signed_out(
    client: HttpClient, case_manager: User, agency: Agency, admin: User
) -> None:
    _set_timeout(agency, admin, 10)
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(case_manager)
        assert _home(client) == 200
        clock.shift(dt.timedelta(minutes=9, seconds=50))
        assert _home(client) == 200  # and the ten minutes start again
        clock.shift(dt.timedelta(minutes=9, seconds=50))
        assert _home(client) == 200
        clock.shift(dt.timedelta(minutes=10, seconds=10))
        assert _signed_out(client)


def test_the_cookie_and_the_stored_session_last_the_agency_timeout(
    client: HttpClient, case_manager: User, agency: Agency, admin: User
) -> None:
    _set_timeout(agency, admin, 45)
    client.force_login(case_manager)
    response = client.get(reverse("home"))
    assert response.cookies["sessionid"]["max-age"] == 45 * 60
    assert client.session.get_expiry_age() == 45 * 60
    assert client.session[SESSION_AGENCY_KEY] == agency.pk


def test_a_changed_setting_applies_from_the_next_request(
    client: HttpClient, case_manager: User, agency: Agency, admin: User
) -> None:
    assert agency.session_timeout_minutes == 30
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(case_manager)
        assert _home(client) == 200
        clock.shift(dt.timedelta(minutes=20))
        assert _home(client) == 200  # 20 idle minutes are within the default 30

        # The administrator shortens it on the agency settings page.
        admin_http = HttpClient()
        admin_http.force_login(admin)
        page = admin_http.get(reverse("accounts:agency_settings"))
        data = {
            name: value
            for name, value in page.context["form"].initial.items()
            if not isinstance(value, bool) or value
        }
        data["session_timeout_minutes"] = 10
        assert admin_http.post(reverse("accounts:agency_settings"), data).status_code == 302
        agency.refresh_from_db()
        assert agency.session_timeout_minutes == 10

        assert _home(client) == 200  # this request renews the session for 10 minutes
        clock.shift(dt.timedelta(minutes=11))
        assert _signed_out(client)


def test_a_longer_setting_keeps_a_session_that_the_default_would_end(
    client: HttpClient, case_manager: User, agency: Agency, admin: User
) -> None:
    _set_timeout(agency, admin, 120)
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(case_manager)
        assert _home(client) == 200
        clock.shift(dt.timedelta(minutes=90))
        assert _home(client) == 200
        clock.shift(dt.timedelta(minutes=121))
        assert _signed_out(client)


@override_settings(SESSION_COOKIE_AGE=7 * 60)
def test_without_an_agency_the_environment_setting_applies(client: HttpClient) -> None:
    assert not Agency.objects.exists()
    user = User.objects.create_user("lone@example.org", "a long passphrase 42", full_name="Lone")
    user.is_supervisor = True
    user.save()
    with time_machine.travel(START, tick=False) as clock:
        client.force_login(user)
        assert _home(client) == 200
        assert client.session.get_expiry_age() == 7 * 60
        assert client.session[SESSION_AGENCY_KEY] == 0
        clock.shift(dt.timedelta(minutes=8))
        assert _signed_out(client)


def test_a_session_from_before_the_setting_finds_its_agency(
    client: HttpClient, case_manager: User, agency: Agency, admin: User
) -> None:
    _set_timeout(agency, admin, 15)
    client.force_login(case_manager)
    session = client.session
    del session[SESSION_AGENCY_KEY]
    session.set_expiry(None)
    session.save()
    assert _home(client) == 200
    assert client.session[SESSION_AGENCY_KEY] == agency.pk
    assert client.session.get_expiry_age() == 15 * 60


def _agency_queries(captured: CaptureQueriesContext) -> list[str]:
    """The middleware's reads of the setting (the home page reads the agency for itself)."""
    wanted = 'SELECT "accounts_agency"."session_timeout_minutes" AS'
    return [q["sql"] for q in captured.captured_queries if q["sql"].startswith(wanted)]


def test_a_request_reads_the_setting_only_after_it_was_saved(
    client: HttpClient, case_manager: User, agency: Agency, admin: User
) -> None:
    client.force_login(case_manager)
    with CaptureQueriesContext(connection) as first:
        assert _home(client) == 200
    assert _agency_queries(first) == []
    _set_timeout(agency, admin, 20)
    with CaptureQueriesContext(connection) as after_save:
        assert _home(client) == 200
    assert len(_agency_queries(after_save)) == 1
    assert client.session.get_expiry_age() == 20 * 60
    with CaptureQueriesContext(connection) as next_one:
        assert _home(client) == 200
    assert _agency_queries(next_one) == []


@pytest.mark.parametrize("minutes", [4, 721])
def test_the_setting_stays_between_5_minutes_and_12_hours(
    agency: Agency, admin: User, minutes: int
) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        _set_timeout(agency, admin, minutes)
    assert list(refused.value.message_dict) == ["session_timeout_minutes"]
    agency.refresh_from_db()
    assert agency.session_timeout_minutes == 30
