"""Whose records a report may export, through the access policy."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef, Q, QuerySet

from casemgmt.accounts import policy
from casemgmt.accounts.models import Team, User

from .models import Client, Episode


def report_teams(user: policy.AnyUser) -> QuerySet[Team]:
    """The teams a report may be narrowed to: those the user belongs to or supervises."""
    ids = policy.member_team_ids(user) | policy.supervised_team_ids(user)
    return Team.objects.filter(pk__in=sorted(ids)).order_by("name")


def report_clients(user: User, *, team: Team | None = None) -> QuerySet[Client]:
    """Clients whose records the user may export: a supervisor the clients of the teams they
    supervise, a case manager their own clients. A teammate's clients, which a case manager
    only reads, are left out."""
    condition = Q(team_id__in=sorted(policy.supervised_team_ids(user)))
    if user.is_case_manager:
        condition |= Q(primary_case_manager=user)
    clients = Client.objects.visible_to(user).filter(condition)
    if team is not None:
        clients = clients.filter(team=team)
    return clients


def episodes_overlapping(date_from: dt.date, date_to: dt.date) -> QuerySet[Episode]:
    """Episodes of care open at any time from `date_from` to `date_to` (inclusive)."""
    return Episode.objects.filter(enrolled_on__lte=date_to).filter(
        Q(discharged_on__isnull=True) | Q(discharged_on__gte=date_from)
    )


def clients_open_between(
    clients: QuerySet[Client], date_from: dt.date, date_to: dt.date
) -> QuerySet[Client]:
    """The clients whose record was open (an episode of care) at any time in the range."""
    return clients.filter(
        Exists(episodes_overlapping(date_from, date_to).filter(client=OuterRef("pk")))
    )
