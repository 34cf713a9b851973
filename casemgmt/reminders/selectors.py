"""Reads of due items and notifications, always for one user.

"My work today" and the calendar feed compute what is due LIVE from the rules, so finishing
the work (signing the note, recording the review) clears an item on the next request, without
waiting for the sweep. The stored Reminder rows only add what a person did by hand (done,
snooze) and the escalations a supervisor was sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, cast

from django.db.models import Model, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from casemgmt.accounts.models import Agency, User

from . import rules
from .models import CalendarFeed, Channel, Notification, NotificationPreference, Reminder
from .services import token_hash

#: Days ahead that count as "this week" on My work today.
WEEK_DAYS = 7


def _client_model() -> Any:
    """The client model, reached through the reminder's foreign key: the core names no
    domain model."""
    return cast(type[Model], Reminder._meta.get_field("client").related_model)


@dataclass
class DueItem:
    """One piece of work due for one person, ready to show."""

    kind: str
    label: str
    object_id: int
    client_id: int
    client_name: str
    due_on: dt.date
    url: str
    today: dt.date
    is_escalation: bool = False
    #: The stored reminder with the same key, when the sweep has recorded one.
    reminder_id: int | None = None

    @property
    def key(self) -> tuple[str, int, dt.date]:
        return (self.kind, self.object_id, self.due_on)

    @property
    def days_overdue(self) -> int:
        return max((self.today - self.due_on).days, 0)

    @property
    def days_left(self) -> int:
        return max((self.due_on - self.today).days, 0)

    @property
    def uid(self) -> str:
        """Stable per item, so a calendar program updates an event instead of adding one."""
        return f"{self.kind}-{self.object_id}-{self.due_on:%Y%m%d}@casework"


@dataclass
class Group:
    slug: str
    title: str
    items: list[DueItem] = field(default_factory=list)


def user_agencies(user: User) -> list[Agency]:
    """The agencies whose clients the user works with: those of their teams."""
    return list(
        Agency.objects.filter(Q(teams__members=user) | Q(teams__supervisors=user))
        .distinct()
        .order_by("pk")
    )


def _until(rule: rules.Rule, agency: Agency, today: dt.date, horizon: int | None) -> dt.date:
    if horizon is not None:
        return today + dt.timedelta(days=horizon)
    return rule.sweep_until(agency, today)


def _live_rows(
    user: User, agencies: Iterable[Agency], today: dt.date, horizon: int | None
) -> list[tuple[rules.Rule, dict[str, Any]]]:
    """One query per rule and agency: the rule's items whose recipient is the user."""
    found: list[tuple[rules.Rule, dict[str, Any]]] = []
    for agency in agencies:
        for rule in rules.all_rules():
            until = _until(rule, agency, today, horizon)
            rows = rule.items(agency, until, today).filter(r_recipient=user.pk)
            found.extend((rule, row) for row in rows)
    return found


def _open_reminders(user: User) -> list[dict[str, Any]]:
    """The user's stored reminders the sweep has not resolved: one query (partial index)."""
    rows: Any = Reminder.objects.filter(recipient=user, resolved_at__isnull=True).values(
        "pk",
        "kind",
        "object_id",
        "client_id",
        "due_on",
        "is_escalation",
        "done_at",
        "snoozed_until",
    )
    return list(rows)


def _still_due(
    escalations: list[dict[str, Any]], agencies: Iterable[Agency], today: dt.date
) -> dict[tuple[str, int, dt.date], rules.Rule]:
    """Which escalated items the rules still find, whoever they are for: one query per rule
    with escalations, so finishing the work clears the supervisor's copy at once too."""
    ids_by_kind: dict[str, set[int]] = {}
    for row in escalations:
        ids_by_kind.setdefault(row["kind"], set()).add(row["object_id"])
    found: dict[tuple[str, int, dt.date], rules.Rule] = {}
    for agency in agencies:
        for kind, ids in ids_by_kind.items():
            rule = rules.rule_for(kind)
            if rule is None:
                continue
            for row in rule.items(agency, today, today).filter(r_object__in=sorted(ids)):
                found[(kind, row["r_object"], row["r_due"])] = rule
    return found


def _client_names(user: User, ids: set[int]) -> dict[int, str]:
    """Display names of the clients among `ids` the user may see (the access policy)."""
    if not ids:
        return {}
    rows = (
        _client_model()
        .objects.visible_to(user)
        .filter(pk__in=sorted(ids))
        .values_list("pk", "preferred_name", "legal_first_name", "legal_last_name")
    )
    return {pk: f"{preferred or first} {last}" for pk, preferred, first, last in rows}


