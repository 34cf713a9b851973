"""Staffing meetings: the weekly team meeting where a supervisor goes through the clients
who need attention (an agenda built from their flags), records what was said into each
discussed client's file, and turns what was decided into plan updates and tasks.

A meeting is planned (its agenda can change), then held: recording the minutes writes a
signed case conference note into each discussed client's file and makes the decisions
count (tasks on the assignees' lists, events on the service plans). After that only a
task's "done" moves.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from careplans.models import ClientScopedQuerySet, PlanEvent, ServicePlan
from casemgmt.accounts import policy
from casemgmt.accounts.models import Team
from clients.models import Client
from notes.models import CaseNote

#: The longest a team talks about one client, in minutes (the note's duration).
MAX_DISCUSSION_MINUTES = 240


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    HELD = "held", _("Held, minutes recorded")


class AgendaReason(models.TextChoices):
    """Why a client is on the agenda: the flags found when the agenda was built, most
    urgent first (the agenda is ordered by them)."""

    CRISIS = "crisis", _("Open crisis event")
    SAFETY_FLAG = "safety_flag", _("Safety follow-up not done")
    PLAN_OVERDUE = "plan_overdue", _("Service plan review overdue")
    REFERRAL_STALLED = "referral_stalled", _("Referral stalled")
    NO_CONTACT = "no_contact", _("No direct contact lately")


class DecisionKind(models.TextChoices):
    PLAN_UPDATE = "plan_update", _("Update the service plan")
    TASK = "task", _("Task")


class StaffingMeetingQuerySet(models.QuerySet["StaffingMeeting"]):
    def run_by(self, user: policy.AnyUser) -> StaffingMeetingQuerySet:
        """Meetings the user may prepare and record: those of the teams they supervise."""
        return self.filter(team_id__in=sorted(policy.supervised_team_ids(user)))

    def visible_to(self, user: policy.AnyUser) -> StaffingMeetingQuerySet:
        """Meetings of the teams the user supervises, and the meetings a case manager of
        the team attends (to read)."""
        supervised = policy.supervised_team_ids(user)
        member = policy.member_team_ids(user)
        if not supervised and not member:
            return self.none()
        attends = Exists(
            StaffingMeeting.attendees.through.objects.filter(
                staffingmeeting_id=OuterRef("pk"), user_id=getattr(user, "pk", 0)
            )
        )
        return self.filter(
            Q(team_id__in=sorted(supervised)) | (Q(team_id__in=sorted(member)) & attends)
        )


class StaffingMeeting(models.Model):
    """One team's staffing meeting (case conference)."""

    team = models.ForeignKey(
        Team, on_delete=models.PROTECT, related_name="staffing_meetings", verbose_name=_("team")
    )
    scheduled_at = models.DateTimeField(_("date and time"))
    held_at = models.DateTimeField(_("held at"), null=True, blank=True)
    facilitator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("facilitator"),
    )
    attendees = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="staffing_meetings_attended",
        verbose_name=_("attendees"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    #: When the flags behind the agenda were read.
    agenda_built_at = models.DateTimeField(_("agenda built at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("minutes recorded by"),
    )
    recorded_at = models.DateTimeField(_("minutes recorded at"), null=True, blank=True)

    history = HistoricalRecords(m2m_fields=[attendees])
    objects = StaffingMeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("staffing meeting")
        verbose_name_plural = _("staffing meetings")
        ordering = ["-scheduled_at", "-pk"]
        indexes = [models.Index(fields=["team", "-scheduled_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="planned", held_at__isnull=True, recorded_at__isnull=True)
                | Q(status="held", held_at__isnull=False, recorded_at__isnull=False),
                name="staffing_held_has_time",
            ),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.held_at or self.scheduled_at)
        return f"Staffing meeting {self.team} {when:%Y-%m-%d %H:%M}"

    @property
    def is_planned(self) -> bool:
        return self.status == MeetingStatus.PLANNED

    @property
    def meeting_at(self) -> Any:
        """When it was held, or else when it is planned."""
        return self.held_at or self.scheduled_at


class AgendaItemQuerySet(ClientScopedQuerySet):
    client_path = "client"


class AgendaItem(models.Model):
    """A client on a meeting's agenda, why, and what was said about them."""

    meeting = models.ForeignKey(StaffingMeeting, on_delete=models.CASCADE, related_name="items")
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="staffing_items", verbose_name=_("client")
    )
    position = models.PositiveIntegerField(default=0)
    reasons = ArrayField(
        models.CharField(max_length=20, choices=AgendaReason.choices),
        blank=True,
        default=list,
        verbose_name=_("flags"),
    )
    reason_text = models.TextField(_("what was found"), blank=True)
    added_by_hand = models.BooleanField(_("added by hand"), default=False)
    added_because = models.CharField(_("why it was added"), max_length=300, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    discussed = models.BooleanField(_("discussed"), default=False)
    discussion_minutes = models.PositiveIntegerField(
        _("time spent (minutes)"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_DISCUSSION_MINUTES)],
    )
    minutes = models.TextField(_("minutes"), blank=True)
    case_note = models.OneToOneField(
        CaseNote,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staffing_item",
        verbose_name=_("case note"),
    )
    updated_at = models.DateTimeField(default=timezone.now)

    history = HistoricalRecords()
    objects = AgendaItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering = ["meeting", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "client"], name="agenda_client_once"),
            models.CheckConstraint(
                condition=Q(case_note__isnull=True) | Q(discussed=True),
                name="agenda_note_only_when_discussed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} at {self.meeting}"

    @property
    def reason_labels(self) -> list[str]:
        return [str(AgendaReason(code).label) for code in self.reasons if code in AgendaReason]


class DecisionQuerySet(ClientScopedQuerySet):
    client_path = "item__client"


class Decision(models.Model):
    """Something the meeting decided about a client: a change to the service plan or a
    task, for someone, by a date."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField(_("kind"), max_length=20, choices=DecisionKind.choices)
    text = models.TextField(_("what is to be done"))
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="staffing_tasks",
        verbose_name=_("assigned to"),
    )
    due_on = models.DateField(_("due"))
    plan = models.ForeignKey(
        ServicePlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("service plan to update"),
    )
    plan_event = models.ForeignKey(
        PlanEvent, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("done by"),
    )

    history = HistoricalRecords()
    objects = DecisionQuerySet.as_manager()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["item", "created_at", "pk"]
        indexes = [
            models.Index(
                fields=["assigned_to", "due_on"],
                condition=Q(done_at__isnull=True),
                name="decision_open_by_assignee",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="task") | Q(plan__isnull=False),
                name="decision_plan_update_names_plan",
            ),
            models.CheckConstraint(
                condition=Q(done_at__isnull=True, done_by__isnull=True)
                | Q(done_at__isnull=False, done_by__isnull=False),
                name="decision_done_has_who",
            ),
        ]

    def __str__(self) -> str:
        return self.task_text

    @property
    def task_text(self) -> str:
        """The task as the assignee's list shows it."""
        if self.kind == DecisionKind.PLAN_UPDATE:
            return str(_("Update the service plan: %(what)s") % {"what": self.text})
        return self.text

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
