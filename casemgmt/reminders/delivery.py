"""E-mail delivery of reminders: urgent items at once, everything else in one daily digest.

Nothing is sent from memory or from the broker: every e-mail is first claimed from
PostgreSQL in a short transaction (`select_for_update(skip_locked=True)`, status 'sending',
claimed_at, attempts + 1), sent after that commit, then marked 'sent'. A second worker skips
what the first holds; a worker killed mid-send leaves its rows 'sending', and they are
claimed again once REMINDER_CLAIM_TIMEOUT_SECONDS have passed. Each message carries a
Message-ID derived from its key, so the rare resend (a crash between the SMTP server
accepting a message and the 'sent' commit) is recognisable as the same message.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from casemgmt.accounts.models import User

from .models import (
    Channel,
    DeliveryStatus,
    DigestRun,
    DigestStatus,
    Notification,
    NotificationPreference,
    Stage,
)
from .rules import local_today, rule_for

logger = logging.getLogger(__name__)

#: Most urgent first: the order of the digest's groups.
STAGE_ORDER = [Stage.OVERDUE, Stage.ESCALATION, Stage.DUE, Stage.LEAD_SHORT, Stage.LEAD_LONG]

#: A user without a preference row gets the model's defaults.
DEFAULT_DIGEST_HOUR: int = NotificationPreference._meta.get_field("digest_hour").get_default()

_PREF = "recipient__notification_preference__"
#: The user wants urgent items e-mailed at once (the default when they have no preference row).
_URGENT_AT_ONCE = Q(**{f"{_PREF}isnull": True}) | Q(**{f"{_PREF}email_urgent_at_once": True})
#: The user wants a daily digest (the default).
_DIGEST_ON = Q(**{f"{_PREF}isnull": True}) | Q(**{f"{_PREF}email_digest": True})
#: What waits for the digest rather than going out at once.
_FOR_DIGEST = Q(urgent=False) | Q(**{f"{_PREF}email_urgent_at_once": False})


def claim_timeout() -> dt.timedelta:
    """How long a claim holds before the row is taken to have been abandoned by a dead worker."""
    return dt.timedelta(seconds=settings.REMINDER_CLAIM_TIMEOUT_SECONDS)


def max_attempts() -> int:
    """Claims after which a row that keeps failing is left for a person to look at."""
    return int(getattr(settings, "REMINDER_MAX_ATTEMPTS", 5))


def absolute_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _message_domain() -> str:
    """The right-hand side of Message-IDs: this deployment's host, so two agencies' ids
    never collide at a shared receiving server."""
    return urlsplit(settings.SITE_URL).hostname or "casework"


def notification_message_id(*, reminder_id: int, stage: str) -> str:
    """The same for every attempt at one notification, so a resend is the same message."""
    return f"<reminder-{reminder_id}-{stage}@{_message_domain()}>"


def digest_message_id(*, recipient_id: int, day: dt.date) -> str:
    return f"<digest-{recipient_id}-{day.isoformat()}@{_message_domain()}>"


def _deliverable(today: dt.date) -> Q:
    """An e-mail notification still worth sending: an active recipient with an address, the
    work not yet done, and not snoozed past today (a snoozed one waits, still pending)."""
    return (
        Q(channel=Channel.EMAIL, recipient__is_active=True, attempts__lt=max_attempts())
        & ~Q(recipient__email="")
        & Q(reminder__resolved_at__isnull=True, reminder__done_at__isnull=True)
        & (Q(reminder__snoozed_until__isnull=True) | Q(reminder__snoozed_until__lte=today))
    )


def skip_unwanted() -> int:
    """Pending e-mail nobody should get becomes 'skipped': the recipient is inactive or has
    no address, the work is already done, or the user wants no digest and the item is one
    that would have waited for it."""
    no_one_to_tell = Q(recipient__is_active=False) | Q(recipient__email="")
    work_done = Q(reminder__resolved_at__isnull=False) | Q(reminder__done_at__isnull=False)
    not_wanted = Q(**{f"{_PREF}email_digest": False}) & _FOR_DIGEST
    return Notification.objects.filter(
        no_one_to_tell | work_done | not_wanted,
        channel=Channel.EMAIL,
        status=DeliveryStatus.PENDING,
    ).update(status=DeliveryStatus.SKIPPED)


# Content ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One line of an e-mail: what is due, for which client, when, and where it is done.
    Deliberately nothing clinical: the details stay behind the login."""

    notification_id: int
    reminder_id: int
    stage: str
    stage_label: str
    urgent: bool
    label: str
    line: str
    client: str
    due_on: dt.date
    url: str


