"""Users (e-mail login), roles, teams and the agency they work for."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class Role(models.TextChoices):
    CASE_MANAGER = "case_manager", _("Case manager")
    SUPERVISOR = "supervisor", _("Supervisor")
    ADMIN = "admin", _("Administrator")


def validate_time_zone(value: str) -> None:
    """A zone name from the IANA database (kept out of the field's choices so migrations do
    not change whenever the database does)."""
    if value and value not in available_timezones():
        raise ValidationError(_("%(zone)s is not a time zone we know."), params={"zone": value})


class NoteFormat(models.TextChoices):
    """How a case note's sections are laid out; the sections themselves are the same."""

    NARRATIVE = "narrative", _("Narrative")
    DAP = "dap", _("DAP (data, assessment, plan)")
    SOAP = "soap", _("SOAP (subjective, objective, assessment, plan)")


#: Wording the note-quality hints look for. One entry per line: the wording, then " => " and
#: what to write instead. Administrators edit the lists on the agency settings.
DEFAULT_NON_PERSON_FIRST_TERMS = """schizophrenic => person living with schizophrenia
an addict => person with a substance use disorder
addict => person who uses drugs / person with a substance use disorder
alcoholic => person with an alcohol use disorder
the mentally ill => people living with mental illness
mentally ill person => person living with a mental illness
a bipolar => person living with bipolar disorder
junkie => person who uses drugs
crazy => describe what was observed
psycho => describe what was observed
the homeless => people experiencing homelessness
homeless person => person experiencing homelessness
suffers from => lives with / has
wheelchair-bound => uses a wheelchair
retarded => person with an intellectual disability"""

DEFAULT_JUDGMENTAL_TERMS = """noncompliant => chose not to (say what, and the client's reasons)
non-compliant => chose not to (say what, and the client's reasons)
manipulative => describe the behaviour observed
refused => declined
attention-seeking => describe the behaviour observed
drug-seeking => asked for (name the medication)
uncooperative => describe what happened
lazy => describe what was observed
unmotivated => describe what the client said about their goals
resistant => not ready / has concerns about (say which)
claims => said / reports
denies => says they do not
difficult client => describe what happened
dirty => unwashed / describe what was observed
clean => not using / in recovery"""

DEFAULT_IMPRESSION_TERMS = """seems => move to impressions, or describe what you saw and heard
seemed => move to impressions, or describe what you saw and heard
appears => move to impressions, or describe what you saw and heard
appeared => move to impressions, or describe what you saw and heard
i think => move to impressions
i feel => move to impressions
i believe => move to impressions
probably => move to impressions
likely => move to impressions
obviously => move to impressions, or describe what you saw and heard
clearly => move to impressions, or describe what you saw and heard"""


