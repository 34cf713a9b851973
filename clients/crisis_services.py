"""Crisis events: recording how the case manager responded to a client in distress and
closing the event once the follow-up is done. While an event is open the client is flagged
on every page (`selectors.client_for_user` brings them as `open_crisis_events`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.audit.history import save_with_history

from .models import (
    Client,
    CrisisAction,
    CrisisEvent,
    CrisisOutcome,
    DistressLevel,
)
from .permissions import can_change_client

#: Fields of a crisis event a user fills in; the services keep the rest.
CRISIS_FIELDS = (
    "occurred_at",
    "distress_level",
    "description",
    "actions",
    "actions_detail",
    "consulted_with",
    "crisis_professional_involved",
    "crisis_professional_name",
    "outcome",
    "outcome_detail",
    "safety_plan",
    "follow_up_on",
)
_TEXT = (
    "distress_level",
    "description",
    "actions_detail",
    "consulted_with",
    "crisis_professional_name",
    "outcome",
    "outcome_detail",
    "safety_plan",
)

#: A clock a minute or two ahead of the server's is not "the future".
CLOCK_SLACK = dt.timedelta(minutes=5)

#: Levels the agency's definition calls a full crisis: the designated crisis professional
#: handles those (the case manager connects the client with them).
FULL_CRISIS_LEVELS = (DistressLevel.CRISIS, DistressLevel.IMMINENT)

NOT_YOURS_TO_CHANGE = gettext_lazy("You can read this record but not change it.")
FOLLOW_UP_NEEDED = gettext_lazy("Say what follow-up was done: who was contacted, what was agreed.")


def _clean_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The crisis fields from `data`: strings trimmed, the actions in the order of the five
    steps without repeats, missing text blank."""
    values: dict[str, Any] = {}
    for field in CRISIS_FIELDS:
        value = data.get(field)
        if field in _TEXT:
            value = value.strip() if isinstance(value, str) else ("" if value is None else value)
        values[field] = value
    chosen = set(values["actions"] or [])
    values["actions"] = [a for a in CrisisAction.values if a in chosen] + sorted(
        str(a) for a in chosen if a not in CrisisAction.values
    )
    values["crisis_professional_involved"] = bool(values["crisis_professional_involved"])
    if not values["crisis_professional_involved"]:
        values["crisis_professional_name"] = ""
    return values


