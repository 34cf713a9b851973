"""Staffing meeting pages: the list, planning a meeting (its agenda built from the team's
flagged clients), the agenda with each item's minutes and decisions (saved inline with
htmx, or by a plain POST), recording the minutes into the clients' files, and the tasks the
meetings decided.

Supervisors of the meeting's team run it; case managers of the team who attend read it
(only the items of clients they may see). Everyone else gets a 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from casemgmt.accounts import policy
from casemgmt.accounts.models import Team, User
from casemgmt.forms import add_service_error
from clients.view_helpers import log_view

from . import meeting_selectors as selectors
from . import meeting_services as services
from .meeting_forms import DecisionForm, ItemAddForm, MeetingCreateForm, MinutesForm, RecordForm
from .meeting_permissions import can_mark_done, can_run_meeting
from .models import AgendaItem, Decision, DecisionKind, StaffingMeeting

PAGE_SIZE = 25
#: A new decision is due this many days after the meeting unless the team says otherwise.
DEFAULT_DUE_DAYS = 7


# --- What the agenda shows -------------------------------------------------------------------


@dataclass
class Entry:
    """An agenda item with the forms that change it (none for readers or once recorded)."""

    item: AgendaItem
    minutes_form: MinutesForm | None = None
    decision_form: DecisionForm | None = None
    #: What the last inline save did, for the status line of the minutes or the decisions.
    saved: str = ""
    decision_saved: str = ""

    @property
    def anchor(self) -> str:
        return f"item-{self.item.pk}"


def _meeting_day(meeting: StaffingMeeting) -> dt.date:
    return timezone.localtime(meeting.scheduled_at).date()


def _minutes_form(item: AgendaItem, data: Any = None) -> MinutesForm:
    return MinutesForm(
        data,
        prefix=f"item-{item.pk}",
        initial={
            "discussed": item.discussed,
            "discussion_minutes": item.discussion_minutes,
            "minutes": item.minutes,
        },
    )


def _decision_form(
    meeting: StaffingMeeting, item: AgendaItem, people: list[User], data: Any = None
) -> DecisionForm:
    primary = item.client.primary_case_manager_id
    initial: dict[str, Any] = {
        "kind": DecisionKind.TASK,
        "due_on": _meeting_day(meeting) + dt.timedelta(days=DEFAULT_DUE_DAYS),
    }
    if any(person.pk == primary for person in people):
        initial["assigned_to"] = str(primary)
    return DecisionForm(data, prefix=f"decision-{item.pk}", people=people, initial=initial)


def _record_form(
    meeting: StaffingMeeting,
    user: User,
    supervisors: list[User],
    people: list[User],
    data: Any = None,
) -> RecordForm:
    facilitator = meeting.facilitator_id
    return RecordForm(
        data,
        supervisors=supervisors,
        people=people,
        initial={
            "held_at": timezone.localtime(min(meeting.scheduled_at, timezone.now())).replace(
                second=0, microsecond=0
            ),
            "facilitator": str(facilitator),
            "attendees": [str(pk) for pk in meeting.attendees.values_list("pk", flat=True)],
        },
    )


def _entries(
    meeting: StaffingMeeting,
    items: list[AgendaItem],
    *,
    editable: bool,
    people: list[User],
    bound: Entry | None = None,
) -> list[Entry]:
    entries = []
    for item in items:
        if bound is not None and bound.item.pk == item.pk:
            entry = Entry(item, bound.minutes_form, bound.decision_form)
        else:
            entry = Entry(item)
        if editable:
            entry.minutes_form = entry.minutes_form or _minutes_form(item)
            entry.decision_form = entry.decision_form or _decision_form(meeting, item, people)
        entries.append(entry)
    return entries


def _detail_page(
    request: HttpRequest,
    user: User,
    meeting: StaffingMeeting,
    *,
    bound: Entry | None = None,
    add_form: ItemAddForm | None = None,
    record_form: RecordForm | None = None,
    status: int = 200,
) -> HttpResponse:
    editable = meeting.is_planned and can_run_meeting(user, meeting)
    items = selectors.agenda_for(user, meeting)
    if items:
        services.agenda_read_log(
            actor=user, client_ids=[item.client_id for item in items], request=request
        )
    people = selectors.team_people(meeting.team) if editable else []
    supervisors = selectors.team_supervisors(meeting.team) if editable else []
    context = {
        "meeting": meeting,
        "entries": _entries(meeting, items, editable=editable, people=people, bound=bound),
        "editable": editable,
        "can_run": can_run_meeting(user, meeting),
        "attendees": selectors.attendees_of(meeting),
        "add_form": (add_form or ItemAddForm()) if editable else None,
        "record_form": (record_form or _record_form(meeting, user, supervisors, people))
        if editable
        else None,
        "discussed": sum(1 for item in items if item.discussed),
    }
    return render(request, "supervision/meeting_detail.html", context, status=status)


def _item_partial(
    request: HttpRequest,
    user: User,
    meeting: StaffingMeeting,
    entry: Entry,
    *,
    part: str,
    discussed_before: bool = True,
) -> HttpResponse:
    """One part of an item (its minutes or its decisions) for htmx to swap in place, so
    what is typed in the other part stays as it is. Errors are answered with 200: htmx
    swaps only successful answers."""
    people = selectors.team_people(meeting.team)
    item = selectors.agenda_item_for(user, meeting, entry.item.pk)
    fresh = Entry(
        item,
        entry.minutes_form or _minutes_form(item),
        entry.decision_form or _decision_form(meeting, item, people),
        entry.saved,
        entry.decision_saved,
    )
    return render(
        request,
        f"supervision/includes/meeting_item_{part}.html",
        {
            "meeting": meeting,
            "entry": fresh,
            "item": item,
            "editable": True,
            "can_run": True,
            # Noting a decision marks the client discussed: tick the box on the page too.
            "oob_discussed": item.discussed and not discussed_before,
        },
    )


def _to_item(meeting: StaffingMeeting, item_pk: int) -> HttpResponse:
    return redirect(reverse("supervision:meeting_detail", args=[meeting.pk]) + f"#item-{item_pk}")


def _runner(request: HttpRequest, pk: int) -> tuple[User, StaffingMeeting]:
    user = policy.clinician_or_404(request.user)
    return user, selectors.meeting_to_run(user, pk)


def _recorded_already(request: HttpRequest, meeting: StaffingMeeting) -> HttpResponse | None:
    if meeting.is_planned:
        return None
    messages.info(request, _("The minutes of this meeting are recorded; it no longer changes."))
    return redirect("supervision:meeting_detail", pk=meeting.pk)


# --- The list and planning a meeting ---------------------------------------------------------


def _team_filter(request: HttpRequest, teams: list[Team]) -> Team | None:
    raw = request.GET.get("team", "")
    return next((team for team in teams if str(team.pk) == raw), None)


@require_http_methods(["GET"])
def meeting_list(request: HttpRequest) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    teams = selectors.readable_teams(user)
    team = _team_filter(request, teams)
    rows = selectors.meetings_for(user, team_id=team.pk if team else None)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "supervision/meeting_list.html",
        {
            "page": page,
            "teams": teams,
            "team": team,
            "can_plan": bool(policy.supervised_team_ids(user)),
        },
    )


@require_http_methods(["GET", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    """Plan a meeting: the team, when, who facilitates and who is invited; the agenda is
    built from the team's flagged clients as it is saved."""
    user = policy.clinician_or_404(request.user)
    teams = selectors.supervised_teams(user)
    if not teams:
        raise Http404
    supervisors = selectors.team_supervisors(*teams)
    people = selectors.team_people(*teams)
    chosen = _team_filter(request, teams) or teams[0]
    start = timezone.localtime().replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)
    form = MeetingCreateForm(
        request.POST if request.method == "POST" else None,
        teams=teams,
        supervisors=supervisors,
        people=people,
        initial={
            "team": str(chosen.pk),
            "scheduled_at": start,
            "facilitator": str(user.pk),
            "attendees": [str(p.pk) for p in selectors.team_people(chosen)],
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            meeting = services.meeting_create(actor=user, **form.values())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            count = meeting.items.count()
            messages.success(
                request,
                ngettext(
                    "The meeting is planned; %(n)s flagged client is on the agenda.",
                    "The meeting is planned; %(n)s flagged clients are on the agenda.",
                    count,
                )
                % {"n": count},
            )
            return redirect("supervision:meeting_detail", pk=meeting.pk)
    return render(
        request,
        "supervision/meeting_form.html",
        {"form": form},
        status=400 if form.is_bound else 200,
    )


# --- The agenda ------------------------------------------------------------------------------


@require_http_methods(["GET"])
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    meeting = selectors.meeting_to_read(user, pk)
    return _detail_page(request, user, meeting)


@require_POST
def item_add(request: HttpRequest, pk: int) -> HttpResponse:
    user, meeting = _runner(request, pk)
    if (done := _recorded_already(request, meeting)) is not None:
        return done
    form = ItemAddForm(request.POST)
    if form.is_valid():
        try:
            item = services.agenda_item_add(
                actor=user,
                meeting=meeting,
                client_term=form.cleaned_data["client"],
                because=form.cleaned_data["because"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is added to the agenda.") % {"name": item.client.display_name},
            )
            return _to_item(meeting, item.pk)
    return _detail_page(request, user, meeting, add_form=form, status=400)


@require_POST
def item_remove(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    user, meeting = _runner(request, pk)
    if (done := _recorded_already(request, meeting)) is not None:
        return done
    item = selectors.item_to_run(user, meeting, item_pk)
    services.agenda_item_remove(actor=user, item=item)
    messages.success(request, _("%(name)s is off the agenda.") % {"name": item.client.display_name})
    return redirect("supervision:meeting_detail", pk=meeting.pk)


@require_POST
def item_move(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    user, meeting = _runner(request, pk)
    if (done := _recorded_already(request, meeting)) is not None:
        return done
    item = selectors.item_to_run(user, meeting, item_pk)
    services.agenda_item_move(actor=user, item=item, up=request.POST.get("direction") != "down")
    return _to_item(meeting, item.pk)


@require_POST
def item_minutes(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    """Save one item's minutes: in place with htmx, else back to the agenda."""
    user, meeting = _runner(request, pk)
    if (done := _recorded_already(request, meeting)) is not None:
        return done
    item = selectors.item_to_run(user, meeting, item_pk)
    form = _minutes_form(item, request.POST)
    if form.is_valid():
        try:
            services.agenda_item_minutes_save(
                actor=user,
                item=item,
                discussed=form.cleaned_data["discussed"],
                minutes=form.cleaned_data["minutes"],
                discussion_minutes=form.cleaned_data["discussion_minutes"],
            )
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                entry = Entry(item, saved=_("Minutes saved."))
                return _item_partial(request, user, meeting, entry, part="minutes")
            messages.success(request, _("The minutes are saved."))
            return _to_item(meeting, item.pk)
    entry = Entry(item, minutes_form=form)
    if request.htmx:  # type: ignore[attr-defined]
        return _item_partial(request, user, meeting, entry, part="minutes")
    return _detail_page(request, user, meeting, bound=entry, status=400)


@require_POST
def decision_add(request: HttpRequest, pk: int, item_pk: int) -> HttpResponse:
    user, meeting = _runner(request, pk)
    if (done := _recorded_already(request, meeting)) is not None:
        return done
    item = selectors.item_to_run(user, meeting, item_pk)
    people = selectors.team_people(meeting.team)
    item_for_form = selectors.agenda_item_for(user, meeting, item.pk)
    form = _decision_form(meeting, item_for_form, people, request.POST)
    if form.is_valid():
        try:
            services.decision_add(actor=user, item=item, **form.values())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            if request.htmx:  # type: ignore[attr-defined]
                return _item_partial(
                    request,
                    user,
                    meeting,
                    Entry(item, decision_saved=_("Decision noted.")),
                    part="decisions",
                    discussed_before=item.discussed,
                )
            messages.success(request, _("The decision is noted."))
            return _to_item(meeting, item.pk)
    entry = Entry(item_for_form, decision_form=form)
    if request.htmx:  # type: ignore[attr-defined]
        return _item_partial(request, user, meeting, entry, part="decisions")
    return _detail_page(request, user, meeting, bound=entry, status=400)


@require_POST
def decision_remove(request: HttpRequest, pk: int, decision_pk: int) -> HttpResponse:
    user, meeting = _runner(request, pk)
    if (done := _recorded_already(request, meeting)) is not None:
        return done
    decision = selectors.decision_to_run(user, meeting, decision_pk)
    item = decision.item
    services.decision_remove(actor=user, decision=decision)
    if request.htmx:  # type: ignore[attr-defined]
        return _item_partial(
            request,
            user,
            meeting,
            Entry(item, decision_saved=_("Decision struck.")),
            part="decisions",
        )
    messages.success(request, _("The decision is struck."))
    return _to_item(meeting, item.pk)


@require_http_methods(["GET", "POST"])
def meeting_record(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the minutes of every discussed item into the clients' files and mark the
    meeting held."""
    user, meeting = _runner(request, pk)
    if request.method == "GET":
        return redirect("supervision:meeting_detail", pk=meeting.pk)
    if (done := _recorded_already(request, meeting)) is not None:
        return done
    form = _record_form(
        meeting,
        user,
        selectors.team_supervisors(meeting.team),
        selectors.team_people(meeting.team),
        request.POST,
    )
    if form.is_valid():
        try:
            result = services.meeting_record(actor=user, meeting=meeting, **form.values())
        except ValidationError as error:
            add_service_error(form, error)
        else:
            text = ngettext(
                "The minutes are recorded: %(n)s signed case conference note in the client's file.",
                "The minutes are recorded: %(n)s signed case conference notes in the clients' "
                "files.",
                len(result.notes),
            ) % {"n": len(result.notes)}
            if result.plan_updates or result.tasks:
                text += " " + _("%(p)s plan update(s) and %(t)s task(s) are on the lists.") % {
                    "p": result.plan_updates,
                    "t": result.tasks,
                }
            if result.skipped:
                text += " " + _(
                    "Not written into a file (the client has left the team, so the facilitator "
                    "may not write in it): %(names)s. Their minutes stay on this meeting."
                ) % {"names": ", ".join(item.client.display_name for item in result.skipped)}
            messages.success(request, text)
            return redirect("supervision:meeting_detail", pk=meeting.pk)
    return _detail_page(request, user, meeting, record_form=form, status=400)


# --- Tasks -----------------------------------------------------------------------------------


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _task_context(user: User, decision: Decision) -> dict[str, Any]:
    return {
        "decision": decision,
        "item": decision.item,
        "meeting": decision.item.meeting,
        "client": decision.item.client,
        "can_mark_done": can_mark_done(user, decision, decision.item.meeting.team_id),
    }


@require_http_methods(["GET"])
def task(request: HttpRequest, pk: int) -> HttpResponse:
    """A task a staffing meeting decided: what, for whom, by when, why; marked done here."""
    user = policy.clinician_or_404(request.user)
    decision = selectors.task_for(user, pk)
    log_view(request, user, decision.item.client)
    return render(request, "supervision/meeting_task.html", _task_context(user, decision))


@require_POST
def task_done(request: HttpRequest, pk: int) -> HttpResponse:
    user = policy.clinician_or_404(request.user)
    decision = selectors.task_for(user, pk)
    try:
        services.decision_mark_done(actor=user, decision=decision)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        if not request.htmx:  # type: ignore[attr-defined]
            messages.success(request, _("The task is marked done."))
    if request.htmx:  # type: ignore[attr-defined]
        return render(
            request,
            "supervision/includes/meeting_task_status.html",
            _task_context(user, selectors.task_for(user, pk)),
        )
    return redirect(_safe_next(request) or reverse("supervision:task", args=[pk]))
