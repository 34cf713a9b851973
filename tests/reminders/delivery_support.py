"""Helpers of the e-mail delivery tests: rows to deliver, a rule to describe them, and an
e-mail backend that a real Celery worker writes to (one line per message, in a file)."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.message import EmailMessage
from django.db.models import QuerySet

from casemgmt.accounts.models import User
from casemgmt.reminders import rules
from casemgmt.reminders.models import (
    Channel,
    DeliveryStatus,
    Notification,
    Reminder,
    Stage,
)
from clients.models import Client

#: The reminder kind the delivery tests use; `ReviewRule` describes it.
KIND = "delivery_test_review"

_object_ids = itertools.count(1)


class ReviewRule(rules.Rule):
    """Describes the tests' reminders as a service plan review on the client's page."""

    kind = KIND
    label = "Service plan review"

    def items(self, agency: Any, until: dt.date, today: dt.date | None = None) -> QuerySet[Any]:
        return Reminder.objects.none()

    def url_name(self) -> str:
        return "clients:detail"

    def url_args(self, object_id: int, client_id: int) -> list[int]:
        return [client_id]


def make_reminder(
    *, client: Client, recipient: User, due_on: dt.date, kind: str = KIND, **fields: Any
) -> Reminder:
    return Reminder.objects.create(
        kind=kind,
        object_id=next(_object_ids),
        client=client,
        recipient=recipient,
        due_on=due_on,
        **fields,
    )


def make_email(
    reminder: Reminder,
    *,
    stage: str = Stage.OVERDUE,
    urgent: bool = True,
    status: str = DeliveryStatus.PENDING,
    **fields: Any,
) -> Notification:
    """An e-mail notification as the sweep records it: pending, not yet claimed."""
    return Notification.objects.create(
        reminder=reminder,
        recipient_id=reminder.recipient_id,
        stage=stage,
        channel=Channel.EMAIL,
        urgent=urgent,
        status=status,
        **fields,
    )


def statuses(notifications: Sequence[Notification]) -> list[str]:
    by_pk = dict(
        Notification.objects.filter(pk__in=[n.pk for n in notifications]).values_list(
            "pk", "status"
        )
    )
    return [by_pk[n.pk] for n in notifications]


#: The environment variable naming the file `MailboxBackend` appends to.
MAILBOX_ENV = "CASEWORK_TEST_MAILBOX"


class MailboxBackend(BaseEmailBackend):
    """Appends one line per message (Message-ID, recipients) to the file named by
    $CASEWORK_TEST_MAILBOX. It waits 0.3 s before each write, as a slow SMTP server would,
    so a worker killed mid-delivery is almost always killed while "sending"."""

    delay = 0.3

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        path = Path(os.environ[MAILBOX_ENV])
        for message in email_messages:
            time.sleep(self.delay)
            line = f"{message.extra_headers['Message-ID']}\t{','.join(message.to)}\n"
            with path.open("a", encoding="utf-8") as mailbox:
                mailbox.write(line)
                mailbox.flush()
                os.fsync(mailbox.fileno())
        return len(email_messages)