def crisis_event_problems(
    data: Mapping[str, Any], *, now: dt.datetime | None = None
) -> dict[str, list[str]]:
    """The crisis event rules, each refusal beside its field: when it happened, not in the
    future; the level of distress and outcome from their lists; what happened; at least one
    of the five steps, and who was consulted when consulting was one; the designated crisis
    professional named when they were involved; the follow-up date not before the event."""
    now = now or timezone.now()
    problems: dict[str, list[str]] = {}

    def refuse(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    values = _clean_values(data)
    occurred_at = values["occurred_at"]
    if not isinstance(occurred_at, dt.datetime):
        refuse("occurred_at", _("Give the date and time it happened."))
        occurred_at = None
    elif occurred_at > now + CLOCK_SLACK:
        refuse("occurred_at", _("When it happened cannot be in the future."))
    if values["distress_level"] not in DistressLevel.values:
        refuse("distress_level", _("Choose the level of distress."))
    if not values["description"]:
        refuse("description", _("Describe what happened: the facts, as you saw and heard them."))
    actions = values["actions"]
    if not actions:
        refuse("actions", _("Tick what you did — at least one of the five steps."))
    elif any(a not in CrisisAction.values for a in actions):
        refuse("actions", _("Choose from the five steps."))
    elif CrisisAction.CONSULTED in actions and not values["consulted_with"]:
        refuse("consulted_with", _("Say who you consulted."))
    if values["crisis_professional_involved"] and not values["crisis_professional_name"]:
        refuse(
            "crisis_professional_name",
            _("Name the designated crisis professional who was involved."),
        )
    if values["outcome"] not in CrisisOutcome.values:
        refuse("outcome", _("Choose the outcome."))
    elif values["outcome"] == CrisisOutcome.OTHER and not values["outcome_detail"]:
        refuse("outcome_detail", _("Describe the outcome."))
    follow_up_on = values["follow_up_on"]
    if not isinstance(follow_up_on, dt.date):
        refuse("follow_up_on", _("Give the date you will follow up."))
    elif occurred_at is not None:
        event_day = timezone.localdate(occurred_at)
        if follow_up_on < event_day:
            refuse(
                "follow_up_on",
                _("The follow-up cannot be before the event, on %(day)s.")
                % {"day": event_day.isoformat()},
            )
    return problems


@transaction.atomic
def crisis_event_record(*, actor: User, client: Client, data: Mapping[str, Any]) -> CrisisEvent:
    """Record a crisis the case manager responded to (see `crisis_event_problems` for the
    rules). It stays open, flagging the client on every page, until the follow-up is done.
    Only the assigned case manager or the team's supervisor records one."""
    if not can_change_client(actor, client):
        raise PermissionDenied(NOT_YOURS_TO_CHANGE)
    problems = crisis_event_problems(data)
    values = _clean_values(data)
    event = CrisisEvent(client=client, recorded_by=actor, **values)
    try:
        event.full_clean(exclude=list(problems), validate_constraints=not problems)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            problems.setdefault(field, []).extend(messages)
    if problems:
        raise ValidationError(problems)
    save_with_history(event, actor=actor, reason="Crisis event recorded")
    return event


@transaction.atomic
def crisis_event_close(*, actor: User, event: CrisisEvent, closing_note: str) -> CrisisEvent:
    """The follow-up is done: say what was done and the event closes, taking the flag off the
    client. An event closes once."""
    locked = (
        CrisisEvent.objects.select_for_update(of=("self",))
        .select_related("client")
        .get(pk=event.pk)
    )
    if not can_change_client(actor, locked.client):
        raise PermissionDenied(NOT_YOURS_TO_CHANGE)
    if locked.closed_at is not None:
        raise ValidationError(
            _("This crisis event was already closed on %(day)s.")
            % {"day": timezone.localdate(locked.closed_at).isoformat()}
        )
    closing_note = (closing_note or "").strip()
    if not closing_note:
        raise ValidationError({"closing_note": [FOLLOW_UP_NEEDED]})
    locked.closed_at = timezone.now()
    locked.closed_by = actor
    locked.closing_note = closing_note
    locked.full_clean()
    save_with_history(
        locked,
        actor=actor,
        reason="Crisis event closed: follow-up done",
        update_fields=["closed_at", "closed_by", "closing_note"],
    )
    return locked


# --- Reads (always within a client the user was allowed to open) ---------------------------


def crisis_events_for_client(client: Client) -> QuerySet[CrisisEvent]:
    """The client's crisis events, open ones first, then newest first."""
    return (
        CrisisEvent.objects.filter(client=client)
        .select_related("recorded_by", "closed_by")
        .order_by(
            ExpressionWrapper(Q(closed_at__isnull=True), output_field=BooleanField()).desc(),
            "-occurred_at",
            "-pk",
        )
    )


def crisis_event_for_user(user: policy.AnyUser, client: Client, event_pk: int) -> CrisisEvent:
    """One crisis event of the client; 404 outside the user's scope."""
    return get_object_or_404(
        CrisisEvent.objects.visible_to(user)
        .filter(client=client)
        .select_related("recorded_by", "closed_by"),
        pk=event_pk,
    )


def needs_crisis_professional(event: CrisisEvent) -> bool:
    """A full crisis goes to the designated crisis professional: true when the level says
    so and none is recorded as involved."""
    return event.distress_level in FULL_CRISIS_LEVELS and not event.crisis_professional_involved
