"""The client record (fact sheet) and episodes of care."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casemgmt.accounts import policy
from casemgmt.accounts.models import Team, User


class ClientStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DISCHARGED = "discharged", _("Discharged")


class PayerType(models.TextChoices):
    MEDICAID = "medicaid", _("Medicaid")
    MEDICARE = "medicare", _("Medicare")
    PRIVATE = "private", _("Private insurance")
    UNINSURED = "uninsured", _("Uninsured / self-pay")
    OTHER = "other", _("Other")


class CaseManagementModel(models.TextChoices):
    CLINICAL = "clinical", _("Clinical")
    BROKERAGE = "brokerage", _("Brokerage")
    STRENGTH_BASED = "strength_based", _("Strength-based")


class SexAtBirth(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    INTERSEX = "intersex", _("Intersex")
    UNKNOWN = "unknown", _("Unknown")
    DECLINED = "declined", _("Prefers not to say")


class ReferralSource(models.TextChoices):
    SELF = "self", _("Self")
    FAMILY = "family", _("Family or friend")
    HOSPITAL = "hospital", _("Hospital or emergency department")
    PRIMARY_CARE = "primary_care", _("Primary care")
    COURT = "court", _("Court or probation")
    SCHOOL = "school", _("School")
    SHELTER = "shelter", _("Shelter or housing program")
    COMMUNITY = "community", _("Community agency")
    HOTLINE = "hotline", _("211 or crisis line")
    OTHER = "other", _("Other")


class DischargeReason(models.TextChoices):
    GOALS_MET = "goals_met", _("Goals met")
    CLIENT_CHOICE = "client_choice", _("Client chose to end services")
    TRANSFERRED = "transferred", _("Transferred to another provider")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    MOVED = "moved", _("Moved out of the service area")
    INELIGIBLE = "ineligible", _("No longer eligible")
    DECEASED = "deceased", _("Deceased")
    OTHER = "other", _("Other")


class ClientQuerySet(models.QuerySet["Client"]):
    def visible_to(self, user: policy.AnyUser) -> ClientQuerySet:
        """The records the access policy lets this user read; nothing for anyone else."""
        scope = policy.record_scope(user)
        return self.filter(scope) if scope is not None else self.none()

    def search(self, term: str) -> ClientQuerySet:
        """Name (legal or preferred), record number, member id, or date of birth."""
        term = term.strip()
        if not term:
            return self
        condition = (
            Q(record_number__iexact=term)
            | Q(member_id__iexact=term)
            | Q(legal_first_name__icontains=term)
            | Q(legal_last_name__icontains=term)
            | Q(preferred_name__icontains=term)
        )
        parts = term.split()
        if len(parts) > 1:
            condition |= Q(
                legal_first_name__icontains=parts[0], legal_last_name__icontains=parts[-1]
            )
        born = parse_search_date(term)
        if born is not None:
            condition |= Q(date_of_birth=born)
        return self.filter(condition)


def parse_search_date(term: str) -> date | None:
    """Dates as people type them: 1980-04-30, 04/30/1980, 4/30/1980."""
    from datetime import datetime

    for fmt in ("%Y-%m-%d", "%m/%d/%Y", "%m-%d-%Y"):
        try:
            return datetime.strptime(term.strip(), fmt).date()  # noqa: DTZ007
        except ValueError:
            continue
    return None


class Client(models.Model):
    """A person the agency serves: the fact sheet at the front of the case file."""

    record_number = models.CharField(_("record number"), max_length=20, unique=True, editable=False)
    legal_first_name = models.CharField(_("legal first name"), max_length=100)
    legal_last_name = models.CharField(_("legal last name"), max_length=100)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    pronouns = models.CharField(_("pronouns"), max_length=40, blank=True)
    date_of_birth = models.DateField(_("date of birth"))
    sex_at_birth = models.CharField(
        _("sex assigned at birth"), max_length=20, choices=SexAtBirth.choices, blank=True
    )
    gender_identity = models.CharField(_("gender identity"), max_length=60, blank=True)

    primary_language = models.CharField(_("primary language"), max_length=60, default="English")
    other_languages = ArrayField(
        models.CharField(max_length=60),
        blank=True,
        default=list,
        verbose_name=_("other languages"),
    )
    interpreter_needed = models.BooleanField(_("needs an interpreter"), default=False)

    phone = models.CharField(_("phone"), max_length=30, blank=True)
    phone_ok_to_contact = models.BooleanField(_("may we call or text this number?"), default=False)
    email = models.EmailField(_("e-mail"), blank=True)
    email_ok_to_contact = models.BooleanField(_("may we e-mail?"), default=False)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=40, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    address_ok_to_contact = models.BooleanField(_("may we send mail?"), default=False)

    emergency_contact_name = models.CharField(_("emergency contact"), max_length=200, blank=True)
    emergency_contact_relationship = models.CharField(_("relationship"), max_length=100, blank=True)
    emergency_contact_phone = models.CharField(
        _("emergency contact phone"), max_length=30, blank=True
    )

    payer_type = models.CharField(
        _("payer type"), max_length=20, choices=PayerType.choices, default=PayerType.UNINSURED
    )
    payer_name = models.CharField(_("payer name"), max_length=120, blank=True)
    member_id = models.CharField(_("member id"), max_length=60, blank=True)

    presenting_issue = models.TextField(_("presenting issue"))
    referral_source = models.CharField(
        _("referral source"), max_length=20, choices=ReferralSource.choices
    )
    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="clients", verbose_name=_("team")
    )
    case_management_model = models.CharField(
        _("case-management model"),
        max_length=20,
        choices=CaseManagementModel.choices,
        default=CaseManagementModel.STRENGTH_BASED,
    )
    primary_case_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="primary_clients",
        verbose_name=_("primary case manager"),
    )
    status = models.CharField(
        _("status"), max_length=20, choices=ClientStatus.choices, default=ClientStatus.ACTIVE
    )
    # Optimistic lock: a save based on an older version is refused (see services.client_update).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = ClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("client")
        verbose_name_plural = _("clients")
        ordering = ["legal_last_name", "legal_first_name", "pk"]
        indexes = [
            models.Index(fields=["primary_case_manager", "status"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["date_of_birth"]),
            models.Index(fields=["member_id"]),
            models.Index(fields=["legal_last_name", "legal_first_name"], name="client_name_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.record_number})"

    @property
    def display_name(self) -> str:
        """Preferred name first, as staff should address the person."""
        first = self.preferred_name or self.legal_first_name
        return f"{first} {self.legal_last_name}"

    @property
    def legal_name(self) -> str:
        return f"{self.legal_first_name} {self.legal_last_name}"

    @property
    def age(self) -> int:
        """Age today in the agency's time zone."""
        return self.age_on(timezone.localdate())

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class Episode(models.Model):
    """A period of care: from enrolment to discharge. A client may be re-enrolled later."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="episodes")
    enrolled_on = models.DateField(_("enrolled on"))
    enrolled_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("enrolled by")
    )
    discharged_on = models.DateField(_("discharged on"), null=True, blank=True)
    discharge_reason = models.CharField(
        _("discharge reason"), max_length=20, choices=DischargeReason.choices, blank=True
    )
    discharge_plan = models.TextField(_("discharge plan"), blank=True)
    discharged_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("discharged by"),
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("episode of care")
        verbose_name_plural = _("episodes of care")
        ordering = ["-enrolled_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(discharged_on__isnull=True),
                name="episode_one_open_per_client",
            ),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | Q(discharged_on__gte=F("enrolled_on")),
                name="episode_discharge_after_enrolment",
            ),
            models.CheckConstraint(
                condition=Q(discharged_on__isnull=True) | ~Q(discharge_reason=""),
                name="episode_discharge_has_reason",
            ),
        ]

    def __str__(self) -> str:
        end = self.discharged_on.isoformat() if self.discharged_on else _("open")
        return f"{self.enrolled_on.isoformat()} to {end}"

    @property
    def is_open(self) -> bool:
        return self.discharged_on is None


class SafetyFlag(models.Model):
    """A flag that the client needs safety follow-up (for example a PHQ-9 item 9 answer above
    0). It stays on the client everywhere until someone records the follow-up."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="safety_flags")
    reason = models.CharField(_("reason"), max_length=300)
    source = models.CharField(
        _("source"),
        max_length=100,
        blank=True,
        help_text=_("What raised it, e.g. the measure administration."),
    )
    raised_at = models.DateTimeField(_("raised at"), default=timezone.now)
    raised_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("raised by")
    )
    resolved_at = models.DateTimeField(_("followed up at"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        User,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("followed up by"),
    )
    follow_up = models.TextField(_("follow-up"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("safety flag")
        verbose_name_plural = _("safety flags")
        ordering = ["-raised_at", "-pk"]
        indexes = [models.Index(fields=["client", "resolved_at"])]

    def __str__(self) -> str:
        return self.reason

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


# --- Reassignment ---------------------------------------------------------------------------


class ReassignmentQuerySet(models.QuerySet["Reassignment"]):
    def visible_to(self, user: policy.AnyUser) -> ReassignmentQuerySet:
        scope = policy.record_scope(
            user, team_field="client__team", case_manager_field="client__primary_case_manager"
        )
        return self.filter(scope) if scope is not None else self.none()


class Reassignment(models.Model):
    """A client moved from one primary case manager to another, with the reason: the
    hand-over history. Rows are never changed; one request moving many clients shares a
    `batch`."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="reassignments")
    from_case_manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("from")
    )
    to_case_manager = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    reason = models.TextField(_("reason"))
    batch = models.UUIDField(_("batch"), db_index=True)
    reassigned_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", verbose_name=_("reassigned by")
    )
    reassigned_at = models.DateTimeField(_("reassigned at"), default=timezone.now)

    objects = ReassignmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("reassignment")
        verbose_name_plural = _("reassignments")
        ordering = ["-reassigned_at", "-pk"]
        indexes = [models.Index(fields=["client", "reassigned_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(from_case_manager=F("to_case_manager")),
                name="reassignment_to_someone_else",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="reassignment_has_reason"),
        ]

    def __str__(self) -> str:
        return f"{self.client_id}: {self.from_case_manager_id} -> {self.to_case_manager_id}"


# --- Collaterals ---------------------------------------------------------------------------


class CollateralRelationship(models.TextChoices):
    FAMILY = "family", _("Family member")
    PARTNER = "partner", _("Partner or spouse")
    GUARDIAN = "guardian", _("Legal guardian")
    FRIEND = "friend", _("Friend or neighbour")
    LANDLORD = "landlord", _("Landlord or housing manager")
    PROBATION = "probation", _("Probation or parole officer")
    PROVIDER = "provider", _("Other provider (doctor, therapist, program)")
    SCHOOL = "school", _("School")
    EMPLOYER = "employer", _("Employer")
    FAITH = "faith", _("Faith community")
    OTHER = "other", _("Other")


class CollateralQuerySet(models.QuerySet["Collateral"]):
    def visible_to(self, user: policy.AnyUser) -> CollateralQuerySet:
        scope = policy.record_scope(
            user, team_field="client__team", case_manager_field="client__primary_case_manager"
        )
        return self.filter(scope) if scope is not None else self.none()


class Collateral(models.Model):
    """Someone in the client's life the case manager may need to speak with. Speaking with
    them about the client needs an active release naming them."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="collaterals")
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(
        _("relationship to the client"), max_length=20, choices=CollateralRelationship.choices
    )
    relationship_detail = models.CharField(
        _("relationship, in detail"),
        max_length=200,
        blank=True,
        help_text=_("For example: mother; Judge Ortiz's probation office; primary care doctor."),
    )
    organization = models.CharField(_("organization"), max_length=200, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    best_way_to_reach = models.CharField(
        _("best way and time to reach them"), max_length=200, blank=True
    )
    is_emergency_contact = models.BooleanField(_("emergency contact"), default=False)
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(
        _("still involved"),
        default=True,
        help_text=_("Untick when this person is no longer part of the client's support."),
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = CollateralQuerySet.as_manager()

    class Meta:
        verbose_name = _("collateral")
        verbose_name_plural = _("collaterals")
        ordering = ["-is_active", "name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_relationship_display()})"


# --- Crisis events -------------------------------------------------------------------------


class DistressLevel(models.TextChoices):
    """From emotional distress a case manager handles to a full crisis that goes to the
    designated crisis professional."""

    DISTRESS = "distress", _("Emotional distress")
    ACUTE = "acute", _("Acute distress, no immediate danger")
    CRISIS = "crisis", _("Crisis (meets the agency's definition)")
    IMMINENT = "imminent", _("Imminent danger to self or others")


class CrisisAction(models.TextChoices):
    RESPONDED = "responded", _("Responded immediately")
    LISTENED = "listened", _("Listened and gathered information")
    CONSULTED = "consulted", _("Consulted with others")
    ACTED = "acted", _("Acted to keep everyone safe")
    PLANNED = "planned", _("Planned for the future")


class CrisisOutcome(models.TextChoices):
    STABILIZED = "stabilized", _("Stabilized in the community")
    MOBILE_CRISIS = "mobile_crisis", _("Mobile crisis team responded")
    CRISIS_CENTER = "crisis_center", _("Went to a crisis centre")
    EMERGENCY_DEPARTMENT = "emergency_department", _("Went to an emergency department")
    HOSPITALIZED = "hospitalized", _("Admitted to hospital")
    EMERGENCY_SERVICES = "emergency_services", _("Emergency services (911) called")
    LOST_CONTACT = "lost_contact", _("Lost contact")
    OTHER = "other", _("Other")


class CrisisEventQuerySet(models.QuerySet["CrisisEvent"]):
    def visible_to(self, user: policy.AnyUser) -> CrisisEventQuerySet:
        scope = policy.record_scope(
            user, team_field="client__team", case_manager_field="client__primary_case_manager"
        )
        return self.filter(scope) if scope is not None else self.none()

    def open(self) -> CrisisEventQuerySet:
        return self.filter(closed_at__isnull=True)


class CrisisEvent(models.Model):
    """A crisis the case manager responded to. While it is open the client is flagged on
    every page; it closes when the follow-up is done."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="crisis_events")
    occurred_at = models.DateTimeField(_("when it happened"))
    distress_level = models.CharField(
        _("level of distress"), max_length=20, choices=DistressLevel.choices
    )
    description = models.TextField(_("what happened (facts)"))
    actions = ArrayField(
        models.CharField(max_length=20, choices=CrisisAction.choices),
        verbose_name=_("what you did"),
    )
    actions_detail = models.TextField(_("what you did, in detail"), blank=True)
    consulted_with = models.CharField(_("consulted with"), max_length=300, blank=True)
    crisis_professional_involved = models.BooleanField(
        _("the designated crisis professional was involved"), default=False
    )
    crisis_professional_name = models.CharField(
        _("designated crisis professional"), max_length=200, blank=True
    )
    outcome = models.CharField(_("outcome"), max_length=30, choices=CrisisOutcome.choices)
    outcome_detail = models.TextField(_("outcome, in detail"), blank=True)
    safety_plan = models.TextField(_("safety plan"), blank=True)
    follow_up_on = models.DateField(_("follow up on"))
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    closing_note = models.TextField(_("follow-up done"), blank=True)

    history = HistoricalRecords()
    objects = CrisisEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("crisis event")
        verbose_name_plural = _("crisis events")
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["client", "closed_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(crisis_professional_involved=False) | ~Q(crisis_professional_name=""),
                name="crisis_professional_named",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True) | ~Q(closing_note=""),
                name="crisis_closing_note_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_distress_level_display()} on {self.occurred_at:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


# --- Releases of information -------------------------------------------------------------


class ReleaseCategory(models.TextChoices):
    """Categories of information a release may cover. Psychotherapy notes are never
    disclosed under a general release, so they are not a choice."""

    GENERAL = "general", _("General case-management information")
    MENTAL_HEALTH = "mental_health", _("General mental health information")
    SUD_PART2 = "sud_part2", _("Substance-use disorder records (42 CFR Part 2)")
    HIV = "hiv", _("HIV-related information")
    OTHER = "other", _("Other (described)")


class ReleasePurpose(models.TextChoices):
    REFERRAL = "referral", _("Referral and linkage to services")
    COORDINATION = "coordination", _("Coordination of care")
    BENEFITS = "benefits", _("Benefits and entitlements")
    HOUSING = "housing", _("Housing applications")
    LEGAL = "legal", _("Legal or court matters")
    FAMILY = "family", _("Communication with family")
    OTHER = "other", _("Other (described)")


class SignerRelationship(models.TextChoices):
    SELF = "self", _("The client")
    PARENT = "parent", _("Parent of a minor")
    GUARDIAN = "guardian", _("Legal guardian")
    REPRESENTATIVE = "representative", _("Personal representative / power of attorney")


class SignatureMethod(models.TextChoices):
    WET = "wet", _("Signed on paper")
    ELECTRONIC = "electronic", _("Signed electronically")


class ReleaseStatus(models.TextChoices):
    PENDING = "pending", _("Not yet in effect")
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")


class ReleaseQuerySet(models.QuerySet["ReleaseOfInformation"]):
    def visible_to(self, user: policy.AnyUser) -> ReleaseQuerySet:
        scope = policy.record_scope(
            user, team_field="client__team", case_manager_field="client__primary_case_manager"
        )
        return self.filter(scope) if scope is not None else self.none()

    def active_on(self, day: date) -> ReleaseQuerySet:
        """In effect on `day`: effective, not expired, not revoked."""
        return self.filter(
            Q(effective_on__lte=day),
            Q(expires_on__isnull=True) | Q(expires_on__gte=day),
            Q(revoked_on__isnull=True) | Q(revoked_on__gt=day),
        ).exclude(
            Q(expired_by_event=True)
            & (Q(event_happened_on__isnull=True) | Q(event_happened_on__lte=day))
        )


class ReleaseOfInformation(models.Model):
    """The client's written permission to disclose named information to a named recipient
    for stated purposes until a date or event, revocable at any time."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="releases")
    discloser = models.CharField(
        _("who may disclose"),
        max_length=200,
        help_text=_("Usually the agency; name a program if the release is narrower."),
    )
    #: The directory organization receiving the information, when it is one (a soft
    #: reference: the directory lives in the referrals app, which builds on clients).
    recipient_organization_id = models.UUIDField(null=True, blank=True, db_index=True)
    #: The collateral receiving the information, when it is one: contact with a collateral
    #: about the client needs an active release naming them.
    recipient_collateral = models.ForeignKey(
        Collateral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="releases",
        verbose_name=_("collateral"),
    )
    recipient_name = models.CharField(_("recipient"), max_length=300)
    recipient_details = models.CharField(
        _("recipient's address or contact"), max_length=300, blank=True
    )
    purposes = ArrayField(
        models.CharField(max_length=20, choices=ReleasePurpose.choices), verbose_name=_("purposes")
    )
    purpose_other = models.CharField(_("other purpose"), max_length=300, blank=True)
    categories = ArrayField(
        models.CharField(max_length=20, choices=ReleaseCategory.choices),
        verbose_name=_("information covered"),
    )
    category_other = models.CharField(_("other information"), max_length=300, blank=True)
    effective_on = models.DateField(_("effective from"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    expiration_event = models.CharField(_("or expires when"), max_length=300, blank=True)
    expired_by_event = models.BooleanField(_("the expiration event has happened"), default=False)
    event_happened_on = models.DateField(
        _("the expiration event happened on"), null=True, blank=True
    )
    event_note = models.TextField(_("what happened"), blank=True)
    signer_name = models.CharField(_("signed by"), max_length=200)
    signer_relationship = models.CharField(
        _("signer is"), max_length=20, choices=SignerRelationship.choices
    )
    signer_authority = models.CharField(
        _("signer's authority"),
        max_length=300,
        blank=True,
        help_text=_(
            "For someone other than the client: the court order, guardianship or power of attorney."
        ),
    )
    signature_method = models.CharField(
        _("how it was signed"), max_length=20, choices=SignatureMethod.choices
    )
    signed_on = models.DateField(_("signed on"))
    ack_right_to_revoke = models.BooleanField(
        _("the client was told they may revoke this release at any time"), default=False
    )
    ack_no_conditioning = models.BooleanField(
        _("the client was told services do not depend on signing"), default=False
    )
    ack_redisclosure = models.BooleanField(
        _(
            "the client was told information may be redisclosed by the recipient and then "
            "no longer protected"
        ),
        default=False,
    )
    scanned_copy = models.FileField(_("scanned copy"), upload_to="releases/", blank=True)
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True)
    revocation_method = models.CharField(_("how it was revoked"), max_length=200, blank=True)
    revoked_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = ReleaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("release of information")
        verbose_name_plural = _("releases of information")
        ordering = ["-effective_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=False) | ~Q(expiration_event=""),
                name="release_has_an_end",
            ),
            models.CheckConstraint(
                condition=Q(
                    ack_right_to_revoke=True, ack_no_conditioning=True, ack_redisclosure=True
                ),
                name="release_statements_acknowledged",
            ),
            models.CheckConstraint(
                condition=Q(revoked_on__isnull=True) | ~Q(revocation_method=""),
                name="release_revocation_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"Release to {self.recipient_name} ({self.get_status_display()})"

    def status_on(self, day: date) -> ReleaseStatus:
        if self.revoked_on is not None and self.revoked_on <= day:
            return ReleaseStatus.REVOKED
        ended_by_event = self.expired_by_event and (
            self.event_happened_on is None or self.event_happened_on <= day
        )
        if ended_by_event or (self.expires_on is not None and self.expires_on < day):
            return ReleaseStatus.EXPIRED
        if self.effective_on > day:
            return ReleaseStatus.PENDING
        return ReleaseStatus.ACTIVE

    @property
    def status(self) -> ReleaseStatus:
        return self.status_on(timezone.localdate())

    def get_status_display(self) -> str:
        return str(self.status.label)

    def covers(self, categories: set[str]) -> bool:
        return categories <= set(self.categories)


class Disclosure(models.Model):
    """The client's accounting of disclosures: what went to whom, when, under which release
    (or which exception). Written once, never changed."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="disclosures")
    disclosed_at = models.DateTimeField(default=timezone.now)
    recipient_name = models.CharField(max_length=300)
    recipient_organization_id = models.UUIDField(null=True, blank=True)
    what = models.TextField(help_text="The sections and documents disclosed.")
    categories = ArrayField(models.CharField(max_length=20, choices=ReleaseCategory.choices))
    release = models.ForeignKey(
        ReleaseOfInformation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disclosures",
    )
    exception = models.CharField(max_length=300, blank=True)
    purpose = models.CharField(max_length=300, blank=True)
    disclosed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    redisclosure_notice = models.BooleanField(
        default=False, help_text="The 42 CFR Part 2 notice went with the disclosure."
    )

    class Meta:
        verbose_name = _("disclosure")
        verbose_name_plural = _("accounting of disclosures")
        ordering = ["-disclosed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.disclosed_at:%Y-%m-%d} to {self.recipient_name}"


class ClientDocument(models.Model):
    """A document kept on the client's file (ID card, benefits letter, discharge summary)."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    category = models.CharField(
        _("information category"),
        max_length=20,
        choices=ReleaseCategory.choices,
        default=ReleaseCategory.GENERAL,
    )
    file = models.FileField(_("file"), upload_to="client-documents/")
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-uploaded_at"]

    def __str__(self) -> str:
        return self.title
