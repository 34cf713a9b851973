"""Writes for staffing meetings: planning one (its agenda built from the team's flagged
clients), changing the agenda, the minutes and decisions of each item, recording the
meeting (a signed case conference note in each discussed client's file, plan events for
plan updates) and marking a task done.

Only a supervisor of the meeting's team prepares and records it. Until it is recorded
nothing reaches a client's file or anyone's list; after, only a task's "done" moves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Model
from django.http import HttpRequest
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from careplans.services.staffing import plan_staffing_decision_record, plans_in_force
from casemgmt.accounts import policy
from casemgmt.accounts.models import Team, User
from casemgmt.audit.history import save_with_history
from casemgmt.audit.models import AccessAction
from casemgmt.audit.services import access_log_record_many
from clients.models import Client
from notes.models import CaseNote, ContactType
from notes.permissions import can_write_notes
from notes.services import note_draft_create, note_sign

from . import meeting_selectors as selectors
from .meeting_permissions import can_mark_done, can_run_meeting
from .models import AgendaItem, Decision, DecisionKind, MeetingStatus, StaffingMeeting

#: Longest lists the case note's short fields take.
PARTICIPANTS_MAX = 300
#: How many matching clients an ambiguous search names.
MATCHES_SHOWN = 5


# --- Rules ------------------------------------------------------------------------------------


def _require_runner(actor: User, meeting: StaffingMeeting) -> None:
    if not can_run_meeting(actor, meeting):
        raise PermissionDenied(_("Only a supervisor of the team runs its staffing meeting."))


def _require_planned(meeting: StaffingMeeting) -> None:
    if meeting.status != MeetingStatus.PLANNED:
        raise ValidationError(
            _("The minutes of this meeting are recorded; its agenda can no longer change.")
        )


def _locked(meeting: StaffingMeeting) -> StaffingMeeting:
    return (
        StaffingMeeting.objects.select_for_update()
        .select_related("team", "team__agency")
        .get(pk=meeting.pk)
    )


def _delete(instance: Model, *, actor: User, reason: str) -> None:
    """Delete a row with the actor and reason in its history."""
    instance._history_user = actor  # type: ignore[attr-defined]
    instance._change_reason = reason  # type: ignore[attr-defined]
    instance.delete()


def _check_people(
    team: Team, facilitator: User, attendees: Iterable[User]
) -> tuple[User, list[User]]:
    """The facilitator is an active supervisor of the team; attendees are active members
    or supervisors of it."""
    errors: dict[str, str] = {}
    supervisors = {u.pk for u in selectors.team_supervisors(team)}
    if facilitator.pk not in supervisors:
        errors["facilitator"] = _("%(name)s is not an active supervisor of team %(team)s.") % {
            "name": facilitator,
            "team": team,
        }
    allowed = {u.pk for u in selectors.team_people(team)} | supervisors
    attendees = list(attendees)
    strangers = [str(u) for u in attendees if u.pk not in allowed]
    if strangers:
        errors["attendees"] = _("Not on team %(team)s: %(names)s.") % {
            "team": team,
            "names": ", ".join(strangers),
        }
    if errors:
        raise ValidationError(errors)
    return facilitator, attendees


# --- Planning a meeting ----------------------------------------------------------------------


@transaction.atomic
def meeting_create(
    *,
    actor: User,
    team: Team,
    scheduled_at: dt.datetime,
    facilitator: User,
    attendees: Iterable[User] = (),
    today: dt.date | None = None,
) -> StaffingMeeting:
    """Plan a team's staffing meeting and build its agenda from the team's flagged clients."""
    if team.pk not in policy.supervised_team_ids(actor):
        raise PermissionDenied(_("Only a supervisor of the team plans its staffing meeting."))
    facilitator, people = _check_people(team, facilitator, attendees)
    meeting = StaffingMeeting(
        team=team,
        scheduled_at=scheduled_at,
        facilitator=facilitator,
        created_by=actor,
        agenda_built_at=timezone.now(),
    )
    meeting.full_clean()
    save_with_history(meeting, actor=actor, reason="Meeting planned")
    meeting.attendees.set(people)
    agenda_build(meeting=meeting, actor=actor, today=today)
    return meeting


def agenda_build(*, meeting: StaffingMeeting, actor: User, today: dt.date | None = None) -> int:
    """Put every flagged active client of the team not yet on the agenda onto it, the most
    urgent first; returns how many were added."""
    flags = selectors.team_flags(meeting.team, today=today)
    present = set(meeting.items.values_list("client_id", flat=True))
    names = dict(Client.objects.filter(pk__in=sorted(flags)).values_list("pk", "legal_last_name"))

    def urgency(client_id: int) -> tuple[int, int, str, int]:
        found = flags[client_id]
        return (
            selectors.REASON_ORDER[found[0].reason],
            -len(selectors.reasons_of(found)),
            names.get(client_id, ""),
            client_id,
        )

    position = meeting.items.aggregate(p=Max("position"))["p"] or 0
    added = 0
    for client_id in sorted((c for c in flags if c not in present), key=urgency):
        position += 1
        item = AgendaItem(
            meeting=meeting,
            client_id=client_id,
            position=position,
            reasons=selectors.reasons_of(flags[client_id]),
            reason_text="\n".join(flag.text for flag in flags[client_id]),
            added_by=actor,
        )
        save_with_history(item, actor=actor, reason="Flagged: put on the agenda")
        added += 1
    return added


def _find_client(team: Team, term: str) -> Client:
    """The team's client with this record number, or the one whose name matches."""
    term = term.strip()
    if not term:
        raise ValidationError({"client": _("Type the client's record number or name.")})
    clients = Client.objects.filter(team=team)
    exact = list(clients.filter(record_number__iexact=term)[:1])
    if exact:
        return exact[0]
    matches = list(clients.search(term).order_by("legal_last_name", "legal_first_name", "pk")[:6])
    if not matches:
        raise ValidationError(
            {
                "client": _("No client of team %(team)s matches “%(term)s”.")
                % {"team": team, "term": term}
            }
        )
    if len(matches) > 1:
        shown = ", ".join(str(c) for c in matches[:MATCHES_SHOWN])
        raise ValidationError(
            {
                "client": _("Several clients match “%(term)s”: %(names)s. Type the record number.")
                % {"term": term, "names": shown}
            }
        )
    return matches[0]


