"""Reads for staffing meetings: which clients of a team are flagged (the agenda), the
meetings and agenda a user may see, and the tasks the meetings decided.

The flags are the reminder rules' own overdue items (`<app>/reminders.py`, read through
`casemgmt.reminders.rules`) plus open crisis events and safety flags, so the agenda says
what "My work today" says. Every read is set-based: the number of queries depends on the
number of rules, never on the number of clients or items.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from careplans.models import PlanEvent, PlanReview, PlanStatus, ServicePlan
from careplans.services.staffing import IN_FORCE
from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency, Team, User
from casemgmt.reminders import rules
from clients.models import Client, ClientStatus, CrisisEvent, DistressLevel, SafetyFlag

from .models import (
    AgendaItem,
    AgendaReason,
    Decision,
    DecisionKind,
    MeetingStatus,
    StaffingMeeting,
)

#: The reminder rules whose overdue items put a client on the agenda, by reason.
RULE_REASONS: tuple[tuple[AgendaReason, tuple[str, ...]], ...] = (
    (AgendaReason.PLAN_OVERDUE, ("plan_review",)),
    (
        AgendaReason.REFERRAL_STALLED,
        ("referral_no_response", "referral_attendance", "referral_fit_review"),
    ),
    (AgendaReason.NO_CONTACT, ("monthly_contact",)),
)

#: Reasons in the order the agenda takes them: the most urgent first.
REASON_ORDER = {reason: n for n, reason in enumerate(AgendaReason)}


@dataclass(frozen=True)
class Flag:
    """One thing found about a client: a reason code and a line saying what, since when."""

    reason: AgendaReason
    text: str


def _day(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        value = value.astimezone(rules.local_zone()).date()
    return formats.date_format(value, "DATE_FORMAT")


def client_flags(
    agency: Agency, clients: QuerySet[Client], *, today: dt.date | None = None
) -> dict[int, list[Flag]]:
    """The flags of `clients` (a queryset, used as a subquery) on `today`: open crisis
    events and safety flags raised by now, and the overdue items of the plan review, referral
    follow-up and monthly contact rules. One query per source."""
    today = today or rules.local_today()
    ids = clients.values("pk")
    found: dict[int, list[Flag]] = {}

    def add(client_id: int, reason: AgendaReason, text: str) -> None:
        found.setdefault(client_id, []).append(Flag(reason, text))

    now = timezone.now()
    crises = (
        CrisisEvent.objects.open()
        .filter(client_id__in=ids, occurred_at__lte=now)
        .order_by("occurred_at", "pk")
    )
    for client_id, occurred_at, level in crises.values_list(
        "client_id", "occurred_at", "distress_level"
    ):
        add(
            client_id,
            AgendaReason.CRISIS,
            _("Open crisis event since %(day)s (%(level)s)")
            % {"day": _day(occurred_at), "level": _level(level)},
        )
    safety = SafetyFlag.objects.filter(
        client_id__in=ids, resolved_at__isnull=True, raised_at__lte=now
    ).order_by("raised_at", "pk")
    for client_id, reason, raised_at in safety.values_list("client_id", "reason", "raised_at"):
        add(
            client_id,
            AgendaReason.SAFETY_FLAG,
            _("Safety follow-up not done: %(reason)s (raised %(day)s)")
            % {"reason": reason, "day": _day(raised_at)},
        )
    overdue_until = today - dt.timedelta(days=1)
    for reason, kinds in RULE_REASONS:
        for kind in kinds:
            rule = rules.rule_for(kind)
            if rule is None:
                continue
            rows = rule.items(agency, overdue_until, today).filter(r_client__in=ids)
            for row in sorted(rows, key=lambda r: (r["r_due"], r["r_object"])):
                late = (today - row["r_due"]).days
                add(
                    row["r_client"],
                    reason,
                    ngettext(
                        "%(what)s: due %(day)s, %(n)s day overdue",
                        "%(what)s: due %(day)s, %(n)s days overdue",
                        late,
                    )
                    % {"what": rule.label, "day": _day(row["r_due"]), "n": late},
                )
    for flags in found.values():
        flags.sort(key=lambda flag: REASON_ORDER[flag.reason])
    return found


def _level(value: str) -> str:
    return str(DistressLevel(value).label).lower() if value in DistressLevel else value


def team_flags(team: Team, *, today: dt.date | None = None) -> dict[int, list[Flag]]:
    """The flags of the team's active clients: who belongs on its agenda."""
    clients = Client.objects.filter(team=team, status=ClientStatus.ACTIVE)
    return client_flags(team.agency, clients, today=today)


def reasons_of(flags: Iterable[Flag]) -> list[str]:
    """The distinct reason codes, most urgent first."""
    codes: list[str] = []
    for flag in flags:
        if flag.reason.value not in codes:
            codes.append(flag.reason.value)
    return codes


# --- Meetings --------------------------------------------------------------------------------


def meetings_for(user: User, *, team_id: int | None = None) -> QuerySet[StaffingMeeting]:
    """The meetings the user may read, newest first, with what a list shows."""
    rows = StaffingMeeting.objects.visible_to(user)
    if team_id is not None:
        rows = rows.filter(team_id=team_id)
    return (
        rows.select_related("team", "facilitator")
        .annotate(item_count=Count("items", distinct=True))
        .order_by("-scheduled_at", "-pk")
    )


def meeting_to_read(user: User, pk: int) -> StaffingMeeting:
    """A meeting the user may read; 404 for anyone else."""
    return get_object_or_404(
        StaffingMeeting.objects.visible_to(user).select_related(
            "team", "team__agency", "facilitator", "recorded_by"
        ),
        pk=pk,
    )