def _item(notification: Notification) -> Item:
    reminder = notification.reminder
    client_name = reminder.client.display_name
    rule = rule_for(reminder.kind)
    if rule is None:
        # A kind whose rule was removed since: still tell the person, and link the client.
        label = reminder.kind.replace("_", " ").capitalize()
        line = f"{label}: {client_name}"
        path = reverse("clients:detail", args=[reminder.client_id])
    else:
        label = str(rule.label)
        line = rule.describe(reminder.object_id, client_name, reminder.due_on)
        path = rule.url(reminder.object_id, reminder.client_id)
    return Item(
        notification_id=notification.pk,
        reminder_id=reminder.pk,
        stage=notification.stage,
        stage_label=str(Stage(notification.stage).label),
        urgent=notification.urgent,
        label=label,
        line=line,
        client=client_name,
        due_on=reminder.due_on,
        url=absolute_url(path),
    )


def _render(name: str, context: dict[str, object]) -> tuple[str, str, str]:
    """Subject (one line), plain-text body and HTML body of templates/reminders/email/<name>."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"reminders/email/{name}_subject.txt", context)
        text = render_to_string(f"reminders/email/{name}_body.txt", context)
        html = render_to_string(f"reminders/email/{name}_body.html", context)
    return " ".join(subject.split()), text, html


def _message(
    *,
    user: User,
    subject: str,
    text: str,
    html: str,
    message_id: str,
    connection: BaseEmailBackend,
) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"Message-ID": message_id, "Auto-Submitted": "auto-generated"},
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message


def urgent_message(
    notification: Notification, *, connection: BaseEmailBackend
) -> EmailMultiAlternatives:
    item = _item(notification)
    user = notification.recipient
    context: dict[str, object] = {
        "user": user,
        "item": item,
        "work_url": absolute_url(reverse("home")),
        "preferences_url": absolute_url(reverse("reminders:preferences")),
    }
    subject, text, html = _render("urgent", context)
    return _message(
        user=user,
        subject=subject,
        text=text,
        html=html,
        message_id=notification_message_id(
            reminder_id=notification.reminder_id, stage=notification.stage
        ),
        connection=connection,
    )


@dataclass(frozen=True)
class Group:
    stage: str
    label: str
    items: list[Item]


def digest_groups(notifications: Iterable[Notification]) -> list[Group]:
    """The digest's items grouped by stage, most urgent group first. A reminder that has
    several notices waiting (a digest missed for days) is listed once, at its latest stage."""
    latest: dict[int, Item] = {}
    for notification in notifications:
        item = _item(notification)
        held = latest.get(item.reminder_id)
        if held is None or STAGE_ORDER.index(Stage(item.stage)) < STAGE_ORDER.index(
            Stage(held.stage)
        ):
            latest[item.reminder_id] = item
    groups = []
    for stage in STAGE_ORDER:
        items = sorted(
            (item for item in latest.values() if item.stage == stage),
            key=lambda item: (not item.urgent, item.due_on, item.client, item.line),
        )
        if items:
            groups.append(Group(stage=stage, label=str(stage.label), items=items))
    return groups


def digest_message(
    run: DigestRun, notifications: Sequence[Notification], *, connection: BaseEmailBackend
) -> EmailMultiAlternatives:
    groups = digest_groups(notifications)
    user = run.recipient
    context: dict[str, object] = {
        "user": user,
        "day": run.day,
        "groups": groups,
        "count": sum(len(group.items) for group in groups),
        "work_url": absolute_url(reverse("home")),
        "preferences_url": absolute_url(reverse("reminders:preferences")),
    }
    subject, text, html = _render("digest", context)
    return _message(
        user=user,
        subject=subject,
        text=text,
        html=html,
        message_id=digest_message_id(recipient_id=run.recipient_id, day=run.day),
        connection=connection,
    )


# Urgent items, at once ----------------------------------------------------------------------


def _claim_urgent(*, batch: int, now: dt.datetime) -> list[int]:
    """Take up to `batch` urgent e-mails to send: pending ones, and ones a dead worker left
    'sending' past the claim timeout. Rows another transaction holds are skipped."""
    abandoned = Q(
        status=DeliveryStatus.SENDING,
        claimed_at__lt=now - claim_timeout(),
        digest__isnull=True,
    )
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(
                Q(status=DeliveryStatus.PENDING) | abandoned,
                _deliverable(local_today(now)),
                _URGENT_AT_ONCE,
                urgent=True,
            )
            .order_by("created_at", "pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)[:batch]
        )
        if ids:
            Notification.objects.filter(pk__in=ids).update(
                status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
            )
    return ids


def _release(ids: Sequence[int], *, claimed_at: dt.datetime) -> None:
    """Give back rows this worker claimed but did not send, for the next run to take."""
    Notification.objects.filter(
        pk__in=ids, status=DeliveryStatus.SENDING, claimed_at=claimed_at
    ).update(status=DeliveryStatus.PENDING)


def deliver_urgent(*, batch: int = 50) -> int:
    """E-mail urgent items at once to the users who want that; returns how many were sent.
    Safe to run in several workers at a time and to run again: each row is sent by the one
    worker that claimed it."""
    skip_unwanted()
    claimed_at = timezone.now()
    ids = _claim_urgent(batch=batch, now=claimed_at)
    if not ids:
        return 0
    notifications = list(
        Notification.objects.filter(pk__in=ids)
        .select_related("reminder__client", "recipient")
        .order_by("created_at", "pk")
    )
    # Stop well before the claim could be judged abandoned and taken by another worker.
    deadline = claimed_at + claim_timeout() / 2
    sent = 0
    mail = get_connection()
    try:
        mail.open()
    except Exception:
        _release(ids, claimed_at=claimed_at)
        raise
    try:
        for index, notification in enumerate(notifications):
            if timezone.now() >= deadline:
                _release([n.pk for n in notifications[index:]], claimed_at=claimed_at)
                break
            try:
                urgent_message(notification, connection=mail).send()
            except Exception:
                logger.exception("Could not e-mail notification %s", notification.pk)
                _release([notification.pk], claimed_at=claimed_at)
                continue
            # Marked sent whatever happened to the claim meanwhile: the message is out.
            Notification.objects.filter(
                pk=notification.pk,
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
            ).update(status=DeliveryStatus.SENT, sent_at=timezone.now())
            sent += 1
    finally:
        mail.close()
    return sent


# The daily digest ---------------------------------------------------------------------------


def _zone(name: str) -> dt.tzinfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def _digest_waiting(today: dt.date) -> Q:
    """Pending e-mail that goes in the user's next digest."""
    return (
        Q(status=DeliveryStatus.PENDING, digest__isnull=True)
        & _deliverable(today)
        & _DIGEST_ON
        & _FOR_DIGEST
    )