@transaction.atomic
def agenda_item_add(
    *,
    actor: User,
    meeting: StaffingMeeting,
    client_term: str,
    because: str = "",
    today: dt.date | None = None,
) -> AgendaItem:
    """Add a client of the team by record number or name, with the flags they have now."""
    meeting = _locked(meeting)
    _require_runner(actor, meeting)
    _require_planned(meeting)
    client = _find_client(meeting.team, client_term)
    if meeting.items.filter(client=client).exists():
        raise ValidationError(
            {"client": _("%(name)s is already on the agenda.") % {"name": client.display_name}}
        )
    flags = selectors.client_flags(
        meeting.team.agency, Client.objects.filter(pk=client.pk), today=today
    ).get(client.pk, [])
    position = meeting.items.aggregate(p=Max("position"))["p"] or 0
    item = AgendaItem(
        meeting=meeting,
        client=client,
        position=position + 1,
        reasons=selectors.reasons_of(flags),
        reason_text="\n".join(flag.text for flag in flags),
        added_by_hand=True,
        added_because=because.strip(),
        added_by=actor,
    )
    item.full_clean()
    save_with_history(item, actor=actor, reason="Added to the agenda")
    return item


@transaction.atomic
def agenda_item_remove(*, actor: User, item: AgendaItem) -> None:
    """Take a client off the agenda (with anything noted for them) before the minutes are
    recorded."""
    meeting = _locked(item.meeting)
    _require_runner(actor, meeting)
    _require_planned(meeting)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    for decision in item.decisions.all():
        _delete(decision, actor=actor, reason="Item removed from the agenda")
    _delete(item, actor=actor, reason="Removed from the agenda")


