"""Assessments, standardized measures, service plans with goals and interventions, reviews."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from casemgmt.accounts import policy
from clients.models import Client

# --- The shared vocabulary -------------------------------------------------------------


class Domain(models.TextChoices):
    """The biopsychosocial-spiritual domains an assessment covers."""

    MENTAL_HEALTH = "mental_health", _("Mental health")
    PHYSICAL_HEALTH = "physical_health", _("Physical health")
    SUBSTANCE_USE = "substance_use", _("Substance use")
    HOUSING = "housing", _("Housing")
    EMPLOYMENT_EDUCATION = "employment_education", _("Employment and education")
    FINANCES_BENEFITS = "finances_benefits", _("Finances and benefits")
    LEGAL = "legal", _("Legal")
    FAMILY_SOCIAL = "family_social", _("Family and social")
    DAILY_LIVING = "daily_living", _("Daily living")
    SPIRITUAL = "spiritual", _("Spiritual")
    TRANSPORTATION = "transportation", _("Transportation")
    SAFETY = "safety", _("Safety")


class NeedLevel(models.TextChoices):
    NOT_ASSESSED = "not_assessed", _("Not assessed")
    NONE = "none", _("None")
    LOW = "low", _("Low")
    MODERATE = "moderate", _("Moderate")
    HIGH = "high", _("High")


class Barrier(models.TextChoices):
    FINANCIAL_STRAIN = "financial_strain", _("Financial strain")
    NO_TRANSPORT = "no_transport", _("No transport")
    FAMILY_CONFLICT = "family_conflict", _("Family conflict")
    LANGUAGE = "language", _("Language")
    NO_PHONE = "no_phone", _("No reliable phone or internet")
    CHILDCARE = "childcare", _("Childcare")
    DOCUMENTS = "documents", _("Missing identity documents")
    STIGMA = "stigma", _("Stigma or mistrust of services")
    DISABILITY = "disability", _("Disability or access needs")
    WORK_HOURS = "work_hours", _("Work hours")
    OTHER = "other", _("Other")


class ClientScopedQuerySet(models.QuerySet[Any]):
    """Rows that belong to a client are visible exactly when the client is."""

    client_path = "client"

    def visible_to(self, user: policy.AnyUser) -> Any:
        scope = policy.record_scope(
            user,
            team_field=f"{self.client_path}__team",
            case_manager_field=f"{self.client_path}__primary_case_manager",
        )
        return self.filter(scope) if scope is not None else self.none()


# --- Assessment -------------------------------------------------------------------------


class AssessmentKind(models.TextChoices):
    INTAKE = "intake", _("Intake assessment")
    REASSESSMENT = "reassessment", _("Reassessment")


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPLETED = "completed", _("Completed")


class Assessment(models.Model):
    """A holistic assessment done with the client. Completed ones are read-only; a
    reassessment is a new record."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="assessments")
    kind = models.CharField(_("kind"), max_length=20, choices=AssessmentKind.choices)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AssessmentStatus.choices,
        default=AssessmentStatus.DRAFT,
    )
    assessed_on = models.DateField(_("assessed on"), default=timezone.localdate)
    strengths = models.TextField(
        _("strengths and protective factors"),
        blank=True,
        help_text=_("What is going well: skills, supports, faith, motivation, resources."),
    )
    barriers = ArrayField(
        models.CharField(max_length=30, choices=Barrier.choices),
        blank=True,
        default=list,
        verbose_name=_("barriers"),
    )
    barrier_notes = models.TextField(_("barriers in more detail"), blank=True)
    client_words = models.TextField(
        _("what the client wants, in their own words"),
        blank=True,
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    completed_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        ordering = ["-assessed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft", completed_at__isnull=True)
                | Q(status="completed", completed_at__isnull=False),
                name="assessment_completed_has_time",
            ),
            models.UniqueConstraint(
                fields=["client"],
                condition=Q(status="draft"),
                name="assessment_one_draft_per_client",
            ),
        ]
        # A database trigger (migration 0003) refuses any change to a completed assessment.

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.assessed_on.isoformat()}"

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT


