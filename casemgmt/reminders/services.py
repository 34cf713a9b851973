"""Writes a user makes about their own reminders: done, snooze, read, preferences, and the
secret address of their calendar feed."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casemgmt.accounts.models import User

from . import rules
from .models import CalendarFeed, Channel, Notification, NotificationPreference, Reminder

#: The snoozes offered, in days.
SNOOZE_DAYS = (1, 3, 7)


def _own(actor: User, owner_id: int) -> None:
    if actor.pk != owner_id:
        raise PermissionDenied(_("Only the person it was sent to can change it."))


@transaction.atomic
def reminder_mark_done(*, actor: User, reminder: Reminder) -> Reminder:
    """The recipient ticks an item off by hand; its notices count as read."""
    _own(actor, reminder.recipient_id)
    now = timezone.now()
    if reminder.done_at is None:
        reminder.done_at = now
        reminder.save(update_fields=["done_at"])
    Notification.objects.filter(reminder=reminder, recipient=actor, read_at__isnull=True).update(
        read_at=now
    )
    return reminder


@transaction.atomic
def reminder_snooze(*, actor: User, reminder: Reminder, days: int) -> Reminder:
    """Hide an item until `days` from today; it comes back on that day if still due."""
    _own(actor, reminder.recipient_id)
    if days not in SNOOZE_DAYS:
        raise ValidationError(_("Snooze for 1 day, 3 days or 1 week."))
    reminder.snoozed_until = rules.local_today() + dt.timedelta(days=days)
    reminder.save(update_fields=["snoozed_until"])
    Notification.objects.filter(reminder=reminder, recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return reminder


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    _own(actor, notification.recipient_id)
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at"])
    return notification


def notifications_mark_all_read(*, actor: User) -> int:
    """Every unread in-app notice of the user, in one statement."""
    return Notification.objects.filter(
        recipient=actor, channel=Channel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())


@transaction.atomic
def preference_update(
    *, actor: User, email_digest: bool, digest_hour: int, email_urgent_at_once: bool
) -> NotificationPreference:
    """A user sets how they hear about what is due; the row is created on first save."""
    preference = NotificationPreference.objects.select_for_update().filter(
        user=actor
    ).first() or NotificationPreference(user=actor)
    preference.email_digest = email_digest
    preference.digest_hour = digest_hour
    preference.email_urgent_at_once = email_urgent_at_once
    preference.full_clean()
    preference.save()
    return preference


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def calendar_feed_issue(*, actor: User) -> str:
    """A new secret feed address replaces the user's live one; only its hash is kept, so
    the token is shown once."""
    if not actor.is_active:
        raise PermissionDenied
    # One live feed per user: two clicks at once take turns instead of colliding.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    calendar_feed_revoke(actor=actor)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(user=actor, token_hash=token_hash(token))
    feed.full_clean()
    feed.save()
    return token


def calendar_feed_revoke(*, actor: User) -> int:
    """The old address answers 404 from now on."""
    return CalendarFeed.objects.filter(user=actor, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )


def calendar_feed_used(*, feed: CalendarFeed) -> None:
    """Record when a calendar program last fetched the feed."""
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=timezone.now())