@transaction.atomic
def agenda_item_move(*, actor: User, item: AgendaItem, up: bool) -> None:
    """Move an item one place up or down the agenda (nothing at either end)."""
    meeting = _locked(item.meeting)
    _require_runner(actor, meeting)
    _require_planned(meeting)
    items = list(meeting.items.select_for_update().order_by("position", "pk"))
    index = next((n for n, row in enumerate(items) if row.pk == item.pk), None)
    if index is None:
        raise ValidationError(_("This item is no longer on the agenda."))
    other = index - 1 if up else index + 1
    if not 0 <= other < len(items):
        return
    items[index], items[other] = items[other], items[index]
    for position, row in enumerate(items, start=1):
        if row.position != position:
            row.position = position
            save_with_history(
                row, actor=actor, reason="Agenda reordered", update_fields=["position"]
            )


@transaction.atomic
def agenda_item_minutes_save(
    *,
    actor: User,
    item: AgendaItem,
    discussed: bool,
    minutes: str,
    discussion_minutes: int,
) -> AgendaItem:
    """Note what was said about the client while the meeting runs; it reaches the client's
    file when the meeting is recorded."""
    meeting = _locked(item.meeting)
    _require_runner(actor, meeting)
    _require_planned(meeting)
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    if not discussed and item.decisions.exists():
        raise ValidationError(
            {
                "discussed": _(
                    "Decisions are noted for this client, so it was discussed: strike them "
                    "first to untick it."
                )
            }
        )
    item.discussed = discussed
    item.minutes = minutes.strip()
    item.discussion_minutes = discussion_minutes
    item.updated_at = timezone.now()
    item.full_clean()
    save_with_history(
        item,
        actor=actor,
        reason="Minutes saved",
        update_fields=["discussed", "minutes", "discussion_minutes", "updated_at"],
    )
    return item


@transaction.atomic
def decision_add(
    *,
    actor: User,
    item: AgendaItem,
    kind: str,
    text: str,
    assigned_to: User,
    due_on: dt.date,
) -> Decision:
    """Record a decision on a discussed client: a plan update (the client needs a plan in
    force) or a task, for a case manager or supervisor of the team, due on or after the
    meeting day. Adding one marks the item discussed."""
    meeting = _locked(item.meeting)
    _require_runner(actor, meeting)
    _require_planned(meeting)
    item = AgendaItem.objects.select_for_update().select_related("client").get(pk=item.pk)
    errors: dict[str, str] = {}
    if kind not in DecisionKind.values:
        errors["kind"] = _("Choose a plan update or a task.")
    if not text.strip():
        errors["text"] = _("Say what is to be done.")
    if assigned_to.pk not in {u.pk for u in selectors.team_people(meeting.team)}:
        errors["assigned_to"] = _("Choose a case manager or supervisor of team %(team)s.") % {
            "team": meeting.team
        }
    meeting_day = timezone.localtime(meeting.scheduled_at).date()
    if due_on < meeting_day:
        errors["due_on"] = _("The due date cannot be before the meeting (%(day)s).") % {
            "day": formats.date_format(meeting_day, "DATE_FORMAT")
        }
    plan = None
    if kind == DecisionKind.PLAN_UPDATE:
        plan = plans_in_force([item.client_id]).get(item.client_id)
        if plan is None:
            errors["kind"] = _(
                "%(name)s has no service plan in force to update: record a task instead."
            ) % {"name": item.client.display_name}
    if errors:
        raise ValidationError(errors)
    decision = Decision(
        item=item,
        kind=kind,
        text=text.strip(),
        assigned_to=assigned_to,
        due_on=due_on,
        plan=plan,
        created_by=actor,
    )
    decision.full_clean()
    save_with_history(decision, actor=actor, reason="Decision noted")
    if not item.discussed:
        item.discussed = True
        item.updated_at = timezone.now()
        save_with_history(
            item, actor=actor, reason="Discussed", update_fields=["discussed", "updated_at"]
        )
    return decision


