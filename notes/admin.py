"""Case notes in the admin site: read-only. Notes and addenda are written, signed and
co-signed only through notes.services (the pages), and a signed note never changes (the
database refuses it too). Only notes the user could read in the app are listed (signed
notes in their scope and their own drafts): an administrator without a clinical role sees
none."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from casemgmt.admin_mixins import ReadOnlyAdmin

from .models import Addendum, CaseNote
from .selectors import notes_visible_to


class AddendumInline(ReadOnlyAdmin, admin.TabularInline[Addendum, CaseNote]):
    model = Addendum
    extra = 0
    fields = ("kind", "reason", "text", "author", "signed_at")


@admin.register(CaseNote)
class CaseNoteAdmin(ReadOnlyAdmin, admin.ModelAdmin[CaseNote]):
    list_display = (
        "client",
        "contact_at",
        "contact_type",
        "author",
        "status",
        "late_entry",
        "cosign_status",
    )
    list_filter = ("status", "contact_type", "late_entry", "cosign_status")
    list_select_related = ("client", "author")
    date_hierarchy = "contact_at"
    inlines = (AddendumInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[CaseNote]:
        return notes_visible_to(request.user).select_related("client", "author")


@admin.register(Addendum)
class AddendumAdmin(ReadOnlyAdmin, admin.ModelAdmin[Addendum]):
    list_display = ("note", "kind", "author", "signed_at")
    list_filter = ("kind",)
    list_select_related = ("note__client", "author")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Addendum]:
        return Addendum.objects.visible_to(request.user).select_related("note", "author")
