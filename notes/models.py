"""Case notes: a dated, typed record of each contact, signed once and never changed.

Signing locks a note below the application as well: a PostgreSQL trigger (migration 0002)
refuses any change to a signed note's content, its participants or its links, and any
deletion, whatever path the write takes (form, API, admin, ORM save, raw SQL). After signing
only the co-signature columns move. Corrections and late additions are addenda, which never
change once written.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from careplans.models import ClientScopedQuerySet, Goal
from casemgmt.accounts.models import NoteFormat
from clients.models import Client, Collateral
from referrals.models import Referral

__all__ = [
    "Addendum",
    "AddendumKind",
    "CaseNote",
    "ContactType",
    "CosignStatus",
    "NoteFormat",
    "NoteStatus",
]


class ContactType(models.TextChoices):
    OFFICE = "office", _("Office visit")
    HOME_VISIT = "home_visit", _("Home visit")
    COMMUNITY = "community", _("Community (out in the field)")
    PHONE = "phone", _("Phone call")
    VIDEO = "video", _("Video call")
    TEXT_EMAIL = "text_email", _("Text or e-mail")
    COLLATERAL = "collateral", _("Collateral contact")
    PROVIDER = "provider", _("Provider contact")
    ATTEMPTED = "attempted", _("Attempted contact / no-show")
    CASE_CONFERENCE = "case_conference", _("Case conference / staffing")


class NoteStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")


class CosignStatus(models.TextChoices):
    NOT_REQUIRED = "", _("Not required")
    PENDING = "pending", _("Awaiting co-signature")
    APPROVED = "approved", _("Co-signed")
    RETURNED = "returned", _("Returned with a comment")


class CaseNoteQuerySet(ClientScopedQuerySet):
    def drafts(self) -> CaseNoteQuerySet:
        return self.filter(status=NoteStatus.DRAFT)

    def signed(self) -> CaseNoteQuerySet:
        return self.filter(status=NoteStatus.SIGNED)


#: The sections of a note, in the order a narrative note reads. DAP and SOAP lay the same
#: sections out under their own headings (notes/formats.py).
SECTION_FIELDS = (
    "purpose",
    "observations",
    "client_quotes",
    "impressions",
    "interventions",
    "next_steps",
)

#: Columns that may change after signing (the co-signature); everything else is locked.
COSIGN_FIELDS = ("cosign_status", "cosigned_by", "cosigned_at", "cosign_comment")


class CaseNote(models.Model):
    """One contact with or about a client: when, how long, how, where, with whom, why, what
    was seen and heard, what the case manager made of it, did, and will do next."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        _("status"), max_length=10, choices=NoteStatus.choices, default=NoteStatus.DRAFT
    )

    contact_at = models.DateTimeField(_("date and time of the contact"))
    duration_minutes = models.PositiveIntegerField(
        _("duration (minutes)"), help_text=_("Time spent, for billing units.")
    )
    contact_type = models.CharField(_("contact type"), max_length=20, choices=ContactType.choices)
    location = models.CharField(_("location"), max_length=200, blank=True)
    client_present = models.BooleanField(_("the client took part"), default=True)
    collaterals = models.ManyToManyField(
        Collateral, blank=True, related_name="case_notes", verbose_name=_("collaterals present")
    )
    other_participants = models.CharField(
        _("other participants"),
        max_length=300,
        blank=True,
        help_text=_("Provider staff and anyone else present, with their role."),
    )

    note_format = models.CharField(
        _("format"), max_length=20, choices=NoteFormat.choices, default=NoteFormat.NARRATIVE
    )
    purpose = models.TextField(_("purpose of the contact"), blank=True)
    observations = models.TextField(_("observations (facts)"), blank=True)
    client_quotes = models.TextField(_("the client's words"), blank=True)
    impressions = models.TextField(_("impressions"), blank=True)
    interventions = models.TextField(_("interventions and resolution"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)

    goals = models.ManyToManyField(
        Goal, blank=True, related_name="notes", verbose_name=_("goals worked on")
    )
    referrals = models.ManyToManyField(
        Referral, blank=True, related_name="notes", verbose_name=_("referrals worked on")
    )

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signed by"),
    )
    #: Signed later than the agency's deadline after the contact (decided when signing).
    late_entry = models.BooleanField(_("late entry"), default=False)

    cosign_status = models.CharField(
        _("co-signature"),
        max_length=10,
        choices=CosignStatus.choices,
        default=CosignStatus.NOT_REQUIRED,
        blank=True,
    )
    cosigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("co-signed by"),
    )
    cosigned_at = models.DateTimeField(_("co-signed at"), null=True, blank=True)
    cosign_comment = models.TextField(_("supervisor's comment"), blank=True)

    search_vector = models.GeneratedField(
        expression=SearchVector(
            "purpose",
            "observations",
            "client_quotes",
            "impressions",
            "interventions",
            "next_steps",
            "location",
            "other_participants",
            config="english",
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    history = HistoricalRecords(excluded_fields=["search_vector"])
    objects = CaseNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["-contact_at", "-pk"]
        indexes = [
            models.Index(fields=["client", "-contact_at"]),
            models.Index(fields=["author", "status"]),
            models.Index(
                fields=["cosign_status"],
                condition=Q(cosign_status="pending"),
                name="note_cosign_pending",
            ),
            GinIndex(fields=["search_vector"], name="note_search_gin"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", signed_at__isnull=True)
                | Q(status="signed", signed_at__isnull=False, signed_by__isnull=False),
                name="note_signed_has_signer",
            ),
            models.CheckConstraint(
                condition=Q(status="signed") | Q(cosign_status=""),
                name="note_cosign_after_signing",
            ),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.contact_at)
        return f"{self.get_contact_type_display()} on {when:%Y-%m-%d %H:%M}"

    @property
    def is_signed(self) -> bool:
        return self.status == NoteStatus.SIGNED

    def is_late(self, signed_at: datetime, deadline_hours: int) -> bool:
        """Signed more than `deadline_hours` of elapsed time after the contact. Both are
        instants, so time zones and daylight-saving changes do not move the line."""
        return signed_at - self.contact_at > timedelta(hours=deadline_hours)


class AddendumKind(models.TextChoices):
    CORRECTION = "correction", _("Correction")
    LATE_ENTRY = "late_entry", _("Late entry (something left out)")
    CLARIFICATION = "clarification", _("Clarification")
    SUPERVISOR_RESPONSE = "supervisor_response", _("Response to the supervisor's comment")


class AddendumQuerySet(ClientScopedQuerySet):
    client_path = "note__client"


class Addendum(models.Model):
    """Added under a signed note, with a reason; signed as it is written and never changed."""

    note = models.ForeignKey(CaseNote, on_delete=models.PROTECT, related_name="addenda")
    kind = models.CharField(_("kind"), max_length=20, choices=AddendumKind.choices)
    reason = models.CharField(_("reason"), max_length=300)
    text = models.TextField(_("addendum"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)

    history = HistoricalRecords()
    objects = AddendumQuerySet.as_manager()

    class Meta:
        verbose_name = _("addendum")
        verbose_name_plural = _("addenda")
        ordering = ["signed_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.note}"