@transaction.atomic
def decision_remove(*, actor: User, decision: Decision) -> None:
    """Strike a decision before the minutes are recorded."""
    meeting = _locked(decision.item.meeting)
    _require_runner(actor, meeting)
    _require_planned(meeting)
    _delete(decision, actor=actor, reason="Struck before the minutes were recorded")


# --- Recording the meeting -------------------------------------------------------------------


@dataclass
class Recorded:
    """What recording the minutes did."""

    meeting: StaffingMeeting
    notes: list[CaseNote] = field(default_factory=list)
    #: Discussed clients the facilitator may no longer write for (moved to another team):
    #: their minutes stay on the meeting, without a note in the client's file.
    skipped: list[AgendaItem] = field(default_factory=list)
    plan_updates: int = 0
    tasks: int = 0


def _participants(facilitator: User, attendees: list[User]) -> str:
    names = [_("%(name)s (facilitator)") % {"name": facilitator}]
    names += [str(u) for u in attendees if u.pk != facilitator.pk]
    text = ", ".join(names)
    if len(text) > PARTICIPANTS_MAX:
        text = text[: PARTICIPANTS_MAX - 1].rsplit(",", 1)[0] + "…"
    return text


def _decision_line(decision: Decision) -> str:
    return _("%(task)s — %(who)s, by %(day)s") % {
        "task": decision.task_text,
        "who": decision.assigned_to,
        "day": formats.date_format(decision.due_on, "DATE_FORMAT"),
    }


def _note_data(
    meeting: StaffingMeeting, item: AgendaItem, decisions: list[Decision], participants: str
) -> dict[str, object]:
    assert meeting.held_at is not None  # noqa: S101 - set before the notes are written
    day = formats.date_format(timezone.localtime(meeting.held_at).date(), "DATE_FORMAT")
    purpose = _("Staffing meeting on %(day)s (team %(team)s).") % {
        "day": day,
        "team": meeting.team,
    }
    if item.reason_text:
        purpose += "\n" + _("On the agenda for: %(why)s") % {
            "why": "; ".join(item.reason_text.splitlines())
        }
    if item.added_because:
        purpose += "\n" + _("Added because: %(why)s") % {"why": item.added_because}
    next_steps = "\n".join(f"- {_decision_line(d)}" for d in decisions) or _(
        "No decision at the meeting: none needed."
    )
    return {
        "contact_at": meeting.held_at,
        "duration_minutes": item.discussion_minutes,
        "contact_type": ContactType.CASE_CONFERENCE,
        "location": _("Team %(team)s staffing meeting") % {"team": meeting.team},
        "client_present": False,
        "other_participants": participants,
        "purpose": purpose,
        "observations": item.minutes,
        "next_steps": next_steps,
    }


