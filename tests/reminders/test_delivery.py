"""Urgent e-mail, sent at once: claimed from PostgreSQL, sent once, and nothing clinical."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.mail import EmailMessage
from django.core.mail.backends import locmem
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from casemgmt.accounts.models import Team, User
from casemgmt.reminders import delivery, rules, tasks
from casemgmt.reminders.models import (
    DeliveryStatus,
    Notification,
    NotificationPreference,
    Stage,
)
from clients.models import Client

from ..factories import UserFactory, make_client
from .delivery_support import KIND, ReviewRule, make_email, make_reminder, statuses

SITE = "https://casework.example.org"
DUE = dt.date(2026, 3, 2)


@pytest.fixture(autouse=True)
def _rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(rules._REGISTRY, KIND, ReviewRule())


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


def _urgent(client: Client, user: User, n: int = 1, **fields: Any) -> list[Notification]:
    return [
        make_email(make_reminder(client=client, recipient=user, due_on=DUE), **fields)
        for _ in range(n)
    ]


def _message_ids(messages: Sequence[EmailMessage] | None = None) -> list[str]:
    return [m.extra_headers["Message-ID"] for m in (mail.outbox if messages is None else messages)]


@pytest.mark.django_db
class TestUrgentEmail:
    @override_settings(SITE_URL=SITE)
    def test_sent_once_with_a_message_id_of_its_own(
        self, client_: Client, case_manager: User
    ) -> None:
        [notification] = _urgent(client_, case_manager)

        assert delivery.deliver_urgent() == 1
        assert delivery.deliver_urgent() == 0

        [message] = mail.outbox
        assert message.to == [case_manager.email]
        assert message.extra_headers["Message-ID"] == (
            f"<reminder-{notification.reminder_id}-overdue@casework.example.org>"
        )
        assert message.extra_headers["Auto-Submitted"] == "auto-generated"
        notification.refresh_from_db()
        assert notification.status == DeliveryStatus.SENT
        assert notification.sent_at is not None
        assert notification.attempts == 1

    @override_settings(SITE_URL=SITE + "/")
    def test_says_what_for_whom_when_and_where_and_nothing_clinical(
        self, client_: Client, case_manager: User
    ) -> None:
        _urgent(client_, case_manager)
        delivery.deliver_urgent()

        [message] = mail.outbox
        assert message.subject == "Casework: Overdue — Service plan review"
        html = str(message.alternatives[0][0])  # type: ignore[attr-defined]
        for body in (str(message.body), html):
            assert "Service plan review: Mari Rivera" in body
            assert "March 2, 2026" in body
            assert f"{SITE}/clients/{client_.pk}/" in body
            assert f"{SITE}/notifications/settings/" in body
            # Minimum necessary: the display name only, no record of the case.
            for detail in (
                "Maria",
                "eviction",
                client_.record_number,
                "1984",
                "Sunshine",
                "Medicaid",
            ):
                assert detail not in body
        assert "Rivera" not in message.subject

    def test_a_rule_removed_since_still_reaches_the_person(
        self, client_: Client, case_manager: User
    ) -> None:
        reminder = make_reminder(
            client=client_, recipient=case_manager, due_on=DUE, kind="retired_kind"
        )
        make_email(reminder)

        assert delivery.deliver_urgent() == 1
        assert "Retired kind: Mari Rivera" in mail.outbox[0].body
        assert f"/clients/{client_.pk}/" in mail.outbox[0].body

    def test_items_that_are_not_urgent_wait_for_the_digest(
        self, client_: Client, case_manager: User
    ) -> None:
        [notification] = _urgent(client_, case_manager, stage=Stage.LEAD_LONG, urgent=False)

        assert delivery.deliver_urgent() == 0
        assert statuses([notification]) == [DeliveryStatus.PENDING]


@pytest.mark.django_db
class TestPreferences:
    def test_no_digest_skips_the_items_that_would_wait_for_it(
        self, client_: Client, case_manager: User
    ) -> None:
        NotificationPreference.objects.create(user=case_manager, email_digest=False)
        [later] = _urgent(client_, case_manager, stage=Stage.LEAD_SHORT, urgent=False)
        [urgent] = _urgent(client_, case_manager)

        assert delivery.deliver_urgent() == 1
        assert statuses([later, urgent]) == [DeliveryStatus.SKIPPED, DeliveryStatus.SENT]

    def test_urgent_items_wait_for_the_digest_when_the_user_says_so(
        self, client_: Client, case_manager: User
    ) -> None:
        NotificationPreference.objects.create(user=case_manager, email_urgent_at_once=False)
        [urgent] = _urgent(client_, case_manager)

        assert delivery.deliver_urgent() == 0
        assert statuses([urgent]) == [DeliveryStatus.PENDING]
        assert mail.outbox == []

    def test_neither_at_once_nor_a_digest_means_no_email(
        self, client_: Client, case_manager: User
    ) -> None:
        NotificationPreference.objects.create(
            user=case_manager, email_digest=False, email_urgent_at_once=False
        )
        [urgent] = _urgent(client_, case_manager)

        assert delivery.deliver_urgent() == 0
        assert statuses([urgent]) == [DeliveryStatus.SKIPPED]

    def test_only_active_users_with_an_address(
        self, client_: Client, case_manager: User, team_north: Team
    ) -> None:
        gone = UserFactory.create(is_case_manager=True, is_active=False, teams=[team_north])
        no_address = UserFactory.create(is_case_manager=True, teams=[team_north])
        User.objects.filter(pk=no_address.pk).update(email="")
        [to_gone] = _urgent(client_, gone)
        [to_no_address] = _urgent(client_, no_address)

        assert delivery.deliver_urgent() == 0
        assert statuses([to_gone, to_no_address]) == [DeliveryStatus.SKIPPED] * 2

    def test_work_already_done_is_not_emailed(self, client_: Client, case_manager: User) -> None:
        done, resolved = _urgent(client_, case_manager, 2)
        done.reminder.done_at = timezone.now()
        done.reminder.save(update_fields=["done_at"])
        resolved.reminder.resolved_at = timezone.now()
        resolved.reminder.save(update_fields=["resolved_at"])

        assert delivery.deliver_urgent() == 0
        assert statuses([done, resolved]) == [DeliveryStatus.SKIPPED] * 2

    def test_a_snoozed_item_waits_until_the_snooze_ends(
        self, client_: Client, case_manager: User
    ) -> None:
        with time_machine.travel(dt.datetime(2026, 3, 3, 15, tzinfo=dt.UTC)):
            [notification] = _urgent(client_, case_manager)
            notification.reminder.snoozed_until = dt.date(2026, 3, 6)
            notification.reminder.save(update_fields=["snoozed_until"])
            assert delivery.deliver_urgent() == 0
            assert statuses([notification]) == [DeliveryStatus.PENDING]
        with time_machine.travel(dt.datetime(2026, 3, 6, 15, tzinfo=dt.UTC)):
            assert delivery.deliver_urgent() == 1


@pytest.mark.django_db
class TestRecovery:
    def test_rows_a_dead_worker_left_sending_are_sent_once_after_the_timeout(
        self, client_: Client, case_manager: User
    ) -> None:
        start = dt.datetime(2026, 3, 3, 15, tzinfo=dt.UTC)
        with time_machine.travel(start, tick=False) as traveller:
            [abandoned] = _urgent(
                client_, case_manager, status=DeliveryStatus.SENDING, attempts=1, claimed_at=start
            )
            traveller.shift(dt.timedelta(seconds=599))
            # Within the timeout the claim is another worker's: hands off.
            assert delivery.deliver_urgent() == 0
            assert statuses([abandoned]) == [DeliveryStatus.SENDING]
            traveller.shift(dt.timedelta(seconds=2))
            assert delivery.deliver_urgent() == 1
            assert delivery.deliver_urgent() == 0

        assert _message_ids() == [f"<reminder-{abandoned.reminder_id}-overdue@localhost>"]
        abandoned.refresh_from_db()
        assert (abandoned.status, abandoned.attempts) == (DeliveryStatus.SENT, 2)

    def test_a_failed_send_is_given_back_and_retried_a_few_times_only(
        self, client_: Client, case_manager: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        [notification] = _urgent(client_, case_manager)

        def refuse(self: locmem.EmailBackend, messages: Sequence[EmailMessage]) -> int:
            raise OSError("connection refused")

        monkeypatch.setattr(locmem.EmailBackend, "send_messages", refuse)
        for attempt in range(1, 6):
            assert delivery.deliver_urgent() == 0
            notification.refresh_from_db()
            assert (notification.status, notification.attempts) == ("pending", attempt)
        monkeypatch.undo()
        monkeypatch.setitem(rules._REGISTRY, KIND, ReviewRule())
        # Five attempts: left for a person to look at, not retried for ever.
        assert delivery.deliver_urgent() == 0
        with override_settings(REMINDER_MAX_ATTEMPTS=6):
            assert delivery.deliver_urgent() == 1

    def test_stops_before_its_claim_could_be_taken_for_abandoned(
        self, client_: Client, case_manager: User, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        notifications = _urgent(client_, case_manager, 4)
        send = locmem.EmailBackend.send_messages
        with time_machine.travel(dt.datetime(2026, 3, 3, 15, tzinfo=dt.UTC), tick=False) as t:

            def slow(self: locmem.EmailBackend, messages: Sequence[EmailMessage]) -> int:
                t.shift(dt.timedelta(minutes=4))
                return send(self, messages)

            monkeypatch.setattr(locmem.EmailBackend, "send_messages", slow)
            # Claim timeout 10 minutes: the batch stops at half of it, after two sends.
            assert delivery.deliver_urgent() == 2

        assert statuses(notifications) == ["sent", "sent", "pending", "pending"]


def _hold_locks(ids: list[int], locked: threading.Event, release: threading.Event) -> None:
    """Another worker, on its own connection, in the middle of its claim on these rows."""
    try:
        with transaction.atomic():
            list(Notification.objects.filter(pk__in=ids).select_for_update())
            locked.set()
            release.wait(30)
    finally:
        connection.close()


@pytest.fixture
def lock_holder() -> Iterator[tuple[threading.Event, threading.Event, list[threading.Thread]]]:
    locked, release = threading.Event(), threading.Event()
    threads: list[threading.Thread] = []
    yield locked, release, threads
    release.set()
    for thread in threads:
        thread.join(30)


@pytest.mark.django_db(transaction=True)
def test_a_claim_skips_rows_another_transaction_holds(
    client_: Client,
    case_manager: User,
    lock_holder: tuple[threading.Event, threading.Event, list[threading.Thread]],
) -> None:
    notifications = _urgent(client_, case_manager, 5)
    held = [n.pk for n in notifications[:2]]
    locked, release, threads = lock_holder
    threads.append(threading.Thread(target=_hold_locks, args=(held, locked, release)))
    threads[0].start()
    assert locked.wait(30)

    assert delivery.deliver_urgent() == 3  # without waiting for the held rows
    assert statuses(notifications) == ["pending"] * 2 + ["sent"] * 3

    release.set()
    threads[0].join(30)
    assert delivery.deliver_urgent() == 2
    assert sorted(Counter(_message_ids()).values()) == [1] * 5


@pytest.mark.django_db(transaction=True)
def test_workers_running_at_once_send_each_email_once(
    client_: Client, case_manager: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    notifications = _urgent(client_, case_manager, 12)
    send = locmem.EmailBackend.send_messages

    def slow(self: locmem.EmailBackend, messages: Sequence[EmailMessage]) -> int:
        threading.Event().wait(0.02)
        return send(self, messages)

    monkeypatch.setattr(locmem.EmailBackend, "send_messages", slow)
    start = threading.Barrier(3)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait(30)
            while delivery.deliver_urgent(batch=2):
                pass
        except BaseException as error:  # reported by the main thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    assert statuses(notifications) == ["sent"] * 12
    counts = Counter(_message_ids())
    assert len(counts) == 12 and set(counts.values()) == {1}


@pytest.mark.django_db
class TestTasks:
    def test_the_sweep_enqueues_delivery_only_once_committed(
        self,
        monkeypatch: pytest.MonkeyPatch,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        monkeypatch.delitem(rules._REGISTRY, KIND)
        enqueued: list[tuple[object, ...]] = []
        monkeypatch.setattr(tasks.reminders_deliver, "delay", lambda *a: enqueued.append(a))

        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            counts = tasks.reminders_sweep()
            assert enqueued == []  # not while the sweep's transaction is open

        assert set(counts) >= {"created", "notifications", "requeued"}
        assert len(callbacks) == 1
        assert enqueued == [()]

    def test_delivery_sent_twice_sends_each_email_once(
        self, client_: Client, case_manager: User
    ) -> None:
        notifications = _urgent(client_, case_manager, tasks.BATCH + 5)

        assert [tasks.reminders_deliver(), tasks.reminders_deliver()] == [tasks.BATCH + 5, 0]
        assert statuses(notifications) == ["sent"] * (tasks.BATCH + 5)
        assert set(Counter(_message_ids()).values()) == {1}

    def test_digests_task(self, client_: Client, case_manager: User) -> None:
        [routine] = _urgent(client_, case_manager, stage=Stage.LEAD_LONG, urgent=False)
        with time_machine.travel(dt.datetime(2026, 3, 3, 15, tzinfo=dt.UTC)):
            assert [tasks.reminders_send_digests() for _ in range(2)] == [1, 0]
        assert statuses([routine]) == ["sent"]
