"""Reminders: what is due, for whom, and every notification sent about it.

PostgreSQL is the source of truth. The sweep (engine.py) computes due items from the
database with the rules each app declares (`<app>/reminders.py`) and records each one once
under its unique key (kind, object, due date, recipient). Notifications are recorded once
per (reminder, stage, channel); delivery claims them from these rows, so a rerun, a retried
task or a killed worker neither loses nor duplicates one. Nothing is scheduled weeks ahead in
the broker.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Reminder(models.Model):
    """One due item for one person: a plan review, a follow-up, a note to sign …"""

    kind = models.CharField(_("kind"), max_length=40)
    object_id = models.BigIntegerField(_("object id"))
    client = models.ForeignKey("clients.Client", on_delete=models.CASCADE, related_name="reminders")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reminders"
    )
    due_on = models.DateField(_("due on"))
    #: A copy for a supervisor because the item is overdue past the agency's escalation days.
    is_escalation = models.BooleanField(_("escalated to the supervisor"), default=False)
    created_at = models.DateTimeField(default=timezone.now)
    #: The work was done (the rule no longer finds the item): set by the sweep.
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    #: The recipient ticked it off by hand in the notification centre.
    done_at = models.DateTimeField(_("marked done at"), null=True, blank=True)
    snoozed_until = models.DateField(_("snoozed until"), null=True, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "object_id", "due_on", "recipient"], name="reminder_once"
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "due_on"],
                condition=Q(resolved_at__isnull=True),
                name="reminder_open_by_recipient",
            ),
            models.Index(
                fields=["kind", "object_id"],
                condition=Q(resolved_at__isnull=True),
                name="reminder_open_by_object",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.object_id} due {self.due_on} for {self.recipient_id}"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None and self.done_at is None


class Stage(models.TextChoices):
    LEAD_LONG = "lead_long", _("Coming up")
    LEAD_SHORT = "lead_short", _("Due soon")
    DUE = "due", _("Due today")
    OVERDUE = "overdue", _("Overdue")
    ESCALATION = "escalation", _("Overdue on your team")


class Channel(models.TextChoices):
    IN_APP = "in_app", _("In the app")
    EMAIL = "email", _("E-mail")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Not sent (the user's preferences)")


class Notification(models.Model):
    """One notice about a reminder at one stage on one channel, recorded once."""

    reminder = models.ForeignKey(Reminder, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    urgent = models.BooleanField(_("urgent"), default=False)
    status = models.CharField(
        _("delivery"),
        max_length=10,
        choices=DeliveryStatus.choices,
        default=DeliveryStatus.PENDING,
    )
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    #: The daily digest that carried this e-mail notification, when one did.
    digest = models.ForeignKey(
        "DigestRun", on_delete=models.SET_NULL, null=True, blank=True, related_name="items"
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "stage", "channel"], name="notification_once_per_channel"
            ),
        ]
        indexes = [
            models.Index(
                fields=["channel", "status", "urgent"],
                condition=Q(status__in=["pending", "sending"]),
                name="notification_to_deliver",
            ),
            models.Index(
                fields=["recipient", "channel", "read_at"],
                name="notification_by_recipient",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.stage} {self.channel} for reminder {self.reminder_id}"


class DigestStatus(models.TextChoices):
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")


class DigestRun(models.Model):
    """The daily e-mail digest of one user for one day: at most one is ever sent."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    day = models.DateField(_("day"))
    status = models.CharField(
        max_length=10, choices=DigestStatus.choices, default=DigestStatus.SENDING
    )
    claimed_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=1)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("daily digest")
        verbose_name_plural = _("daily digests")
        ordering = ["-day", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "day"], name="digest_once_a_day"),
        ]

    def __str__(self) -> str:
        return f"Digest for {self.recipient_id} on {self.day}"


class NotificationPreference(models.Model):
    """How a user wants to hear about what is due. In the app always; e-mail as a daily
    digest, and urgent items (overdue, crisis follow-ups, escalations) at once."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_digest = models.BooleanField(_("send me a daily e-mail digest"), default=True)
    digest_hour = models.PositiveSmallIntegerField(
        _("send the digest at (hour from 0 to 23, my time zone)"), default=7
    )
    email_urgent_at_once = models.BooleanField(
        _("e-mail urgent items at once (otherwise they wait for the digest)"), default=True
    )

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.CheckConstraint(
                condition=Q(digest_hour__gte=0, digest_hour__lte=23), name="digest_hour_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Preferences of {self.user_id}"


class CalendarFeed(models.Model):
    """A secret address for a user's iCalendar feed of due dates. Only a hash of the token
    is kept; revoking it (or issuing a new one) makes the old address answer 404."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feeds"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="one_live_feed_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"Calendar feed of {self.user_id}"