@transaction.atomic
def meeting_record(
    *,
    actor: User,
    meeting: StaffingMeeting,
    held_at: dt.datetime,
    facilitator: User,
    attendees: Iterable[User],
) -> Recorded:
    """Record the meeting as held: each discussed item's minutes and decisions become a
    signed case conference note in the client's file, written by the facilitator (client
    not present); plan updates are recorded on the client's plan in force; tasks go onto
    the assignees' lists. Items not discussed get no note."""
    meeting = _locked(meeting)
    _require_runner(actor, meeting)
    _require_planned(meeting)
    errors: dict[str, list[str]] = {}
    if held_at > timezone.now():
        errors["held_at"] = [_("The meeting cannot be recorded before it has happened.")]
    try:
        facilitator, people = _check_people(meeting.team, facilitator, attendees)
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            errors.setdefault(name, []).extend(messages)
        people = list(attendees)
    items = list(
        meeting.items.filter(discussed=True)
        .select_related("client")
        .prefetch_related("decisions__assigned_to")
        .order_by("position", "pk")
    )
    for item in items:
        if not item.minutes.strip():
            errors.setdefault("__all__", []).append(
                _("Write the minutes for %(name)s, or mark the item not discussed.")
                % {"name": item.client.display_name}
            )
    if errors:
        raise ValidationError(errors)
    meeting.held_at = held_at
    meeting.facilitator = facilitator
    meeting.status = MeetingStatus.HELD
    meeting.recorded_by = actor
    meeting.recorded_at = timezone.now()
    save_with_history(
        meeting,
        actor=actor,
        reason="Minutes recorded",
        update_fields=["held_at", "facilitator", "status", "recorded_by", "recorded_at"],
    )
    meeting.attendees.set(people)
    result = Recorded(meeting=meeting)
    participants = _participants(facilitator, people)
    plans = plans_in_force(item.client_id for item in items)
    held_on = timezone.localtime(held_at).date()
    for item in items:
        if not can_write_notes(facilitator, item.client):
            result.skipped.append(item)
            continue
        decisions = list(item.decisions.all())
        for decision in decisions:
            if decision.kind == DecisionKind.PLAN_UPDATE:
                plan = plans.get(item.client_id)
                if plan is None:
                    raise ValidationError(
                        _(
                            "%(name)s no longer has a service plan in force: change the plan "
                            "update into a task."
                        )
                        % {"name": item.client.display_name}
                    )
                decision.plan = plan
                decision.plan_event = plan_staffing_decision_record(
                    actor=facilitator, plan=plan, held_on=held_on, decision=decision.text
                )
                save_with_history(
                    decision,
                    actor=actor,
                    reason="Recorded on the service plan",
                    update_fields=["plan", "plan_event"],
                )
                result.plan_updates += 1
            else:
                result.tasks += 1
        note = note_draft_create(
            actor=facilitator,
            client=item.client,
            data=_note_data(meeting, item, decisions, participants),
        )
        try:
            note = note_sign(actor=facilitator, note=note)
        except ValidationError as error:
            raise ValidationError(
                _("The note for %(name)s could not be signed: %(why)s")
                % {"name": item.client.display_name, "why": " ".join(error.messages)}
            ) from error
        item.case_note = note
        item.updated_at = timezone.now()
        save_with_history(
            item, actor=actor, reason="Minutes recorded", update_fields=["case_note", "updated_at"]
        )
        result.notes.append(note)
    return result


# --- Tasks -----------------------------------------------------------------------------------


@transaction.atomic
def decision_mark_done(*, actor: User, decision: Decision) -> Decision:
    """The assignee (or a supervisor of the team) says the task is done."""
    decision = (
        Decision.objects.select_for_update().select_related("item__meeting").get(pk=decision.pk)
    )
    if not can_mark_done(actor, decision, decision.item.meeting.team_id):
        raise PermissionDenied(
            _("Only the person it is assigned to or a supervisor marks it done.")
        )
    if decision.item.meeting.status != MeetingStatus.HELD:
        raise ValidationError(_("The meeting's minutes are not recorded yet."))
    if decision.done_at is not None:
        return decision
    decision.done_at = timezone.now()
    decision.done_by = actor
    save_with_history(
        decision, actor=actor, reason="Marked done", update_fields=["done_at", "done_by"]
    )
    return decision


# --- Reading the agenda leaves a trace -------------------------------------------------------


def agenda_read_log(
    *, actor: User, client_ids: Iterable[int], request: HttpRequest | None = None
) -> int:
    """A page showing what was said about several clients logs a view of each record."""
    return access_log_record_many(
        actor=actor, client_ids=client_ids, action=AccessAction.VIEW, request=request
    )
