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
