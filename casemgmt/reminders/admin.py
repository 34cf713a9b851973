"""Reminders and notifications name clients, so they stay out of the admin site (administrators
see no client record). What is here is about staff only: their notification settings, their
calendar feed addresses (revocable, never readable) and the digests sent to them. The sweep's
schedule is edited under "Periodic tasks" (django-celery-beat)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from . import services
from .models import CalendarFeed, DigestRun, NotificationPreference


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin[NotificationPreference]):
    list_display = ["user", "email_digest", "digest_hour", "email_urgent_at_once"]
    list_filter = ["email_digest", "email_urgent_at_once"]
    search_fields = ["user__email", "user__full_name"]
    raw_id_fields = ["user"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin[CalendarFeed]):
    list_display = ["user", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["user__email", "user__full_name"]
    readonly_fields = ["user", "created_at", "last_used_at", "revoked_at"]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Only the user creates their own address: it is shown to them once.
        return False

    @admin.action(description=_("Revoke the selected feed addresses"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[CalendarFeed]) -> None:
        count = sum(
            services.calendar_feed_revoke(actor=feed.user)
            for feed in queryset.filter(revoked_at__isnull=True).select_related("user")
        )
        self.message_user(
            request, _("%(n)d feed addresses revoked.") % {"n": count}, messages.SUCCESS
        )


@admin.register(DigestRun)
class DigestRunAdmin(admin.ModelAdmin[DigestRun]):
    list_display = ["recipient", "day", "status", "attempts", "sent_at"]
    list_filter = ["status", "day"]
    search_fields = ["recipient__email", "recipient__full_name"]
    readonly_fields = ["recipient", "day", "status", "claimed_at", "attempts", "sent_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
