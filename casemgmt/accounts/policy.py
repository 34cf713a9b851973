"""The access policy: the one place that decides whose client records a user may see or change.

Every view, API endpoint, export and task asks here (through the domain apps' `visible_to`
querysets and permission predicates); nothing filters by hand.

- A case manager sees the clients assigned to them and, read-only, their teams' clients.
- A supervisor sees and changes the clients of the teams they supervise.
- An administrator manages configuration and sees no client record unless they also hold a
  clinical role.
"""

from __future__ import annotations

from typing import Protocol

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from .models import Team, User


class ScopedRecord(Protocol):
    """Anything that belongs to a team and may have a primary case manager."""

    @property
    def team_id(self) -> int | None: ...

    @property
    def primary_case_manager_id(self) -> int | None: ...


AnyUser = User | AnonymousUser


def _active_clinician(user: AnyUser) -> User | None:
    if not isinstance(user, User) or not user.is_active or not user.has_clinical_role:
        return None
    return user


def signed_in(user: AnyUser) -> User:
    """The staff member behind a request that passed the login requirement."""
    if not isinstance(user, User) or not user.is_active:
        raise PermissionDenied
    return user


def clinician_or_404(user: AnyUser) -> User:
    """Client pages exist only for clinical staff; anyone else gets a 404, as if the page
    did not exist."""
    if not isinstance(user, User) or not user.is_active or not user.has_clinical_role:
        raise Http404
    return user


def member_team_ids(user: AnyUser) -> set[int]:
    """Teams whose caseload the user may read as a member."""
    clinician = _active_clinician(user)
    if clinician is None or not clinician.is_case_manager:
        return set()
    cache = clinician.__dict__.setdefault("_policy_cache", {})
    if "member" not in cache:
        cache["member"] = set(Team.objects.filter(members=clinician).values_list("pk", flat=True))
    return set(cache["member"])


def supervised_team_ids(user: AnyUser) -> set[int]:
    """Teams whose caseload the user supervises (sees and changes)."""
    clinician = _active_clinician(user)
    if clinician is None or not clinician.is_supervisor:
        return set()
    cache = clinician.__dict__.setdefault("_policy_cache", {})
    if "supervised" not in cache:
        cache["supervised"] = set(
            Team.objects.filter(supervisors=clinician).values_list("pk", flat=True)
        )
    return set(cache["supervised"])


def record_scope(
    user: AnyUser, *, team_field: str = "team", case_manager_field: str = "primary_case_manager"
) -> Q | None:
    """A filter selecting the records the user may read, or None when they may read none.

    The field names let other models (assessments, notes …) reuse the rule through their
    client: `record_scope(user, team_field="client__team", …)`.
    """
    clinician = _active_clinician(user)
    if clinician is None:
        return None
    scope = Q()
    if clinician.is_case_manager:
        scope |= Q(**{case_manager_field: clinician})
    teams = member_team_ids(clinician) | supervised_team_ids(clinician)
    if teams:
        scope |= Q(**{f"{team_field}__in": sorted(teams)})
    return scope if scope else None


def can_view_record(user: AnyUser, record: ScopedRecord) -> bool:
    """Assigned case manager, a member of the record's team, or its team's supervisor."""
    clinician = _active_clinician(user)
    if clinician is None:
        return False
    if clinician.is_case_manager and record.primary_case_manager_id == clinician.pk:
        return True
    return record.team_id in (member_team_ids(clinician) | supervised_team_ids(clinician))


def can_change_record(user: AnyUser, record: ScopedRecord) -> bool:
    """Only the assigned case manager or a supervisor of the record's team; teammates read."""
    clinician = _active_clinician(user)
    if clinician is None:
        return False
    if clinician.is_case_manager and record.primary_case_manager_id == clinician.pk:
        return True
    return record.team_id in supervised_team_ids(clinician)


def can_create_records_for(user: AnyUser, team: Team) -> bool:
    """Case managers open records in their own teams; supervisors in the teams they supervise."""
    return team.pk in (member_team_ids(user) | supervised_team_ids(user))


def can_read_change_history(user: AnyUser, record: ScopedRecord) -> bool:
    """Supervisors of the record's team read who changed what."""
    clinician = _active_clinician(user)
    return clinician is not None and record.team_id in supervised_team_ids(clinician)


def assignable_teams(user: AnyUser) -> list[Team]:
    ids = member_team_ids(user) | supervised_team_ids(user)
    return list(Team.objects.filter(pk__in=ids).order_by("name"))


def assignable_case_managers(user: AnyUser) -> list[User]:
    """Who a record in the user's teams may be assigned to: active case managers in them."""
    ids = member_team_ids(user) | supervised_team_ids(user)
    return list(
        User.objects.filter(is_active=True, is_case_manager=True, member_teams__in=ids)
        .distinct()
        .order_by("full_name")
    )
