"""The provider directory (shaped after Open Referral HSDS 3.0) and closed-loop referrals.

Directory rows keep their HSDS ids (UUIDs; non-UUID ids from older exports become uuid5), so
a re-import updates rather than duplicates and an export round-trips."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from careplans.models import ClientScopedQuerySet, Goal
from clients.models import (
    Client,
    ClientDocument,
    PayerType,
    ReleaseCategory,
    ReleaseOfInformation,
)

# --- Directory ---------------------------------------------------------------------------


class Organization(models.Model):
    id = models.UUIDField(primary_key=True)
    name = models.CharField(_("name"), max_length=300)
    alternate_name = models.CharField(_("alternate name"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    website = models.CharField(_("website"), max_length=500, blank=True)
    tax_status = models.CharField(_("tax status"), max_length=100, blank=True)
    tax_id = models.CharField(_("tax id"), max_length=100, blank=True)
    year_incorporated = models.PositiveSmallIntegerField(null=True, blank=True)
    legal_status = models.CharField(_("legal status"), max_length=100, blank=True)
    is_internal = models.BooleanField(
        _("one of our own programs"),
        default=False,
        help_text=_("Referrals to the agency's own programs are internal referrals."),
    )
    last_modified = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Taxonomy(models.Model):
    id = models.UUIDField(primary_key=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    uri = models.CharField(max_length=500, blank=True)
    version = models.CharField(max_length=50, blank=True)

    class Meta:
        verbose_name = _("taxonomy")
        verbose_name_plural = _("taxonomies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TaxonomyTerm(models.Model):
    """A service category (HSDS taxonomy term)."""

    id = models.UUIDField(primary_key=True)
    taxonomy = models.ForeignKey(
        Taxonomy, on_delete=models.CASCADE, null=True, blank=True, related_name="terms"
    )
    code = models.CharField(_("code"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    parent = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children"
    )
    term_uri = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["name"]
        indexes = [models.Index(fields=["code"])]

    def __str__(self) -> str:
        return self.name


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    INACTIVE = "inactive", _("Inactive")
    DEFUNCT = "defunct", _("Defunct")
    TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")


class ServiceQuerySet(models.QuerySet["Service"]):
    def offered(self) -> ServiceQuerySet:
        """Services a case manager may refer to."""
        return self.filter(status=ServiceStatus.ACTIVE)


class Service(models.Model):
    id = models.UUIDField(primary_key=True)
    #: Optional, as in HSDS 3.0: an imported service may name an organization the file does
    #: not hold. Referrals are not made to such a service until an administrator adds it.
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="services", null=True, blank=True
    )
    name = models.CharField(_("name"), max_length=300)
    alternate_name = models.CharField(_("alternate name"), max_length=300, blank=True)
    description = models.TextField(_("description"), blank=True)
    url = models.CharField(_("website"), max_length=500, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    status = models.CharField(
        _("status"), max_length=30, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    interpretation_services = models.TextField(_("interpretation services"), blank=True)
    application_process = models.TextField(_("how to apply"), blank=True)
    fees_description = models.TextField(_("fees"), blank=True)
    wait_time = models.TextField(_("wait time (as published)"), blank=True)
    accreditations = models.TextField(_("accreditations"), blank=True)
    licenses = models.TextField(_("licenses"), blank=True)
    eligibility_description = models.TextField(_("eligibility"), blank=True)
    minimum_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    alert = models.TextField(_("alert"), blank=True)
    languages = ArrayField(
        models.CharField(max_length=60), blank=True, default=list, verbose_name=_("languages")
    )
    required_documents = ArrayField(
        models.CharField(max_length=300),
        blank=True,
        default=list,
        verbose_name=_("documents to bring"),
    )
    payers_accepted = ArrayField(
        models.CharField(max_length=20, choices=PayerType.choices),
        blank=True,
        default=list,
        verbose_name=_("payers accepted"),
    )
    accepting_new_clients = models.BooleanField(_("accepting new clients"), default=True)
    wait_time_days = models.PositiveSmallIntegerField(
        _("wait time (days)"),
        null=True,
        blank=True,
        help_text=_("As verified with the provider."),
    )
    capacity_note = models.TextField(_("capacity note"), blank=True)
    last_verified_on = models.DateField(_("last verified"), null=True, blank=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    categories = models.ManyToManyField(
        TaxonomyTerm, blank=True, related_name="services", verbose_name=_("categories")
    )
    last_modified = models.DateTimeField(default=timezone.now)
    search_vector = SearchVectorField(null=True, editable=False)

    history = HistoricalRecords(excluded_fields=["search_vector"])
    objects = ServiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["name"]
        indexes = [
            GinIndex(fields=["search_vector"], name="service_search_gin"),
            GinIndex(fields=["languages"], name="service_languages_gin"),
            models.Index(fields=["status", "accepting_new_clients"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_internal(self) -> bool:
        return self.organization is not None and self.organization.is_internal

    @property
    def provider_name(self) -> str:
        """Who provides the service, to name in notes and disclosures: its organization, or
        the service itself when the directory records no organization."""
        return str(self.organization) if self.organization is not None else str(self)

    def verification_stale(self, *, max_age_days: int, today: dt.date | None = None) -> bool:
        """True when nobody has verified the service within `max_age_days`."""
        today = today or timezone.localdate()
        return self.last_verified_on is None or (
            today - self.last_verified_on > dt.timedelta(days=max_age_days)
        )


class LocationType(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    POSTAL = "postal", _("Postal")
    VIRTUAL = "virtual", _("Virtual")


class Location(models.Model):
    id = models.UUIDField(primary_key=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="locations"
    )
    location_type = models.CharField(
        max_length=20, choices=LocationType.choices, default=LocationType.PHYSICAL
    )
    name = models.CharField(_("name"), max_length=300, blank=True)
    alternate_name = models.CharField(max_length=300, blank=True)
    description = models.TextField(blank=True)
    transportation = models.TextField(_("transportation"), blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    url = models.CharField(max_length=500, blank=True)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name or str(self.id)


class Address(models.Model):
    id = models.UUIDField(primary_key=True)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="addresses")
    attention = models.CharField(max_length=200, blank=True)
    address_1 = models.CharField(_("address"), max_length=300)
    address_2 = models.CharField(_("address line 2"), max_length=300, blank=True)
    city = models.CharField(_("city"), max_length=100)
    region = models.CharField(max_length=100, blank=True)
    state_province = models.CharField(_("state"), max_length=100)
    postal_code = models.CharField(_("postal code"), max_length=20)
    country = models.CharField(_("country"), max_length=2, default="US")
    address_type = models.CharField(
        max_length=20, choices=LocationType.choices, default=LocationType.PHYSICAL
    )

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        indexes = [models.Index(fields=["city"]), models.Index(fields=["postal_code"])]

    def __str__(self) -> str:
        return f"{self.address_1}, {self.city} {self.state_province} {self.postal_code}"


class Accessibility(models.Model):
    id = models.UUIDField(primary_key=True)
    location = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="accessibility")
    description = models.TextField(blank=True)
    details = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return self.description[:80]


class ServiceAtLocation(models.Model):
    id = models.UUIDField(primary_key=True)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="service_at_locations"
    )
    description = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="sal_unique_pair"),
        ]

    def __str__(self) -> str:
        return f"{self.service} at {self.location}"


class Contact(models.Model):
    id = models.UUIDField(primary_key=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="contacts"
    )
    name = models.CharField(_("name"), max_length=200, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    department = models.CharField(_("department"), max_length=200, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)

    def __str__(self) -> str:
        return self.name or self.email or str(self.id)


class Phone(models.Model):
    id = models.UUIDField(primary_key=True)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    contact = models.ForeignKey(
        Contact, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, null=True, blank=True, related_name="phones"
    )
    number = models.CharField(_("number"), max_length=50)
    extension = models.CharField(_("extension"), max_length=20, blank=True)
    type = models.CharField(_("type"), max_length=20, blank=True)
    description = models.TextField(blank=True)
    languages = ArrayField(models.CharField(max_length=60), blank=True, default=list)

    def __str__(self) -> str:
        return self.number + (f" x{self.extension}" if self.extension else "")


class Schedule(models.Model):
    id = models.UUIDField(primary_key=True)
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    service_at_location = models.ForeignKey(
        ServiceAtLocation, on_delete=models.CASCADE, null=True, blank=True, related_name="schedules"
    )
    freq = models.CharField(max_length=10, blank=True)
    interval = models.PositiveSmallIntegerField(null=True, blank=True)
    byday = models.CharField(max_length=50, blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    description = models.TextField(blank=True)
    notes = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.description or f"{self.byday} {self.opens_at}-{self.closes_at}"


class ImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class DirectoryImport(models.Model):
    """One import of an HSDS file: progress while it runs, counts and skipped rows after."""

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source_name = models.CharField(max_length=300)
    upload = models.FileField(upload_to="directory-imports/", blank=True)
    status = models.CharField(
        max_length=20, choices=ImportStatus.choices, default=ImportStatus.PENDING
    )
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=100, blank=True)
    #: {"organization": {"created": 10, "updated": 2, "skipped": 1}, …}
    counts = models.JSONField(default=dict, blank=True)
    #: [{"table": "services", "row": 12, "id": "…", "reason": "…"}, …]
    skipped = models.JSONField(default=list, blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.source_name} ({self.get_status_display()})"


# --- Referrals ---------------------------------------------------------------------------


class ReferralStatus(models.TextChoices):
    """Aligned with the FHIR Task status codes a referral uses."""

    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Declined by the provider")
    CANCELLED = "cancelled", _("Cancelled")
    IN_PROGRESS = "in_progress", _("In progress")
    ON_HOLD = "on_hold", _("On hold")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")


#: Which status may follow which (the FHIR Task state machine, as practice uses it).
REFERRAL_TRANSITIONS: dict[str, tuple[str, ...]] = {
    ReferralStatus.DRAFT: (ReferralStatus.SENT, ReferralStatus.CANCELLED),
    ReferralStatus.SENT: (
        ReferralStatus.ACCEPTED,
        ReferralStatus.REJECTED,
        ReferralStatus.CANCELLED,
        ReferralStatus.FAILED,
    ),
    ReferralStatus.ACCEPTED: (
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.CANCELLED,
        ReferralStatus.ON_HOLD,
        ReferralStatus.FAILED,
    ),
    ReferralStatus.IN_PROGRESS: (
        ReferralStatus.ON_HOLD,
        ReferralStatus.COMPLETED,
        ReferralStatus.FAILED,
        ReferralStatus.CANCELLED,
    ),
    ReferralStatus.ON_HOLD: (
        ReferralStatus.IN_PROGRESS,
        ReferralStatus.CANCELLED,
        ReferralStatus.FAILED,
    ),
    ReferralStatus.REJECTED: (),
    ReferralStatus.CANCELLED: (),
    ReferralStatus.COMPLETED: (),
    ReferralStatus.FAILED: (),
}


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent (within days)")
    EMERGENCY = "emergency", _("Emergency (today)")


class PacketSection(models.TextChoices):
    """What the packet may contain; the case manager picks the minimum necessary."""

    IDENTITY = "identity", _("Name and date of birth")
    CONTACT = "contact", _("How to reach the client (as they consented)")
    LANGUAGE = "language", _("Language and interpreter need")
    PRESENTING_ISSUE = "presenting_issue", _("Presenting issue summary")
    DESIRED_SERVICES = "desired_services", _("Services wanted")
    PAY_INFORMATION = "pay_information", _("Pay information")
    GOAL = "goal", _("The plan goal this serves")
    MEASURES = "measures", _("Recent standardized measure scores")
    SUBSTANCE_USE = "substance_use", _("Substance-use treatment information (42 CFR Part 2)")
    BACKSTORY = "backstory", _("Assessment narrative (the back-story)")


#: The categories of information each section discloses: the release must cover each.
SECTION_CATEGORIES: dict[str, tuple[str, ...]] = {
    PacketSection.IDENTITY: (ReleaseCategory.GENERAL,),
    PacketSection.CONTACT: (ReleaseCategory.GENERAL,),
    PacketSection.LANGUAGE: (ReleaseCategory.GENERAL,),
    PacketSection.PRESENTING_ISSUE: (ReleaseCategory.GENERAL,),
    PacketSection.DESIRED_SERVICES: (ReleaseCategory.GENERAL,),
    PacketSection.PAY_INFORMATION: (ReleaseCategory.GENERAL,),
    PacketSection.GOAL: (ReleaseCategory.GENERAL,),
    PacketSection.MEASURES: (ReleaseCategory.MENTAL_HEALTH,),
    PacketSection.SUBSTANCE_USE: (ReleaseCategory.SUD_PART2,),
    PacketSection.BACKSTORY: (ReleaseCategory.MENTAL_HEALTH,),
}

#: What a new referral's packet holds unless the case manager changes it.
DEFAULT_SECTIONS = (
    PacketSection.IDENTITY,
    PacketSection.CONTACT,
    PacketSection.LANGUAGE,
    PacketSection.PRESENTING_ISSUE,
    PacketSection.DESIRED_SERVICES,
    PacketSection.PAY_INFORMATION,
    PacketSection.GOAL,
)


class ConsentException(models.TextChoices):
    COURT_ORDERED = "court_ordered", _("Court-ordered")
    LIFE_AT_RISK = "life_at_risk", _("Life at risk")


class Outcome(models.TextChoices):
    CONNECTED = "connected", _("Connected to the service")
    NOT_CONNECTED = "not_connected", _("Not connected")


class Referral(models.Model):
    """A referral of a client, for a plan goal, to a directory service."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="referrals")
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    is_internal = models.BooleanField(_("internal referral"), default=False)
    case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )

    reason = models.TextField(_("reason for referral"))
    presenting_issue_summary = models.TextField(_("presenting issue summary"))
    desired_services = models.TextField(_("services wanted"))
    urgency = models.CharField(
        _("urgency"), max_length=20, choices=Urgency.choices, default=Urgency.ROUTINE
    )
    payer_type = models.CharField(
        _("payer type"), max_length=20, choices=PayerType.choices, blank=True
    )
    payer_name = models.CharField(_("payer"), max_length=120, blank=True)
    member_id = models.CharField(_("member id"), max_length=60, blank=True)
    target_date = models.DateField(_("connect by"))
    review_date = models.DateField(_("review on"))

    packet_sections = ArrayField(
        models.CharField(max_length=30, choices=PacketSection.choices),
        default=list,
        verbose_name=_("packet contents"),
    )
    packet_documents = ArrayField(
        models.BigIntegerField(), default=list, blank=True, verbose_name=_("documents included")
    )

    # Consent: the release that covered the disclosure, or a reviewed exception.
    release = models.ForeignKey(
        ReleaseOfInformation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    consent_exception = models.CharField(
        max_length=20, choices=ConsentException.choices, blank=True
    )
    exception_justification = models.TextField(_("why without consent"), blank=True)
    exception_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    exception_reviewed_at = models.DateTimeField(null=True, blank=True)
    exception_review_note = models.TextField(blank=True)

    # Warm hand-off and the provider's side.
    handoff_contact = models.CharField(_("spoke with"), max_length=200, blank=True)
    handoff_at = models.DateTimeField(_("when"), null=True, blank=True)
    handoff_method = models.CharField(_("how"), max_length=100, blank=True)
    rejection_reason = models.TextField(blank=True)
    cancel_reason = models.TextField(blank=True)
    intake_on = models.DateField(_("intake scheduled"), null=True, blank=True)
    tour_on = models.DateField(_("tour"), null=True, blank=True)
    attended_intake = models.BooleanField(null=True, blank=True)
    service_started_on = models.DateField(_("service started"), null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    outcome_reason = models.TextField(blank=True)
    fit_review_on = models.DateField(null=True, blank=True)
    fit_review_decision = models.CharField(max_length=30, blank=True)

    sent_at = models.DateTimeField(null=True, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "sent_at"]),
            models.Index(fields=["service", "status"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(consent_exception="") | ~Q(exception_justification=""),
                name="referral_exception_justified",
            ),
        ]

    def __str__(self) -> str:
        return f"Referral to {self.service} ({self.get_status_display()})"

    def packet_categories(self, documents: list[ClientDocument] | None = None) -> set[str]:
        """The categories of information the packet discloses: from its sections and from
        the category of each document included (an HIV test result adds HIV)."""
        categories = {c for s in self.packet_sections for c in SECTION_CATEGORIES.get(s, ())}
        categories |= {d.category for d in documents or ()}
        return categories

    def can_move_to(self, status: str) -> bool:
        return status in REFERRAL_TRANSITIONS.get(self.status, ())


class ReferralOption(models.Model):
    """A service offered to the client while choosing; the client's choice is marked."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="options")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="+")
    chosen = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["referral", "service"], name="option_once"),
            models.UniqueConstraint(
                fields=["referral"], condition=Q(chosen=True), name="option_one_choice"
            ),
        ]

    def __str__(self) -> str:
        return str(self.service)


class ReferralEvent(models.Model):
    """Every status change and update: who (staff or the provider via the link), when."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReferralStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(
        max_length=200, blank=True, help_text="Who acted when not a staff member."
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


class ProviderLink(models.Model):
    """A secure, expiring, revocable link for the receiving provider. Only a hash of the
    token is kept."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="links")
    token_hash = models.CharField(max_length=64, unique=True)
    sent_to = models.EmailField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Link for {self.referral_id} to {self.sent_to}"

    def is_usable(self, now: dt.datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class ProviderLinkAccess(models.Model):
    """Every view of and action through a provider link: when, from where, what."""

    link = models.ForeignKey(ProviderLink, on_delete=models.CASCADE, related_name="accesses")
    at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=50)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"
