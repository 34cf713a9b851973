"""Staffing meetings in the admin site: read-only. Meetings are planned, changed and
recorded only through the supervision pages (meeting_services), which write the minutes
into the clients' files; only meetings the user could read in the app are listed."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from casemgmt.admin_mixins import ReadOnlyAdmin

from .models import AgendaItem, Decision, StaffingMeeting


class AgendaItemInline(ReadOnlyAdmin, admin.TabularInline[AgendaItem, StaffingMeeting]):
    model = AgendaItem
    extra = 0
    fields = ("position", "client", "reasons", "added_by_hand", "discussed", "case_note")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AgendaItem]:
        return AgendaItem.objects.visible_to(request.user).select_related("client", "case_note")


@admin.register(StaffingMeeting)
class StaffingMeetingAdmin(ReadOnlyAdmin, admin.ModelAdmin[StaffingMeeting]):
    list_display = ("team", "scheduled_at", "held_at", "facilitator", "status")
    list_filter = ("status", "team")
    list_select_related = ("team", "facilitator")
    date_hierarchy = "scheduled_at"
    inlines = (AgendaItemInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[StaffingMeeting]:
        return StaffingMeeting.objects.visible_to(request.user).select_related(
            "team", "facilitator"
        )


@admin.register(Decision)
class DecisionAdmin(ReadOnlyAdmin, admin.ModelAdmin[Decision]):
    list_display = ("item", "kind", "assigned_to", "due_on", "done_at")
    list_filter = ("kind",)
    list_select_related = ("item__client", "item__meeting__team", "assigned_to")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Decision]:
        return Decision.objects.visible_to(request.user).select_related(
            "item__client", "item__meeting__team", "assigned_to"
        )