class Agency(models.Model):
    """The organisation running Casework; one row per installation."""

    name = models.CharField(_("name"), max_length=200)
    crisis_line = models.CharField(_("crisis line"), max_length=100, blank=True)

    # Agency settings: the rules of practice an administrator configures without code.
    review_interval_days = models.PositiveIntegerField(
        _("service plan review interval (days)"),
        default=90,
        help_text=_("A plan is reviewed no later than this many days after service starts."),
    )
    early_review_days = models.PositiveIntegerField(
        _("earliest routine review (days)"),
        default=30,
        help_text=_("A review sooner than this after service starts needs a reason."),
    )
    plan_approval_required = models.BooleanField(
        _("service plans need supervisor approval"),
        default=True,
    )
    stale_directory_days = models.PositiveIntegerField(
        _("warn when a service was last verified more than (days)"),
        default=180,
    )
    provider_response_business_days = models.PositiveIntegerField(
        _("follow up when a provider has not answered after (business days)"),
        default=3,
    )
    provider_link_days = models.PositiveIntegerField(
        _("a provider's referral link works for (days)"),
        default=14,
    )
    fit_review_days = models.PositiveIntegerField(
        _("review the fit of a service this many days after it starts"),
        default=60,
    )
    crisis_definition = models.TextField(
        _("crisis definition"),
        blank=True,
        default="A situation in which the person is at risk of harming themselves or others, "
        "or cannot meet their basic needs for safety, food or shelter.",
    )
    crisis_action_plan = models.TextField(
        _("crisis action plan"),
        blank=True,
        default="Stay with the person, or keep them on the line. Ask directly about thoughts "
        "of suicide and any plan or means. If there is immediate danger call 911. Otherwise "
        "call the designated crisis professional now, and offer 988 (call or text). Do not "
        "leave the person alone until a safety plan is in place. Tell your supervisor the "
        "same day and record a crisis event.",
    )

    # Case notes.
    note_deadline_hours = models.PositiveIntegerField(
        _("sign case notes within (hours of the contact)"),
        default=72,
        help_text=_("A note signed later than this after the contact is marked late entry."),
    )
    default_note_format = models.CharField(
        _("default note format"),
        max_length=20,
        choices=NoteFormat.choices,
        default=NoteFormat.NARRATIVE,
    )
    notes_cosign_required = models.BooleanField(
        _("every signed case note needs a supervisor's co-signature"),
        default=False,
        help_text=_("Co-signature can also be asked for one staff member at a time."),
    )
    non_person_first_terms = models.TextField(
        _("wording that is not person-first"),
        blank=True,
        default=DEFAULT_NON_PERSON_FIRST_TERMS,
        help_text=_('One per line: the wording, " => ", then what to write instead.'),
    )
    judgmental_terms = models.TextField(
        _("judgmental wording"),
        blank=True,
        default=DEFAULT_JUDGMENTAL_TERMS,
        help_text=_('One per line: the wording, " => ", then what to write instead.'),
    )
    impression_terms = models.TextField(
        _("words that signal an impression in the facts section"),
        blank=True,
        default=DEFAULT_IMPRESSION_TERMS,
        help_text=_('One per line: the wording, " => ", then what to do instead.'),
    )

    # Reminders.
    reminder_lead_days = models.PositiveIntegerField(
        _("first reminder (days before a review or target date)"), default=14
    )
    reminder_short_lead_days = models.PositiveIntegerField(
        _("second reminder (days before)"), default=3
    )
    escalation_days = models.PositiveIntegerField(
        _("tell the supervisor when an item is overdue by (days)"), default=3
    )
    monitoring_contact_days = models.PositiveIntegerField(
        _("monthly monitoring: a contact note at least every (days)"), default=30
    )
    release_expiry_warning_days = models.PositiveIntegerField(
        _("warn this many days before a release of information expires"), default=30
    )

    # Sessions.
    session_timeout_minutes = models.PositiveIntegerField(
        _("sign out after this many minutes without activity"),
        default=30,
        validators=[MinValueValidator(5), MaxValueValidator(720)],
    )

    # Supervision: how much each kind of need adds to a case manager's weighted load. Every
    # active client counts 1; each open crisis event, open safety flag and high-need domain
    # in the client's latest completed assessment adds its weight.
    acuity_weight_crisis = models.PositiveIntegerField(
        _("weight of an open crisis event"), default=3
    )
    acuity_weight_safety_flag = models.PositiveIntegerField(
        _("weight of an open safety flag"), default=2
    )
    acuity_weight_high_need = models.PositiveIntegerField(
        _("weight of each high-need domain"), default=1
    )

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")

    def __str__(self) -> str:
        return self.name

    @classmethod
    def for_team(cls, team_id: int) -> Agency:
        return cls.objects.get(teams__pk=team_id)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: Any) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.full_clean(exclude=["password"])
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("is_agency_admin", True)
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    """A member of staff. Roles are additive: an admin sees no client record unless they also
    hold a clinical role (case manager or supervisor)."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200)
    is_case_manager = models.BooleanField(_("case manager"), default=False)
    is_supervisor = models.BooleanField(_("supervisor"), default=False)
    is_agency_admin = models.BooleanField(
        _("administrator"),
        default=False,
        help_text=_("Manages users, teams and configuration."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("Django admin access"),
        default=False,
        help_text=_("May log in to the configuration admin site."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    time_zone = models.CharField(
        _("time zone"),
        max_length=60,
        blank=True,
        validators=[validate_time_zone],
        help_text=_(
            "Dates and times are shown and entered in this zone; blank: the agency's (the "
            "TIME_ZONE setting)."
        ),
    )
    notes_need_cosign = models.BooleanField(
        _("case notes need a supervisor's co-signature"),
        default=False,
        help_text=_("For staff in training or on probation; the agency may require it of all."),
    )

    # Who held which role, when: deactivation keeps the row, so history keeps who they were.
    # The password hash stays out of it, and a login is not a change to the person.
    history = HistoricalRecords(excluded_fields=["password", "last_login"])
    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["full_name"]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email

    @property
    def roles(self) -> set[Role]:
        held = {
            Role.CASE_MANAGER: self.is_case_manager,
            Role.SUPERVISOR: self.is_supervisor,
            Role.ADMIN: self.is_agency_admin,
        }
        return {role for role, has in held.items() if has}

    @property
    def has_clinical_role(self) -> bool:
        return self.is_case_manager or self.is_supervisor


class Team(models.Model):
    """A group of case managers and the supervisors who oversee their caseloads."""

    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="teams")
    name = models.CharField(_("name"), max_length=100)
    members = models.ManyToManyField(
        User, related_name="member_teams", blank=True, verbose_name=_("members")
    )
    supervisors = models.ManyToManyField(
        User, related_name="supervised_teams", blank=True, verbose_name=_("supervisors")
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "name"], name="team_unique_name_per_agency"),
        ]

    def __str__(self) -> str:
        return self.name


class UserSession(models.Model):
    """The sessions a user has open, so deactivating them can end every one."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="open_sessions")
    session_key = models.CharField(max_length=40, unique=True)
    started_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.user} since {self.started_at:%Y-%m-%d %H:%M}"
