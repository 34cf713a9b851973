"""The daily digest: once a day per user, at their hour in their time zone, grouped by
urgency, and sent once even when a worker dies half-way."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.test import override_settings

from casemgmt.accounts.models import Team, User
from casemgmt.reminders import delivery, engine, rules
from casemgmt.reminders.models import (
    DeliveryStatus,
    DigestRun,
    DigestStatus,
    Notification,
    NotificationPreference,
    Stage,
)
from clients.models import Client

from ..factories import UserFactory, make_client
from .delivery_support import KIND, ReviewRule, make_email, make_reminder, statuses

SITE = "https://casework.example.org"
# 2026-03-10: daylight saving time has begun in the United States (8 March), not in Europe.
DAY = dt.date(2026, 3, 10)


def utc(hour: int, minute: int = 0, day: dt.date = DAY) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _rule(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setitem(rules._REGISTRY, KIND, ReviewRule())
    with override_settings(TIME_ZONE="America/New_York", SITE_URL=SITE):
        yield


@pytest.fixture
def client_(case_manager: User, team_north: Team) -> Client:
    return make_client(
        case_manager=case_manager,
        team=team_north,
        legal_first_name="Maria",
        preferred_name="Mari",
        legal_last_name="Rivera",
        presenting_issue="Facing eviction; low mood since losing her job.",
    )


def _waiting(
    client: Client,
    user: User,
    *,
    due_on: dt.date = DAY,
    stage: str = Stage.DUE,
    urgent: bool = False,
) -> Notification:
    return make_email(
        make_reminder(client=client, recipient=user, due_on=due_on), stage=stage, urgent=urgent
    )


def _user(team: Team, **fields: object) -> User:
    return UserFactory.create(is_case_manager=True, teams=[team], **fields)


def _recipients() -> list[str]:
    return sorted(address for message in mail.outbox for address in message.to)


@pytest.mark.django_db
class TestWhen:
    def test_at_the_users_hour_in_the_users_time_zone(
        self, client_: Client, team_north: Team
    ) -> None:
        new_york = _user(team_north, email="ny@example.org")  # the agency's zone
        los_angeles = _user(team_north, email="la@example.org", time_zone="America/Los_Angeles")
        tokyo = _user(team_north, email="tokyo@example.org", time_zone="Asia/Tokyo")
        NotificationPreference.objects.create(user=tokyo, digest_hour=18)
        for user in (new_york, los_angeles, tokyo):
            _waiting(client_, user)

        with time_machine.travel(utc(8, 59)):  # Tokyo 17:59, New York 04:59
            assert delivery.send_digests() == 0
        with time_machine.travel(utc(9)):  # Tokyo 18:00
            assert delivery.send_digests() == 1
        assert _recipients() == ["tokyo@example.org"]
        with time_machine.travel(utc(10, 59)):  # New York 06:59
            assert delivery.send_digests() == 0
        with time_machine.travel(utc(11)):  # New York 07:00 (EDT)
            assert delivery.send_digests() == 1
        with time_machine.travel(utc(13, 59)):  # Los Angeles 06:59
            assert delivery.send_digests() == 0
        with time_machine.travel(utc(14)):  # Los Angeles 07:00 (PDT)
            assert delivery.send_digests() == 1

        assert _recipients() == ["la@example.org", "ny@example.org", "tokyo@example.org"]
        assert set(DigestRun.objects.values_list("day", flat=True)) == {DAY}

    def test_the_day_is_the_users_own(self, client_: Client, team_north: Team) -> None:
        auckland = _user(team_north, time_zone="Pacific/Auckland")  # UTC+13 in March
        _waiting(client_, auckland)

        with time_machine.travel(utc(20)):  # 11 March, 09:00 in Auckland
            assert delivery.send_digests() == 1

        run = DigestRun.objects.get()
        assert run.day == dt.date(2026, 3, 11)
        assert mail.outbox[0].extra_headers["Message-ID"] == (
            f"<digest-{auckland.pk}-2026-03-11@casework.example.org>"
        )

    def test_once_a_day_however_often_it_runs(self, client_: Client, case_manager: User) -> None:
        first = _waiting(client_, case_manager)
        with time_machine.travel(utc(12)):
            assert [delivery.send_digests() for _ in range(3)] == [1, 0, 0]
        # Found due later the same day: it waits for tomorrow's digest.
        later = _waiting(client_, case_manager, due_on=DAY + dt.timedelta(days=3))
        with time_machine.travel(utc(20)):
            assert delivery.send_digests() == 0
        assert statuses([first, later]) == ["sent", "pending"]
        with time_machine.travel(utc(11, day=DAY + dt.timedelta(days=1))):
            assert [delivery.send_digests() for _ in range(3)] == [1, 0, 0]

        assert statuses([first, later]) == ["sent", "sent"]
        assert len(mail.outbox) == 2
        assert DigestRun.objects.filter(recipient=case_manager).count() == 2
        assert (
            mail.outbox[1]
            .extra_headers["Message-ID"]
            .startswith(f"<digest-{case_manager.pk}-2026-03-11@")
        )

    def test_nothing_waiting_means_no_digest(self, case_manager: User) -> None:
        with time_machine.travel(utc(12)):
            assert delivery.send_digests() == 0
        assert not DigestRun.objects.exists()


@pytest.mark.django_db
class TestWhat:
    def test_grouped_by_urgency_with_links_and_nothing_clinical(
        self, client_: Client, case_manager: User, team_north: Team
    ) -> None:
        NotificationPreference.objects.create(user=case_manager, email_urgent_at_once=False)
        other = make_client(
            case_manager=case_manager,
            team=team_north,
            legal_first_name="Ann",
            legal_last_name="Lee",
        )
        overdue = _waiting(
            client_,
            case_manager,
            due_on=DAY - dt.timedelta(days=5),
            stage=Stage.OVERDUE,
            urgent=True,
        )
        today = _waiting(other, case_manager, due_on=DAY)
        soon = _waiting(
            client_, case_manager, due_on=DAY + dt.timedelta(days=3), stage=Stage.LEAD_SHORT
        )
        # The same reminder's earlier notice, still waiting: listed once, at its latest stage.
        soon_earlier = make_email(soon.reminder, stage=Stage.LEAD_LONG, urgent=False)
        coming = _waiting(
            other, case_manager, due_on=DAY + dt.timedelta(days=14), stage=Stage.LEAD_LONG
        )

        with time_machine.travel(utc(12)):
            assert delivery.send_digests() == 1

        [message] = mail.outbox
        assert isinstance(message, EmailMultiAlternatives)
        assert message.to == [case_manager.email]
        assert message.subject == "Casework: 4 items due — March 10, 2026"
        body = str(message.body)
        headings = ["OVERDUE (1)", "DUE TODAY (1)", "DUE SOON (1)", "COMING UP (1)"]
        positions = [body.index(heading) for heading in headings]
        assert positions == sorted(positions)
        assert body.index("Service plan review: Mari Rivera [urgent]") < positions[1]
        assert body.index("Service plan review: Ann Lee") < positions[2]
        assert body.count("Service plan review: Mari Rivera") == 2  # overdue, soon
        assert "Due March 5, 2026" in body
        assert f"{SITE}/clients/{client_.pk}/" in body
        assert f"{SITE}/clients/{other.pk}/" in body
        assert f"{SITE}/notifications/settings/" in body
        html = str(message.alternatives[0][0])
        assert message.alternatives[0][1] == "text/html"
        assert (
            f'<a href="{SITE}/clients/{client_.pk}/">Service plan review: Mari Rivera</a>' in html
        )
        for text in (body, html, message.subject):
            for detail in ("Maria", "eviction", client_.record_number, "1984", "Sunshine"):
                assert detail not in text

        run = DigestRun.objects.get()
        assert run.status == DigestStatus.SENT and run.sent_at is not None
        items = [overdue, today, soon, soon_earlier, coming]
        assert statuses(items) == ["sent"] * 5
        assert set(Notification.objects.values_list("digest", flat=True)) == {run.pk}

    def test_urgent_items_go_at_once_not_in_the_digest_by_default(
        self, client_: Client, case_manager: User
    ) -> None:
        urgent = _waiting(client_, case_manager, stage=Stage.OVERDUE, urgent=True)
        routine = _waiting(client_, case_manager)

        with time_machine.travel(utc(12)):
            assert delivery.send_digests() == 1
        assert statuses([urgent, routine]) == ["pending", "sent"]
        assert "OVERDUE" not in mail.outbox[0].body

    def test_no_digest_wanted(self, client_: Client, case_manager: User) -> None:
        NotificationPreference.objects.create(user=case_manager, email_digest=False)
        routine = _waiting(client_, case_manager)

        with time_machine.travel(utc(12)):
            assert delivery.send_digests() == 0
        assert statuses([routine]) == [DeliveryStatus.SKIPPED]
        assert not DigestRun.objects.exists()


@pytest.mark.django_db
def test_a_digest_a_dead_worker_left_is_sent_once_with_the_same_items(
    client_: Client, case_manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    items = [_waiting(client_, case_manager), _waiting(client_, case_manager)]
    start = utc(12)
    with time_machine.travel(start, tick=False) as traveller:
        # The worker dies after claiming (committed) and before its e-mail went out.
        with monkeypatch.context() as patch:
            patch.setattr(delivery, "_send_run", lambda run, mail: False)
            assert delivery.send_digests() == 0
        run = DigestRun.objects.get()
        assert statuses(items) == ["sending"] * 2
        # Another item found meanwhile belongs to tomorrow, not to the retried run.
        late = _waiting(client_, case_manager)

        traveller.shift(dt.timedelta(minutes=5))
        assert delivery.send_digests() == 0  # still within the claim: hands off
        traveller.shift(dt.timedelta(minutes=6))
        assert engine.requeue_stuck() == 0  # a digest's items stay with their run
        assert delivery.send_digests() == 1
        assert delivery.send_digests() == 0

    [message] = mail.outbox
    assert message.extra_headers["Message-ID"] == (
        f"<digest-{case_manager.pk}-2026-03-10@casework.example.org>"
    )
    run.refresh_from_db()
    assert (run.status, run.attempts) == (DigestStatus.SENT, 2)
    assert statuses([*items, late]) == ["sent", "sent", "pending"]
    assert list(Notification.objects.filter(digest=run).order_by("pk")) == items


@pytest.mark.django_db
def test_a_failed_send_is_tried_again_after_the_timeout(
    client_: Client, case_manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    item = _waiting(client_, case_manager)

    def refuse(self: EmailMultiAlternatives, fail_silently: bool = False) -> int:
        raise OSError("connection refused")

    with time_machine.travel(utc(12), tick=False) as traveller:
        with monkeypatch.context() as patch:
            patch.setattr(EmailMultiAlternatives, "send", refuse)
            assert delivery.send_digests() == 0
        assert statuses([item]) == ["sending"]
        traveller.shift(dt.timedelta(minutes=11))
        assert delivery.send_digests() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_digest_workers_running_at_once_send_one_digest(
    client_: Client, case_manager: User, teammate: User
) -> None:
    for user in (case_manager, teammate):
        for _ in range(3):
            _waiting(client_, user)
    start = threading.Barrier(4)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(30)
            results.append(delivery.send_digests(now=utc(12)))
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert sum(results) == 2
    assert Counter(_recipients()) == {case_manager.email: 1, teammate.email: 1}
    assert DigestRun.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_no_empty_digest_when_another_worker_holds_the_items(
    client_: Client, case_manager: User
) -> None:
    item = _waiting(client_, case_manager)
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                list(Notification.objects.filter(pk=item.pk).select_for_update())
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold)
    thread.start()
    try:
        assert locked.wait(30)
        assert delivery.send_digests(now=utc(12)) == 0
        assert not DigestRun.objects.exists()  # the day is still open
    finally:
        release.set()
        thread.join(30)
    assert delivery.send_digests(now=utc(12)) == 1
    assert statuses([item]) == ["sent"]
