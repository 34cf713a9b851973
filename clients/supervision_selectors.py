"""Reads behind the supervisor dashboard that concern the client record, and the shared
pieces the other apps' dashboard reads build on: the clients a figure may count, a count of
related rows as a subquery, and the overdue items of reminder rules.

Every read starts from the user (the access policy) and a set of teams: a figure counts only
the clients of those teams that the user may read. The number of queries never depends on
the number of clients or case managers."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency
from casemgmt.reminders.rules import Rule

from .models import Client, ClientStatus, CrisisEvent, SafetyFlag


def team_clients(user: policy.AnyUser, team_ids: Iterable[int]) -> QuerySet[Client]:
    """The clients of the teams that the user may read: whatever a dashboard figure counts
    is about one of these."""
    return Client.objects.visible_to(user).filter(team_id__in=sorted(team_ids))


def clients_without_a_working_case_manager(user: policy.AnyUser, team_ids: Iterable[int]) -> int:
    """Active clients of the teams whose primary case manager is deactivated or no longer a
    case manager on the client's team: nobody's dashboard row counts them, so they are
    told apart until a supervisor reassigns them."""
    return (
        team_clients(user, team_ids)
        .filter(status=ClientStatus.ACTIVE)
        .exclude(
            primary_case_manager__is_active=True,
            primary_case_manager__is_case_manager=True,
            primary_case_manager__member_teams=F("team"),
        )
        .count()
    )


def active_clients(
    user: policy.AnyUser, team_ids: Iterable[int], *, case_manager_ids: Iterable[int]
) -> QuerySet[Client]:
    """Active clients of the teams whose primary case manager is one of `case_manager_ids`,
    by name."""
    return (
        team_clients(user, team_ids)
        .filter(status=ClientStatus.ACTIVE, primary_case_manager_id__in=sorted(case_manager_ids))
        .order_by("legal_last_name", "legal_first_name", "pk")
    )


def counts_by(rows: QuerySet[Any], field: str) -> dict[int, int]:
    """How many of `rows` there are for each value of `field` (one grouped query)."""
    grouped = rows.order_by().values(field).annotate(n=Count("pk")).values_list(field, "n")
    return {key: n for key, n in grouped if key is not None}


def count_of(rows: QuerySet[Any], group: str) -> Coalesce:
    """The number of `rows` (already filtered on an `OuterRef`) as a correlated subquery,
    grouped on `group`; 0 when there are none."""
    subquery = rows.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(subquery, output_field=IntegerField()), Value(0))


def with_open_flags(rows: QuerySet[Client]) -> QuerySet[Any]:
    """Each client with `open_crises` (crisis events not yet closed) and
    `open_safety_flags` (safety flags not yet followed up)."""
    return rows.annotate(
        open_crises=count_of(
            CrisisEvent.objects.filter(client=OuterRef("pk"), closed_at__isnull=True), "client"
        ),
        open_safety_flags=count_of(
            SafetyFlag.objects.filter(client=OuterRef("pk"), resolved_at__isnull=True), "client"
        ),
    )


# --- Overdue items of the reminder rules ----------------------------------------------------


@dataclass(frozen=True)
class OverdueItem:
    """One item a reminder rule finds overdue: the rule, the object the work is on, the
    client and the date it was due."""

    rule: Rule
    object_id: int
    client_id: int
    recipient_id: int
    due_on: dt.date


RuleRows = list[tuple[Rule, QuerySet[Any]]]


def overdue_rows(
    user: policy.AnyUser,
    rules: Sequence[Rule],
    *,
    agencies: Iterable[Agency],
    team_ids: Iterable[int],
    recipient_ids: Iterable[int],
    today: dt.date,
) -> RuleRows:
    """The items each rule finds due before `today` (so overdue, as on "My work today") for
    one of `recipient_ids`, about the clients of the teams the user may read: one queryset
    per rule and agency, in the rule's own columns (`rules.COLUMNS`)."""
    until = today - dt.timedelta(days=1)
    clients = team_clients(user, team_ids).values("pk")
    recipients = sorted(recipient_ids)
    return [
        (
            rule,
            rule.items(agency, until, today).filter(
                r_client__in=clients, r_recipient__in=recipients
            ),
        )
        for agency in agencies
        for rule in rules
    ]


def overdue_counts(rows: RuleRows) -> dict[int, int]:
    """How many overdue items each recipient has: one grouped query per rule and agency,
    whatever the number of people."""
    counts: Counter[int] = Counter()
    for _rule, items in rows:
        grouped = items.values("r_recipient").annotate(n=Count("r_object"))
        for row in grouped.values_list("r_recipient", "n"):
            counts[row[0]] += row[1]
    return dict(counts)


def overdue_items(rows: RuleRows) -> list[OverdueItem]:
    """The overdue items themselves, the longest overdue first: the list behind
    `overdue_counts`."""
    found = [
        OverdueItem(
            rule=rule,
            object_id=row["r_object"],
            client_id=row["r_client"],
            recipient_id=row["r_recipient"],
            due_on=row["r_due"],
        )
        for rule, items in rows
        for row in items
    ]
    return sorted(found, key=lambda item: (item.due_on, item.rule.kind, item.object_id))
