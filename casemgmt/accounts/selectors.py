"""Reads about people, teams and the agency: whose agency, the agency's session timeout, the
staff and team lists of the administration pages, and how many active clients a case manager
still holds."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from .models import Agency, Role, Team, User

#: clients.ClientStatus.ACTIVE. Accounts sits below clients and never imports it; clients
#: reach this app only as the reverse relations User.primary_clients and Team.clients.
ACTIVE_CLIENT_STATUS = "active"

#: How long a worker process trusts the timeout it read. A save in the same process forgets
#: it at once (signals.forget_session_timeout); other processes read it again within this.
SESSION_TIMEOUT_MEMO_SECONDS = 60
#: agency id -> (time.monotonic() when read, minutes). Kept in the process, not in Redis, so a
#: request never waits on the cache and query counts do not depend on what it holds.
_session_timeouts: dict[int, tuple[float, int]] = {}


def agency_for_user(user: User) -> Agency | None:
    """The agency of the first team the user belongs to, else of the first team they
    supervise, else the installation's one agency; None before any agency exists."""
    return (
        Agency.objects.filter(teams__members=user).order_by("pk").first()
        or Agency.objects.filter(teams__supervisors=user).order_by("pk").first()
        or Agency.objects.order_by("pk").first()
    )


def session_timeout_forget(agency_id: int) -> None:
    """Forget the timeout read for the agency, so the next request reads the saved one."""
    _session_timeouts.pop(agency_id, None)


def session_idle_seconds(agency_id: int | None) -> int:
    """How long a session of the agency's staff lasts without a request: the agency's
    setting (read at most once a minute per process, and again as soon as it is saved); the
    SESSION_IDLE_MINUTES environment setting when there is no agency."""
    if not agency_id:
        return int(settings.SESSION_COOKIE_AGE)
    now = time.monotonic()
    held = _session_timeouts.get(agency_id)
    if held is None or now - held[0] > SESSION_TIMEOUT_MEMO_SECONDS:
        minutes = (
            Agency.objects.filter(pk=agency_id)
            .values_list("session_timeout_minutes", flat=True)
            .first()
        )
        if minutes is None:
            _session_timeouts.pop(agency_id, None)
            return int(settings.SESSION_COOKIE_AGE)
        held = (now, minutes)
        _session_timeouts[agency_id] = held
    return held[1] * 60


# --- Staff and teams ---------------------------------------------------------------------------


def _memberships(agency: Agency) -> tuple[Exists, Exists]:
    member = Exists(
        Team.members.through.objects.filter(user_id=OuterRef("pk"), team__agency=agency)
    )
    supervising = Exists(
        Team.supervisors.through.objects.filter(user_id=OuterRef("pk"), team__agency=agency)
    )
    return member, supervising


def staff_of(agency: Agency) -> QuerySet[User]:
    """The agency's staff: everyone in or supervising one of its teams, and everyone not yet
    on any team (an installation has one agency; a new administrator is on none)."""
    member, supervising = _memberships(agency)
    on_any_team = Exists(Team.members.through.objects.filter(user_id=OuterRef("pk"))) | Exists(
        Team.supervisors.through.objects.filter(user_id=OuterRef("pk"))
    )
    return User.objects.filter(member | supervising | ~on_any_team)


def staff_member_or_none(agency: Agency, pk: int) -> User | None:
    return staff_of(agency).filter(pk=pk).first()


@dataclass(frozen=True)
class StaffFilters:
    """The staff list's filters, as the administrator chose them (empty: no filter)."""

    active: str = ""  # "active", "inactive" or ""
    role: str = ""  # a Role value or ""
    team: Team | None = None


ROLE_FIELDS = {
    Role.CASE_MANAGER: "is_case_manager",
    Role.SUPERVISOR: "is_supervisor",
    Role.ADMIN: "is_agency_admin",
}


def _active_client_count() -> Coalesce:
    from_clients = (
        User.objects.filter(pk=OuterRef("pk"))
        .annotate(
            n=Count("primary_clients", filter=Q(primary_clients__status=ACTIVE_CLIENT_STATUS))
        )
        .values("n")
    )
    return Coalesce(Subquery(from_clients, output_field=IntegerField()), 0)


def staff_list(agency: Agency, filters: StaffFilters) -> QuerySet[User]:
    """The staff list: teams (agency's only) prefetched and active clients counted in the
    same query, so the number of queries does not grow with the number of people."""
    teams = Team.objects.filter(agency=agency).order_by("name")
    users = staff_of(agency)
    if filters.active == "active":
        users = users.filter(is_active=True)
    elif filters.active == "inactive":
        users = users.filter(is_active=False)
    if filters.role in ROLE_FIELDS:
        users = users.filter(**{ROLE_FIELDS[Role(filters.role)]: True})
    if filters.team is not None:
        users = users.filter(
            Exists(Team.members.through.objects.filter(user_id=OuterRef("pk"), team=filters.team))
            | Exists(
                Team.supervisors.through.objects.filter(user_id=OuterRef("pk"), team=filters.team)
            )
        )
    return (
        users.annotate(active_clients=_active_client_count())
        .prefetch_related(
            Prefetch("member_teams", queryset=teams),
            Prefetch("supervised_teams", queryset=teams),
        )
        .order_by("full_name", "email", "pk")
    )


def team_list(agency: Agency) -> QuerySet[Team]:
    """The agency's teams with their number of members and active clients, and their
    supervisors, in a number of queries that does not grow with the teams."""
    members = Team.objects.filter(pk=OuterRef("pk")).annotate(n=Count("members")).values("n")
    clients = (
        Team.objects.filter(pk=OuterRef("pk"))
        .annotate(n=Count("clients", filter=Q(clients__status=ACTIVE_CLIENT_STATUS)))
        .values("n")
    )
    return (
        Team.objects.filter(agency=agency)
        .annotate(
            member_count=Coalesce(Subquery(members, output_field=IntegerField()), 0),
            active_clients=Coalesce(Subquery(clients, output_field=IntegerField()), 0),
        )
        .prefetch_related(Prefetch("supervisors", queryset=User.objects.order_by("full_name")))
        .order_by("name")
    )


def active_client_count(user: User) -> int:
    """How many active clients the user is the primary case manager of."""
    return int(
        User.objects.filter(pk=user.pk)
        .annotate(active=_active_client_count())
        .values_list("active", flat=True)
        .first()
        or 0
    )


def active_clients_by_team(user: User, team_ids: Iterable[int]) -> dict[int, int]:
    """For each of the teams, how many of its active clients have the user as primary case
    manager (teams with none are left out)."""
    rows = (
        Team.objects.filter(
            pk__in=list(team_ids),
            clients__primary_case_manager=user,
            clients__status=ACTIVE_CLIENT_STATUS,
        )
        .values("pk")
        .annotate(n=Count("clients"))
        .values_list("pk", "n")
    )
    return dict(rows)


def active_clients_on_team(team: Team, user_ids: Iterable[int]) -> dict[int, int]:
    """For each of the users, how many of the team's active clients they are the primary
    case manager of (users with none are left out)."""
    rows = (
        User.objects.filter(
            pk__in=list(user_ids),
            primary_clients__team=team,
            primary_clients__status=ACTIVE_CLIENT_STATUS,
        )
        .values("pk")
        .annotate(n=Count("primary_clients"))
        .values_list("pk", "n")
    )
    return dict(rows)


def active_admin_count() -> int:
    return User.objects.filter(is_active=True, is_agency_admin=True).count()