class DomainNeed(models.Model):
    """One domain of one assessment: how much need, and notes."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="needs")
    domain = models.CharField(_("domain"), max_length=30, choices=Domain.choices)
    level = models.CharField(
        _("need level"),
        max_length=20,
        choices=NeedLevel.choices,
        default=NeedLevel.NOT_ASSESSED,
    )
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("domain need")
        verbose_name_plural = _("domain needs")
        constraints = [
            models.UniqueConstraint(fields=["assessment", "domain"], name="need_one_per_domain"),
        ]

    def __str__(self) -> str:
        return f"{self.get_domain_display()}: {self.get_level_display()}"


# --- Standardized measures ---------------------------------------------------------------


class Instrument(models.Model):
    """A standardized measure defined as data (items, options, bands), so an administrator
    can add one without code. The total score is the sum of the item answers."""

    code = models.SlugField(_("code"), max_length=30, unique=True, help_text="e.g. phq-9")
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    instructions = models.TextField(
        _("instructions read to the client"),
        blank=True,
        help_text=_("e.g. Over the last 2 weeks, how often have you been bothered by …"),
    )
    loinc_total = models.CharField(_("LOINC code of the total score"), max_length=20, blank=True)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("instrument")
        verbose_name_plural = _("instruments")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def max_score(self) -> int:
        return sum(max((o["value"] for o in item.options), default=0) for item in self.items.all())


class InstrumentItem(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField(_("number"))
    text = models.CharField(_("question"), max_length=300)
    loinc = models.CharField(_("LOINC code"), max_length=20, blank=True)
    #: [{"value": 0, "label": "Not at all"}, …]
    options = models.JSONField(_("answer options"))
    safety_threshold = models.PositiveSmallIntegerField(
        _("flag for safety follow-up when the answer is above"),
        null=True,
        blank=True,
        help_text=_("e.g. 0 for PHQ-9 item 9: any answer above 0 raises a safety flag."),
    )

    class Meta:
        verbose_name = _("item")
        verbose_name_plural = _("items")
        ordering = ["instrument", "number"]
        constraints = [
            models.UniqueConstraint(fields=["instrument", "number"], name="item_unique_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


class SeverityBand(models.Model):
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="bands")
    min_score = models.PositiveSmallIntegerField(_("lowest score"))
    max_score = models.PositiveSmallIntegerField(_("highest score"))
    label = models.CharField(_("label"), max_length=120)

    class Meta:
        verbose_name = _("severity band")
        verbose_name_plural = _("severity bands")
        ordering = ["instrument", "min_score"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_score__gte=F("min_score")), name="band_min_not_above_max"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.min_score} to {self.max_score}: {self.label}"


class MeasureAdministration(models.Model):
    """One time a client answered an instrument: every item answer, the total and band."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="measures")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="+")
    administered_on = models.DateField(_("date"), default=timezone.localdate)
    administered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    #: {"1": 2, "2": 0, …}: item number → answer value
    answers = models.JSONField(_("answers"))
    total_score = models.PositiveSmallIntegerField(_("total score"))
    band = models.CharField(_("severity"), max_length=120)
    safety_flagged = models.BooleanField(_("raised a safety flag"), default=False)
    assessment = models.ForeignKey(
        Assessment, on_delete=models.SET_NULL, null=True, blank=True, related_name="measures"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["-administered_on", "-pk"]
        indexes = [models.Index(fields=["client", "instrument", "administered_on"])]

    def __str__(self) -> str:
        return f"{self.instrument} {self.administered_on.isoformat()}: {self.total_score}"


# --- Service plan ------------------------------------------------------------------------


class PlanStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    MEETING_RECORDED = "meeting_recorded", _("Planning meeting recorded")
    FINALIZED = "finalized", _("Finalized, awaiting supervisor approval")
    ACTIVE = "active", _("Active")
    UNDER_REVIEW = "under_review", _("Under review")
    CLOSED = "closed", _("Closed")
    SUPERSEDED = "superseded", _("Replaced by a later version")


#: Statuses in which goals and interventions may still be changed.
EDITABLE_PLAN_STATUSES = (PlanStatus.DRAFT, PlanStatus.MEETING_RECORDED)


class Agreement(models.TextChoices):
    SIGNED = "signed", _("Signed by the client")
    VERBAL = "verbal", _("Agreed verbally")
    DECLINED = "declined", _("Client declined")


class ServicePlan(models.Model):
    """One version of a client's service plan. A revision is a new row pointing at the
    version it revises; earlier versions stay readable."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="plans")
    assessment = models.ForeignKey(
        Assessment,
        on_delete=models.PROTECT,
        related_name="plans",
        verbose_name=_("built from assessment"),
    )
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    previous = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version"
    )
    revision_reason = models.TextField(_("why this version"), blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=PlanStatus.choices, default=PlanStatus.DRAFT
    )
    service_start = models.DateField(_("service start"))
    review_due = models.DateField(_("review due"))
    early_review_reason = models.TextField(_("why review this early"), blank=True)

    meeting_date = models.DateField(_("planning meeting date"), null=True, blank=True)
    meeting_participants = models.TextField(_("who took part"), blank=True)
    client_participated = models.BooleanField(_("the client took part"), default=False)
    meeting_notes = models.TextField(_("meeting notes"), blank=True)

    agreement = models.CharField(
        _("client agreement"), max_length=20, choices=Agreement.choices, blank=True
    )
    agreement_note = models.TextField(_("reason the client declined"), blank=True)
    finalized_at = models.DateTimeField(null=True, blank=True)
    finalized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    approval_required = models.BooleanField(default=False)
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    returned_note = models.TextField(_("returned by the supervisor because"), blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()
    objects = ClientScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("service plan")
        verbose_name_plural = _("service plans")
        ordering = ["client", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["client", "version"], name="plan_unique_version"),
            models.CheckConstraint(
                condition=Q(review_due__gte=F("service_start")), name="plan_review_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(agreement="declined") | ~Q(agreement_note=""),
                name="plan_declined_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["status", "review_due"])]

    def __str__(self) -> str:
        return f"Service plan v{self.version} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_PLAN_STATUSES


class Comparison(models.TextChoices):
    BELOW = "below", _("below")
    AT_OR_BELOW = "at_or_below", _("at or below")
    ABOVE = "above", _("above")
    AT_OR_ABOVE = "at_or_above", _("at or above")


class Goal(models.Model):
    """A measurable goal: the client's words, the domain, an indicator with baseline and
    target, dates, and optionally a standardized measure to judge it by."""

    plan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE, related_name="goals")
    #: The same goal across plan versions (for the diff between versions).
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    position = models.PositiveSmallIntegerField(default=0)
    domain = models.CharField(_("need it addresses"), max_length=30, choices=Domain.choices)
    client_words = models.TextField(_("goal in the client's words"))
    indicator = models.CharField(
        _("measurable indicator"),
        max_length=200,
        help_text=_('What is counted or observed, e.g. "days in hospital per month".'),
    )
    baseline = models.CharField(_("baseline"), max_length=100)
    target = models.CharField(_("target"), max_length=100)
    baseline_value = models.DecimalField(
        _("baseline (number)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    target_value = models.DecimalField(
        _("target (number)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    target_date = models.DateField(_("target date"))
    review_date = models.DateField(_("review date"))
    instrument = models.ForeignKey(
        Instrument,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("judged by measure"),
    )
    instrument_comparison = models.CharField(
        _("measure target"), max_length=20, choices=Comparison.choices, blank=True
    )
    instrument_threshold = models.PositiveSmallIntegerField(
        _("measure threshold"), null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        ordering = ["plan", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "key"], name="goal_key_once_per_plan"),
            models.CheckConstraint(
                condition=Q(instrument__isnull=True)
                | (~Q(instrument_comparison="") & Q(instrument_threshold__isnull=False)),
                name="goal_measure_has_target",
            ),
        ]

    def __str__(self) -> str:
        return self.client_words[:80]

    @property
    def measure_target_text(self) -> str:
        if self.instrument_id is None:
            return ""
        return (
            f"{self.instrument} {self.get_instrument_comparison_display()} "
            f"{self.instrument_threshold}"
        )


class Intervention(models.Model):
    """What will be done toward a goal, by whom, how often, from when."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="interventions")
    key = models.UUIDField(default=uuid.uuid4, editable=False)
    description = models.TextField(_("what"))
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("delivered by (staff member)"),
    )
    provider = models.CharField(
        _("delivered by (provider or person)"),
        max_length=200,
        blank=True,
        help_text=_("A program or person outside the case-management team."),
    )
    frequency = models.CharField(_("how often"), max_length=100)
    starts_on = models.DateField(_("from"))

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("intervention")
        verbose_name_plural = _("interventions")
        ordering = ["goal", "starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(staff__isnull=False) | ~Q(provider=""),
                name="intervention_has_deliverer",
            ),
        ]

    def __str__(self) -> str:
        return self.description[:80]

    @property
    def delivered_by(self) -> str:
        return str(self.staff) if self.staff_id else self.provider


