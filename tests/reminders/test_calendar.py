"""The calendar feed: a secret address shown once, stored as a hash, revocable and
replaceable; the feed parses as iCalendar and carries only what is needed."""

from __future__ import annotations

import datetime as dt
import hashlib
import re

import pytest
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from careplans.models import PlanStatus, ServicePlan
from casemgmt.accounts.models import Team, User
from casemgmt.accounts.staff_services import staff_deactivate
from casemgmt.reminders import rules
from casemgmt.reminders.models import CalendarFeed, Reminder
from clients.models import Client
from notes.models import CaseNote
from notes.services import note_sign

from ..careplans.plan_fixtures import plan_in_status
from ..factories import make_client
from ..notes.note_fixtures import draft_note

pytestmark = pytest.mark.django_db

PAGE = reverse("reminders:calendar")


def today() -> dt.date:
    return rules.local_today()


def issue(http: HttpClient, user: User) -> str:
    """Create (or replace) the user's feed on the page; the address it shows once."""
    http.force_login(user)
    response = http.post(PAGE, {"action": "issue"})
    assert response.status_code == 200
    match = re.search(
        r'id="calendar-feed-url" type="text" readonly value="([^"]+)"', response.content.decode()
    )
    assert match, "the new address is shown"
    http.logout()
    return match.group(1)


def path_of(url: str) -> str:
    assert url.startswith("http://testserver/")
    return url.removeprefix("http://testserver")


def fetch(http: HttpClient, url: str) -> Calendar:
    response = http.get(path_of(url))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return Calendar.from_ical(response.content)


def events(calendar: Calendar) -> dict[str, dict[str, object]]:
    return {
        str(event["UID"]): {
            "summary": str(event["SUMMARY"]),
            "start": event.decoded("DTSTART"),
            "url": str(event["URL"]),
            "stamp": event.decoded("DTSTAMP"),
        }
        for event in calendar.walk("VEVENT")
    }


def overdue_note(client: Client, author: User) -> CaseNote:
    return draft_note(client, author, contact_at=timezone.now() - dt.timedelta(days=5))


def test_the_page_shows_the_address_once_and_keeps_only_a_hash(
    client: HttpClient, case_manager: User
) -> None:
    client.force_login(case_manager)
    html = client.get(PAGE).content.decode()
    assert "You have no calendar feed address." in html
    url = issue(client, case_manager)
    token = path_of(url).removeprefix("/calendar/").removesuffix(".ics")
    feed = CalendarFeed.objects.get(user=case_manager)
    assert feed.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in feed.token_hash

    client.force_login(case_manager)
    html = client.get(PAGE).content.decode()
    assert token not in html
    assert "You have a calendar feed address" in html
    assert "No calendar program has fetched it yet." in html