def _due_recipients(now: dt.datetime) -> list[tuple[int, dt.date]]:
    """(user, their local day) of each user with items waiting whose digest hour has come."""
    rows = (
        Notification.objects.filter(_digest_waiting(local_today(now)))
        .order_by()
        .values_list("recipient_id", "recipient__time_zone", f"{_PREF}digest_hour")
        .distinct()
    )
    due = []
    for recipient_id, zone_name, hour in rows:
        local = now.astimezone(_zone(zone_name))
        if local.hour >= (DEFAULT_DIGEST_HOUR if hour is None else hour):
            due.append((recipient_id, local.date()))
    return sorted(due)


def _open_runs(due: Sequence[tuple[int, dt.date]], now: dt.datetime) -> dict[int, int]:
    """Create today's DigestRun of each due user who has none yet, in one statement; returns
    {recipient: run} for the ones this call created. The unique (recipient, day) makes a
    concurrent or repeated call create nothing."""
    quote = connection.ops.quote_name
    fields = {field.name: field.column for field in DigestRun._meta.concrete_fields}
    recipient, day, status, claimed_at, attempts, pk = (
        quote(str(fields[name]))
        for name in ("recipient", "day", "status", "claimed_at", "attempts", "id")
    )
    values = ", ".join(["(%s, %s, %s, %s, 1)"] * len(due))
    params: list[Any] = []
    for recipient_id, local_day in due:
        params += [recipient_id, local_day, DigestStatus.SENDING.value, now]
    sql = (
        f"INSERT INTO {quote(DigestRun._meta.db_table)} "  # noqa: S608
        f"({recipient}, {day}, {status}, {claimed_at}, {attempts}) VALUES {values} "
        f"ON CONFLICT ({recipient}, {day}) DO NOTHING RETURNING {pk}, {recipient}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {recipient_id: run_id for run_id, recipient_id in cursor.fetchall()}


def _claim_new_digests(now: dt.datetime) -> list[int]:
    """Open today's digest of each user whose hour has come and claim its items with it, in
    one transaction: the run and its items are committed together or not at all."""
    with transaction.atomic():
        due = _due_recipients(now)
        if not due:
            return []
        runs = _open_runs(due, now)
        if not runs:
            return []
        ids = list(
            Notification.objects.filter(
                _digest_waiting(local_today(now)), recipient_id__in=list(runs)
            )
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)
        )
        Notification.objects.filter(pk__in=ids).update(
            status=DeliveryStatus.SENDING,
            claimed_at=now,
            attempts=F("attempts") + 1,
            digest_id=Subquery(
                DigestRun.objects.filter(
                    pk__in=runs.values(), recipient_id=OuterRef("recipient_id")
                ).values("pk")[:1]
            ),
        )
        # Another worker may have taken every item first: no empty digest, and the day stays open.
        DigestRun.objects.filter(pk__in=runs.values(), items__isnull=True).delete()
        return list(DigestRun.objects.filter(pk__in=runs.values()).values_list("pk", flat=True))