def due_items(
    user: User,
    *,
    today: dt.date | None = None,
    horizon: int | None = None,
    hide_snoozed: bool = True,
) -> list[DueItem]:
    """Everything due for the user, computed live, plus the escalations sent to them.

    Without a horizon each rule looks as far ahead as the sweep does (the agency's first lead
    time, a release's warning days, or not at all for rules without lead times); with one,
    every rule looks `horizon` days ahead. Items the user ticked off are left out, and snoozed
    ones unless `hide_snoozed` is false. The number of queries depends on the number of
    rules, never on the number of items.
    """
    today = today or rules.local_today()
    agencies = user_agencies(user)
    live = _live_rows(user, agencies, today, horizon)
    stored = _open_reminders(user)

    by_key = {(r["kind"], r["object_id"], r["due_on"]): r for r in stored}

    def hidden(row: dict[str, Any]) -> bool:
        if row["done_at"] is not None:
            return True
        snoozed = row["snoozed_until"]
        return hide_snoozed and snoozed is not None and snoozed > today

    candidates: dict[tuple[str, int, dt.date], tuple[rules.Rule, int, bool]] = {}
    for rule, row in live:
        candidates.setdefault(
            (rule.kind, row["r_object"], row["r_due"]), (rule, row["r_client"], False)
        )
    escalations = [
        row for row in stored if row["is_escalation"] and rules.rule_for(row["kind"]) is not None
    ]
    still_due = _still_due(escalations, agencies, today)
    for row in escalations:
        key = (row["kind"], row["object_id"], row["due_on"])
        if key in still_due:
            candidates.setdefault(key, (still_due[key], row["client_id"], True))

    names = _client_names(user, {client_id for _r, client_id, _e in candidates.values()})
    items: list[DueItem] = []
    for key, (rule, client_id, escalated) in candidates.items():
        stored_row = by_key.get(key)
        if stored_row is not None and hidden(stored_row):
            continue
        if client_id not in names:
            continue
        kind, object_id, due_on = key
        items.append(
            DueItem(
                kind=kind,
                label=str(rule.label),
                object_id=object_id,
                client_id=client_id,
                client_name=names[client_id],
                due_on=due_on,
                url=rule.url(object_id, client_id),
                today=today,
                is_escalation=escalated,
                reminder_id=stored_row["pk"] if stored_row else None,
            )
        )
    items.sort(key=lambda item: (item.due_on, item.label, item.client_name, item.object_id))
    return items


def my_work(user: User, *, today: dt.date | None = None) -> list[Group]:
    """My work today: due items grouped by urgency, most urgent first; empty groups left out."""
    today = today or rules.local_today()
    groups = [
        Group("overdue", str(_("Overdue"))),
        Group("today", str(_("Due today"))),
        Group("week", str(_("Due this week"))),
        Group("later", str(_("Coming up"))),
    ]
    for item in due_items(user, today=today):
        if item.due_on < today:
            groups[0].items.append(item)
        elif item.due_on == today:
            groups[1].items.append(item)
        elif item.due_on <= today + dt.timedelta(days=WEEK_DAYS):
            groups[2].items.append(item)
        else:
            groups[3].items.append(item)
    return [group for group in groups if group.items]


def calendar_items(user: User, *, today: dt.date | None = None) -> list[DueItem]:
    """The feed: every open item due up to a year ahead (snoozing does not move a date)."""
    return due_items(user, today=today, horizon=365, hide_snoozed=False)


# --- Notifications ----------------------------------------------------------------------------


def notifications_for(user: User) -> QuerySet[Notification]:
    """The user's in-app notifications about clients they may still see, newest first."""
    return (
        Notification.objects.filter(
            recipient=user,
            channel=Channel.IN_APP,
            reminder__client__in=_client_model().objects.visible_to(user),
        )
        .select_related("reminder", "reminder__client")
        .order_by("-created_at", "-pk")
    )


@dataclass
class NotificationEntry:
    """A notification as the centre lists it: what, for whom, and whether it is still open."""

    notification: Notification
    label: str
    work_url: str
    #: "open", "completed" (the work was done), "done" (ticked off) or "snoozed".
    state: str

    @property
    def reminder(self) -> Reminder:
        return self.notification.reminder


def notification_entries(
    notifications: Iterable[Notification], *, today: dt.date | None = None
) -> list[NotificationEntry]:
    today = today or rules.local_today()
    entries = []
    for notification in notifications:
        reminder = notification.reminder
        rule = rules.rule_for(reminder.kind)
        if reminder.resolved_at is not None:
            state = "completed"
        elif reminder.done_at is not None:
            state = "done"
        elif reminder.snoozed_until is not None and reminder.snoozed_until > today:
            state = "snoozed"
        else:
            state = "open"
        entries.append(
            NotificationEntry(
                notification=notification,
                label=str(rule.label) if rule else reminder.kind,
                work_url=rule.url(reminder.object_id, reminder.client_id) if rule else "",
                state=state,
            )
        )
    return entries


def notification_for(user: User, pk: int) -> Notification:
    """One of the user's own in-app notifications; anyone else's is a 404."""
    return get_object_or_404(
        Notification.objects.select_related("reminder"),
        pk=pk,
        recipient=user,
        channel=Channel.IN_APP,
    )


def reminder_for(user: User, pk: int) -> Reminder:
    """One of the user's own reminders; anyone else's is a 404."""
    return get_object_or_404(Reminder, pk=pk, recipient=user)


def unread_count(user: User, *, today: dt.date | None = None) -> int:
    """Unread in-app notifications whose reminder is still open: one query."""
    today = today or rules.local_today()
    return (
        Notification.objects.filter(
            recipient=user,
            channel=Channel.IN_APP,
            read_at__isnull=True,
            reminder__resolved_at__isnull=True,
            reminder__done_at__isnull=True,
        )
        .filter(Q(reminder__snoozed_until__isnull=True) | Q(reminder__snoozed_until__lte=today))
        .count()
    )


def preference_for(user: User) -> NotificationPreference:
    """The user's preferences; the defaults (unsaved) when they never changed them."""
    return NotificationPreference.objects.filter(user=user).first() or NotificationPreference(
        user=user
    )


# --- Calendar feed ----------------------------------------------------------------------------


def live_feed(user: User) -> CalendarFeed | None:
    return CalendarFeed.objects.filter(user=user, revoked_at__isnull=True).first()


def feed_for_token(token: str) -> CalendarFeed | None:
    """The live feed behind a secret address, if its owner is still active."""
    if not token or len(token) > 100:
        return None
    return (
        CalendarFeed.objects.select_related("user")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
