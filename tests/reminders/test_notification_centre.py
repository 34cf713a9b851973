"""The notification centre: the user's own in-app notices, mark read, done, snooze, the unread
count in the navbar, and the notification settings."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casemgmt.accounts.models import Team, User
from casemgmt.reminders import rules, selectors
from casemgmt.reminders.models import (
    Channel,
    Notification,
    NotificationPreference,
    Reminder,
    Stage,
)
from clients.models import Client

from ..factories import make_client

pytestmark = pytest.mark.django_db

CENTRE = reverse("reminders:centre")
PREFERENCES = reverse("reminders:preferences")
_ids = itertools.count(1)


def today() -> dt.date:
    return rules.local_today()


def notice(
    user: User,
    client: Client,
    *,
    kind: str = "plan_review",
    due: dt.date | None = None,
    channel: str = Channel.IN_APP,
    stage: str = Stage.DUE,
    created_at: dt.datetime | None = None,
    **reminder_fields: Any,
) -> Notification:
    reminder = Reminder.objects.create(
        kind=kind,
        object_id=next(_ids),
        client=client,
        recipient=user,
        due_on=due or today(),
        **reminder_fields,
    )
    return Notification.objects.create(
        reminder=reminder,
        recipient=user,
        stage=stage,
        channel=channel,
        created_at=created_at or timezone.now(),
    )


def signed_in(http: HttpClient, user: User) -> HttpClient:
    http.force_login(user)
    return http


# --- The list ---------------------------------------------------------------------------------


def test_lists_own_in_app_notifications_newest_first(
    client: HttpClient,
    case_manager: User,
    teammate: User,
    north_client: Client,
    team_north: Team,
) -> None:
    now = timezone.now()
    older = notice(
        case_manager, north_client, kind="plan_review", created_at=now - dt.timedelta(days=2)
    )
    newer = notice(case_manager, north_client, kind="note_unsigned", created_at=now)
    notice(case_manager, north_client, kind="goal_target", channel=Channel.EMAIL)
    theirs_client = make_client(case_manager=teammate, team=team_north, legal_last_name="Haddad")
    notice(teammate, theirs_client, kind="crisis_follow_up")

    response = signed_in(client, case_manager).get(CENTRE)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("Case note to sign") < html.index("Service plan review")
    assert "Goal target date" not in html  # e-mail notices are not the centre's
    assert "Crisis follow-up" not in html and "Haddad" not in html
    assert html.count(">New<") == 2
    assert "2 unread notifications" in html
    assert reverse("reminders:read", args=[older.pk]) in html
    assert reverse("reminders:done", args=[newer.reminder_id]) in html
    assert reverse("reminders:snooze", args=[newer.reminder_id]) in html


def test_empty_centre(client: HttpClient, case_manager: User) -> None:
    html = signed_in(client, case_manager).get(CENTRE).content.decode()
    assert "No notifications yet" in html


def test_only_clinical_staff_have_a_centre(client: HttpClient, admin: User) -> None:
    signed_in(client, admin)
    assert client.get(CENTRE).status_code == 404
    assert client.get(PREFERENCES).status_code == 404


def test_anonymous_goes_to_login(client: HttpClient) -> None:
    for url in (CENTRE, PREFERENCES, reverse("reminders:read_all")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:login"))


def test_the_list_costs_the_same_for_few_and_many(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    notice(case_manager, north_client)
    signed_in(client, case_manager)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CENTRE).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for n in range(20):
        item = notice(case_manager, north_client, kind="note_unsigned", snoozed_until=today())
        if n % 2:
            Notification.objects.filter(pk=item.pk).update(read_at=timezone.now())
    assert queries() == few


# --- Actions ----------------------------------------------------------------------------------


def test_mark_one_read_plain_and_htmx(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    first = notice(case_manager, north_client)
    second = notice(case_manager, north_client, kind="note_unsigned")
    signed_in(client, case_manager)

    response = client.post(reverse("reminders:read", args=[first.pk]), {"next": CENTRE})
    assert response.status_code == 302 and response["Location"] == CENTRE
    first.refresh_from_db()
    assert first.read_at is not None

    response = client.post(
        reverse("reminders:read", args=[second.pk]), {"page": "1"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="notification-list"' in body
    assert "<html" not in body
    assert 'id="nav-unread" hx-swap-oob="true"' in body
    assert "0 unread notifications" in body
    second.refresh_from_db()
    assert second.read_at is not None


def test_mark_all_read(client: HttpClient, case_manager: User, north_client: Client) -> None:
    for _ in range(3):
        notice(case_manager, north_client)
    email = notice(case_manager, north_client, channel=Channel.EMAIL)
    signed_in(client, case_manager)
    response = client.post(reverse("reminders:read_all"), follow=True)
    assert "3 notifications marked as read." in response.content.decode()
    assert not Notification.objects.filter(channel=Channel.IN_APP, read_at__isnull=True).exists()
    email.refresh_from_db()
    assert email.read_at is None


def test_done_and_snooze(client: HttpClient, case_manager: User, north_client: Client) -> None:
    done = notice(case_manager, north_client)
    snoozed = notice(case_manager, north_client, kind="note_unsigned")
    signed_in(client, case_manager)

    client.post(reverse("reminders:done", args=[done.reminder_id]))
    reminder = Reminder.objects.get(pk=done.reminder_id)
    assert reminder.done_at is not None
    done.refresh_from_db()
    assert done.read_at is not None  # ticking off reads it too

    for days in (1, 3, 7):
        response = client.post(
            reverse("reminders:snooze", args=[snoozed.reminder_id]), {"days": str(days)}
        )
        assert response.status_code == 302
        assert Reminder.objects.get(pk=snoozed.reminder_id).snoozed_until == today() + dt.timedelta(
            days=days
        )

    html = client.get(CENTRE).content.decode()
    assert "Marked done" in html
    assert "Snoozed until" in html


@pytest.mark.parametrize("days", ["0", "2", "365", "", "soon"])
def test_a_bad_snooze_changes_nothing_and_says_why(
    client: HttpClient, case_manager: User, north_client: Client, days: str
) -> None:
    item = notice(case_manager, north_client)
    signed_in(client, case_manager)
    response = client.post(
        reverse("reminders:snooze", args=[item.reminder_id]), {"days": days}, follow=True
    )
    assert response.status_code == 200
    assert "Choose how long to snooze" in response.content.decode()
    assert Reminder.objects.get(pk=item.reminder_id).snoozed_until is None


def test_someone_elses_rows_are_not_found(
    client: HttpClient, case_manager: User, teammate: User, north_client: Client
) -> None:
    theirs = notice(teammate, north_client)
    signed_in(client, case_manager)
    for url, data in (
        (reverse("reminders:read", args=[theirs.pk]), {}),
        (reverse("reminders:done", args=[theirs.reminder_id]), {}),
        (reverse("reminders:snooze", args=[theirs.reminder_id]), {"days": "1"}),
    ):
        assert client.post(url, data).status_code == 404
    theirs.refresh_from_db()
    reminder = theirs.reminder
    assert (theirs.read_at, reminder.done_at, reminder.snoozed_until) == (None, None, None)


def test_actions_only_by_post(client: HttpClient, case_manager: User, north_client: Client) -> None:
    item = notice(case_manager, north_client)
    signed_in(client, case_manager)
    assert client.get(reverse("reminders:read", args=[item.pk])).status_code == 405
    assert client.get(reverse("reminders:done", args=[item.reminder_id])).status_code == 405


def test_next_must_stay_on_the_site(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    item = notice(case_manager, north_client)
    signed_in(client, case_manager)
    response = client.post(
        reverse("reminders:read", args=[item.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == CENTRE


# --- The unread count -------------------------------------------------------------------------


def test_unread_counts_only_open_reminders(case_manager: User, north_client: Client) -> None:
    notice(case_manager, north_client)  # counts
    notice(case_manager, north_client, snoozed_until=today())  # the snooze ended: counts
    read = notice(case_manager, north_client)
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    notice(case_manager, north_client, resolved_at=timezone.now())
    notice(case_manager, north_client, done_at=timezone.now())
    notice(case_manager, north_client, snoozed_until=today() + dt.timedelta(days=1))
    notice(case_manager, north_client, channel=Channel.EMAIL)
    assert selectors.unread_count(case_manager) == 2


def test_navbar_shows_the_count_in_one_query(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    for _ in range(3):
        notice(case_manager, north_client)
    signed_in(client, case_manager)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("clients:my_caseload")).content.decode()
    counts = [q["sql"] for q in captured.captured_queries if "reminders_notification" in q["sql"]]
    assert len(counts) == 1
    assert 'id="nav-unread"><span class="badge rounded-pill text-bg-danger ms-1">3<' in html
    assert reverse("reminders:centre") in html
    assert reverse("reminders:preferences") in html
    assert reverse("reminders:calendar") in html


def test_no_count_for_anonymous_or_non_clinical_users(client: HttpClient, admin: User) -> None:
    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("accounts:login"))
    assert not [q for q in captured.captured_queries if "reminders_" in q["sql"]]
    signed_in(client, admin)
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("home")).content.decode()
    assert not [q for q in captured.captured_queries if "reminders_" in q["sql"]]
    assert 'id="nav-unread"' not in html


# --- Settings ---------------------------------------------------------------------------------


def test_settings_show_the_defaults_then_save(client: HttpClient, case_manager: User) -> None:
    signed_in(client, case_manager)
    html = client.get(PREFERENCES).content.decode()
    assert 'name="digest_hour" value="7"' in html
    assert not NotificationPreference.objects.exists()

    response = client.post(PREFERENCES, {"digest_hour": "17", "email_urgent_at_once": "on"})
    assert response.status_code == 302
    saved = NotificationPreference.objects.get(user=case_manager)
    assert (saved.email_digest, saved.digest_hour, saved.email_urgent_at_once) == (False, 17, True)

    client.post(PREFERENCES, {"email_digest": "on", "digest_hour": "0"})
    saved.refresh_from_db()
    assert (saved.email_digest, saved.digest_hour, saved.email_urgent_at_once) == (True, 0, False)
    assert NotificationPreference.objects.count() == 1


@pytest.mark.parametrize("hour", ["24", "-1", "7.5", "seven", ""])
def test_a_bad_hour_is_refused_beside_the_field(
    client: HttpClient, case_manager: User, hour: str
) -> None:
    signed_in(client, case_manager)
    response = client.post(PREFERENCES, {"email_digest": "on", "digest_hour": hour})
    assert response.status_code == 200
    html = response.content.decode()
    assert "There is a problem" in html
    assert "from 0 to 23" in html
    assert not NotificationPreference.objects.exists()