def meeting_to_run(user: User, pk: int) -> StaffingMeeting:
    """A meeting of a team the user supervises; 404 for anyone else (readers included)."""
    return get_object_or_404(
        StaffingMeeting.objects.run_by(user).select_related("team", "team__agency", "facilitator"),
        pk=pk,
    )


def item_to_run(user: User, meeting: StaffingMeeting, pk: int) -> AgendaItem:
    """An item of the meeting whose client the user may see; 404 otherwise."""
    return get_object_or_404(
        AgendaItem.objects.visible_to(user).select_related("client", "meeting"),
        meeting=meeting,
        pk=pk,
    )


def decision_to_run(user: User, meeting: StaffingMeeting, pk: int) -> Decision:
    return get_object_or_404(
        Decision.objects.visible_to(user).select_related("item__client", "item__meeting"),
        item__meeting=meeting,
        pk=pk,
    )


def _plan_changed_since_meeting() -> Q:
    """A plan review recorded, or a later version of the plan approved (made active),
    since the meeting was held: the plan was updated."""
    reviewed = PlanReview.objects.filter(
        plan__client_id=OuterRef("item__client_id"),
        created_at__gte=OuterRef("item__meeting__held_at"),
    )
    approved = PlanEvent.objects.filter(
        plan__client_id=OuterRef("item__client_id"),
        plan__version__gt=OuterRef("plan__version"),
        to_status=PlanStatus.ACTIVE,
        at__gte=OuterRef("item__meeting__held_at"),
    )
    return Q(kind=DecisionKind.PLAN_UPDATE) & (Q(Exists(reviewed)) | Q(Exists(approved)))


def open_tasks() -> QuerySet[Decision]:
    """Decisions of recorded meetings (their minutes are in the client's file) that nobody
    has marked done; a plan update also ends once the plan is reviewed or a new version is
    approved after the meeting."""
    return Decision.objects.filter(
        done_at__isnull=True,
        item__meeting__status=MeetingStatus.HELD,
        item__case_note__isnull=False,
    ).exclude(_plan_changed_since_meeting())


def _decisions() -> QuerySet[Decision]:
    return (
        Decision.objects.select_related("assigned_to", "done_by", "plan")
        .annotate(plan_updated=_plan_changed_since_meeting())
        .order_by("created_at", "pk")
    )


def agenda_for(user: User, meeting: StaffingMeeting) -> list[AgendaItem]:
    """The meeting's items whose clients the user may see, in agenda order, each with its
    decisions and whether the client has a plan in force: three queries whatever the size
    of the agenda."""
    in_force = ServicePlan.objects.filter(client_id=OuterRef("client_id"), status__in=IN_FORCE)
    return list(
        AgendaItem.objects.visible_to(user)
        .filter(meeting=meeting)
        .select_related("client", "client__primary_case_manager", "case_note", "added_by")
        .annotate(has_plan_in_force=Exists(in_force))
        .prefetch_related(Prefetch("decisions", queryset=_decisions()))
        .order_by("position", "pk")
    )


def agenda_item_for(user: User, meeting: StaffingMeeting, pk: int) -> AgendaItem:
    """One item as `agenda_for` loads it (for a partial answer)."""
    in_force = ServicePlan.objects.filter(client_id=OuterRef("client_id"), status__in=IN_FORCE)
    return get_object_or_404(
        AgendaItem.objects.visible_to(user)
        .filter(meeting=meeting)
        .select_related("client", "client__primary_case_manager", "case_note", "added_by")
        .annotate(has_plan_in_force=Exists(in_force))
        .prefetch_related(Prefetch("decisions", queryset=_decisions())),
        pk=pk,
    )


def team_people(*teams: Team) -> list[User]:
    """Who in the teams a task may go to, or may attend: their active case managers and
    supervisors."""
    ids = [team.pk for team in teams]
    return list(
        User.objects.filter(
            Q(member_teams__in=ids, is_case_manager=True)
            | Q(supervised_teams__in=ids, is_supervisor=True),
            is_active=True,
        )
        .distinct()
        .order_by("full_name", "pk")
    )


def team_supervisors(*teams: Team) -> list[User]:
    """The teams' active supervisors (who may facilitate)."""
    ids = [team.pk for team in teams]
    return list(
        User.objects.filter(supervised_teams__in=ids, is_active=True, is_supervisor=True)
        .distinct()
        .order_by("full_name", "pk")
    )


def supervised_teams(user: User) -> list[Team]:
    return list(Team.objects.filter(pk__in=sorted(policy.supervised_team_ids(user))))


def readable_teams(user: User) -> list[Team]:
    ids = policy.supervised_team_ids(user) | policy.member_team_ids(user)
    return list(Team.objects.filter(pk__in=sorted(ids)))


# --- Tasks -----------------------------------------------------------------------------------


def task_for(user: User, pk: int) -> Decision:
    """A recorded decision the user may act on: their own task, or any task of a team they
    supervise; only for clients they may see. 404 otherwise."""
    rows = Decision.objects.visible_to(user).filter(
        Q(assigned_to=user)
        | Q(item__meeting__team_id__in=sorted(policy.supervised_team_ids(user))),
        item__meeting__status=MeetingStatus.HELD,
        item__case_note__isnull=False,
    )
    return get_object_or_404(
        rows.select_related(
            "item__client",
            "item__meeting__team",
            "item__meeting__facilitator",
            "item__case_note",
            "assigned_to",
            "done_by",
            "plan",
        ).annotate(plan_updated=_plan_changed_since_meeting()),
        pk=pk,
    )


def attendees_of(meeting: StaffingMeeting) -> list[User]:
    return list(meeting.attendees.order_by("full_name", "pk"))