def test_the_feed_has_one_all_day_event_per_item_with_stable_uids(
    client: HttpClient,
    case_manager: User,
    supervisor: User,
    north_client: Client,
    team_north: Team,
) -> None:
    note = overdue_note(north_client, case_manager)
    second = make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Kwame",
        legal_last_name="Mensah",
    )
    plan = plan_in_status(second, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    ServicePlan.objects.filter(pk=plan.pk).update(review_due=today() + dt.timedelta(days=200))
    goal = plan.goals.get()
    type(goal).objects.filter(pk=goal.pk).update(target_date=today() + dt.timedelta(days=400))
    url = issue(client, case_manager)

    calendar = fetch(client, url)
    assert str(calendar["VERSION"]) == "2.0"
    found = events(calendar)
    note_due = (timezone.now() - dt.timedelta(days=2)).astimezone(rules.local_zone()).date()
    note_uid = f"note_unsigned-{note.pk}-{note_due:%Y%m%d}@casework"
    review_due = today() + dt.timedelta(days=200)
    review_uid = f"plan_review-{plan.pk}-{review_due:%Y%m%d}@casework"
    # The monthly contact of the client with a plan is due 30 days after it started.
    contact_due = plan.service_start + dt.timedelta(days=30)
    contact_uid = f"monthly_contact-{second.pk}-{contact_due:%Y%m%d}@casework"
    assert set(found) == {note_uid, review_uid, contact_uid}  # the goal is more than a year out
    assert found[note_uid]["summary"] == "Case note to sign: Maria Rivera"
    assert found[note_uid]["start"] == note_due
    assert found[review_uid]["summary"] == "Service plan review: Kwame Mensah"
    assert found[review_uid]["start"] == review_due
    assert found[review_uid]["url"] == "http://testserver" + reverse(
        "careplans:plan_review", args=[second.pk, plan.pk]
    )
    assert isinstance(found[note_uid]["stamp"], dt.datetime)

    # Minimum necessary: nothing from the record beyond the name and the kind of work.
    body = client.get(path_of(url)).content.decode()
    for detail in (north_client.presenting_issue, "Monthly check-in", north_client.record_number):
        assert detail not in body
    # The same items keep the same UIDs on the next fetch.
    assert set(events(fetch(client, url))) == set(found)


def test_work_done_leaves_the_feed_and_use_is_recorded(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    note = overdue_note(north_client, case_manager)
    url = issue(client, case_manager)
    assert len(events(fetch(client, url))) == 1
    assert CalendarFeed.objects.get(user=case_manager).last_used_at is not None
    note_sign(actor=case_manager, note=note)
    assert events(fetch(client, url)) == {}


def test_items_ticked_off_leave_the_feed_snoozed_ones_stay(
    client: HttpClient, case_manager: User, north_client: Client, team_north: Team
) -> None:
    first = overdue_note(north_client, case_manager)
    other = make_client(case_manager=case_manager, team=team_north, legal_last_name="Novak")
    second = overdue_note(other, case_manager)
    url = issue(client, case_manager)
    found = events(fetch(client, url))
    assert len(found) == 2
    for note, fields in (
        (first, {"done_at": timezone.now()}),
        (second, {"snoozed_until": today() + dt.timedelta(days=3)}),
    ):
        due = next(
            e["start"] for uid, e in found.items() if uid.startswith(f"note_unsigned-{note.pk}-")
        )
        assert isinstance(due, dt.date)
        Reminder.objects.create(
            kind="note_unsigned",
            object_id=note.pk,
            client=note.client,
            recipient=case_manager,
            due_on=due,
            **fields,
        )
    assert [uid.split("-")[1] for uid in events(fetch(client, url))] == [str(second.pk)]


def test_only_the_owners_items(
    client: HttpClient,
    case_manager: User,
    teammate: User,
    other_team_case_manager: User,
    north_client: Client,
    team_north: Team,
    team_south: Team,
) -> None:
    overdue_note(north_client, case_manager)
    overdue_note(make_client(case_manager=teammate, team=team_north), teammate)
    overdue_note(
        make_client(case_manager=other_team_case_manager, team=team_south), other_team_case_manager
    )
    url = issue(client, case_manager)
    summaries = [e["summary"] for e in events(fetch(client, url)).values()]
    assert summaries == ["Case note to sign: Maria Rivera"]


def test_revoke_then_404_and_replace_retires_the_old_address(
    client: HttpClient, case_manager: User, north_client: Client
) -> None:
    first = issue(client, case_manager)
    second = issue(client, case_manager)  # replace
    assert first != second
    assert client.get(path_of(first)).status_code == 404
    assert client.get(path_of(second)).status_code == 200
    assert CalendarFeed.objects.filter(user=case_manager, revoked_at__isnull=True).count() == 1

    client.force_login(case_manager)
    response = client.post(PAGE, {"action": "revoke"}, follow=True)
    assert "revoked" in response.content.decode()
    client.logout()
    assert client.get(path_of(second)).status_code == 404

    third = issue(client, case_manager)
    assert client.get(path_of(third)).status_code == 200


def test_a_deactivated_users_feed_is_gone(
    client: HttpClient, case_manager: User, admin: User
) -> None:
    url = issue(client, case_manager)
    assert client.get(path_of(url)).status_code == 200
    staff_deactivate(actor=admin, user=case_manager)
    assert client.get(path_of(url)).status_code == 404


@pytest.mark.parametrize("token", ["nope", "x" * 43, "x" * 200])
def test_unknown_tokens_are_not_found(client: HttpClient, case_manager: User, token: str) -> None:
    issue(client, case_manager)
    assert client.get(reverse("reminders:calendar_feed", args=[token])).status_code == 404


def test_anonymous_reach_only_the_feed(client: HttpClient, case_manager: User) -> None:
    url = issue(client, case_manager)
    response = client.get(PAGE)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert client.post(PAGE, {"action": "issue"}).status_code == 302
    response = client.get(path_of(url))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert client.head(path_of(url)).status_code == 200  # calendar programs check with HEAD
    assert client.post(path_of(url)).status_code == 405


def test_only_clinical_staff_get_a_feed(client: HttpClient, admin: User) -> None:
    client.force_login(admin)
    assert client.get(PAGE).status_code == 404
    assert client.post(PAGE, {"action": "issue"}).status_code == 404
    assert not CalendarFeed.objects.exists()