def _reclaim_stuck_digests(now: dt.datetime) -> list[int]:
    """Runs a dead worker left 'sending' past the claim timeout: the same run with the same
    items is claimed again (attempts + 1), so the day's digest is neither lost nor doubled."""
    with transaction.atomic():
        ids = list(
            DigestRun.objects.filter(
                status=DigestStatus.SENDING,
                claimed_at__lt=now - claim_timeout(),
                attempts__lt=max_attempts(),
            )
            .order_by("pk")
            .select_for_update(skip_locked=True, of=("self",))
            .values_list("pk", flat=True)
        )
        if ids:
            DigestRun.objects.filter(pk__in=ids).update(claimed_at=now, attempts=F("attempts") + 1)
            Notification.objects.filter(
                digest_id__in=ids,
                status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
            ).update(status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    return ids


def _send_run(run: DigestRun, mail: BaseEmailBackend) -> bool:
    notifications = list(
        Notification.objects.filter(
            digest=run, status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING]
        )
        .select_related("reminder__client")
        .order_by("pk")
    )
    if notifications:
        try:
            digest_message(run, notifications, connection=mail).send()
        except Exception:
            # The run stays 'sending' and is claimed again after the timeout.
            logger.exception("Could not e-mail the digest %s", run.pk)
            return False
    sent_at = timezone.now()
    with transaction.atomic():
        DigestRun.objects.filter(pk=run.pk, status=DigestStatus.SENDING).update(
            status=DigestStatus.SENT, sent_at=sent_at
        )
        Notification.objects.filter(
            pk__in=[n.pk for n in notifications],
            status__in=[DeliveryStatus.PENDING, DeliveryStatus.SENDING],
        ).update(status=DeliveryStatus.SENT, sent_at=sent_at)
    return bool(notifications)


def send_digests(*, now: dt.datetime | None = None) -> int:
    """Send each user's daily digest once their digest hour has come in their time zone;
    returns how many were sent. At most one digest per user per day, however often this
    runs and in however many workers."""
    now = now or timezone.now()
    skip_unwanted()
    run_ids = _reclaim_stuck_digests(now) + _claim_new_digests(now)
    if not run_ids:
        return 0
    runs = DigestRun.objects.filter(pk__in=run_ids).select_related("recipient").order_by("pk")
    sent = 0
    mail = get_connection()
    mail.open()
    try:
        for run in runs:
            sent += _send_run(run, mail)
    finally:
        mail.close()
    return sent