class PlanEvent(models.Model):
    """Every status change of a plan: who, when, from, to, why."""

    plan = models.ForeignKey(ServicePlan, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=PlanStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=PlanStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status or '—'} → {self.to_status}"


# --- Plan review -------------------------------------------------------------------------


class ReviewDecision(models.TextChoices):
    CONTINUE = "continue", _("Continue the plan as it is")
    REVISE = "revise", _("Revise the plan")
    SWITCH_PROVIDER = "switch_provider", _("Switch provider")
    CLOSE = "close", _("Close the plan")


class Progress(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    MET = "met", _("Met")
    PARTIALLY_MET = "partially_met", _("Partially met")
    NOT_MET = "not_met", _("Not met")
    DISCONTINUED = "discontinued", _("Discontinued")


class PlanReview(models.Model):
    plan = models.ForeignKey(ServicePlan, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField(_("review date"))
    decision = models.CharField(_("decision"), max_length=20, choices=ReviewDecision.choices)
    justification = models.TextField(_("why"), blank=True)
    next_review_date = models.DateField(_("next review"), null=True, blank=True)
    early_review_reason = models.TextField(_("why the next review is this early"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("plan review")
        verbose_name_plural = _("plan reviews")
        ordering = ["-reviewed_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision="continue") | ~Q(justification=""),
                name="review_change_is_justified",
            ),
        ]

    def __str__(self) -> str:
        return f"Review {self.reviewed_on.isoformat()}: {self.get_decision_display()}"


class GoalReview(models.Model):
    review = models.ForeignKey(PlanReview, on_delete=models.CASCADE, related_name="goal_reviews")
    goal = models.ForeignKey(Goal, on_delete=models.PROTECT, related_name="reviews")
    progress = models.CharField(_("progress"), max_length=20, choices=Progress.choices)
    current_value = models.CharField(_("indicator now"), max_length=100, blank=True)
    current_number = models.DecimalField(
        _("indicator now (number)"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    notes = models.TextField(_("notes"), blank=True)

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "goal"], name="goal_review_once"),
        ]

    def __str__(self) -> str:
        return f"{self.goal}: {self.get_progress_display()}"
