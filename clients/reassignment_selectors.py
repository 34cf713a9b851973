"""Reads of the reassignment pages: whose caseloads a supervisor may move, to whom, the
clients of one caseload and the recent moves — all within the teams the supervisor
supervises."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from casemgmt.accounts import policy
from casemgmt.accounts.models import User

from .models import Client, ClientStatus, Reassignment

RECENT_MOVES = 20


def holders_of_caseloads(user: User) -> QuerySet[User]:
    """Everyone, active or not, who is primary case manager of an active client on the
    teams `user` supervises, with how many: a deactivated worker's caseload shows here
    until it is moved."""
    teams = sorted(policy.supervised_team_ids(user))
    in_teams = Q(primary_clients__team__in=teams, primary_clients__status=ClientStatus.ACTIVE)
    return (
        User.objects.annotate(active_clients=Count("primary_clients", filter=in_teams))
        .filter(active_clients__gt=0)
        .order_by("full_name", "pk")
    )


def receivers(user: User) -> QuerySet[User]:
    """Active case managers on the teams `user` supervises."""
    teams = sorted(policy.supervised_team_ids(user))
    return (
        User.objects.filter(is_active=True, is_case_manager=True, member_teams__in=teams)
        .distinct()
        .order_by("full_name", "pk")
    )


def caseload(supervisor: User, holder: User) -> QuerySet[Client]:
    """The active clients of `holder` on the teams `supervisor` supervises, by name."""
    return (
        Client.objects.filter(
            primary_case_manager=holder,
            team__in=sorted(policy.supervised_team_ids(supervisor)),
            status=ClientStatus.ACTIVE,
        )
        .select_related("team")
        .order_by("legal_last_name", "legal_first_name", "pk")
    )


def recent_reassignments(supervisor: User) -> QuerySet[Reassignment]:
    """The latest moves of clients on the teams `supervisor` supervises, newest first."""
    return (
        Reassignment.objects.filter(client__team__in=sorted(policy.supervised_team_ids(supervisor)))
        .select_related("client", "from_case_manager", "to_case_manager", "reassigned_by")
        .order_by("-reassigned_at", "-pk")[:RECENT_MOVES]
    )
