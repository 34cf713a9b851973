"""Reads of client records, always starting from the user (the access policy)."""

from __future__ import annotations

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from casemgmt.accounts import policy
from casemgmt.accounts.models import Team, User

from .models import Client, ClientStatus, CrisisEvent, Episode, SafetyFlag

SORTS = {
    "name": ("legal_last_name", "legal_first_name", "pk"),
    "-name": ("-legal_last_name", "-legal_first_name", "-pk"),
    "record": ("record_number",),
    "-record": ("-record_number",),
    "dob": ("date_of_birth", "pk"),
    "-dob": ("-date_of_birth", "-pk"),
    "updated": ("updated_at", "pk"),
    "-updated": ("-updated_at", "-pk"),
}
DEFAULT_SORT = "name"
SORT_LABELS = [
    ("name", _("Name, A to Z")),
    ("-name", _("Name, Z to A")),
    ("record", _("Record number")),
    ("dob", _("Oldest first")),
    ("-dob", _("Youngest first")),
    ("-updated", _("Recently updated")),
]


def _caseload(
    base: QuerySet[Client], *, search: str = "", status: str = "", sort: str = DEFAULT_SORT
) -> QuerySet[Client]:
    rows = (
        base.select_related("team", "primary_case_manager")
        .search(search)  # type: ignore[attr-defined]
        # Flagged on every list too: an open crisis, or a safety follow-up not yet done.
        .annotate(
            has_open_crisis=Exists(
                CrisisEvent.objects.filter(client=OuterRef("pk"), closed_at__isnull=True)
            ),
            has_open_safety_flag=Exists(
                SafetyFlag.objects.filter(client=OuterRef("pk"), resolved_at__isnull=True)
            ),
        )
    )
    if status in ClientStatus.values:
        rows = rows.filter(status=status)
    return rows.order_by(*SORTS.get(sort, SORTS[DEFAULT_SORT]))


def my_caseload(
    user: User, *, search: str = "", status: str = "", sort: str = DEFAULT_SORT
) -> QuerySet[Client]:
    """Clients for whom the user is the primary case manager."""
    base = Client.objects.visible_to(user).filter(primary_case_manager=user)
    return _caseload(base, search=search, status=status, sort=sort)


def team_caseload(
    user: User,
    *,
    search: str = "",
    status: str = "",
    sort: str = DEFAULT_SORT,
    team_id: int | None = None,
) -> QuerySet[Client]:
    """Clients of the teams the user belongs to or supervises (optionally one of them)."""
    teams = policy.member_team_ids(user) | policy.supervised_team_ids(user)
    if team_id is not None:
        teams &= {team_id}
    base = Client.objects.visible_to(user).filter(team_id__in=sorted(teams))
    return _caseload(base, search=search, status=status, sort=sort)


def client_for_user(user: policy.AnyUser, pk: int) -> Client:
    """One client record with what its header shows (episodes, open safety flags as
    `open_safety_flags`, open crisis events as `open_crisis_events`); 404 when outside the
    user's scope. Every client tab starts here."""
    return get_object_or_404(
        Client.objects.visible_to(user)
        .select_related("team__agency", "primary_case_manager")
        .prefetch_related(
            Prefetch(
                "episodes",
                queryset=Episode.objects.select_related("enrolled_by", "discharged_by"),
            ),
            Prefetch(
                "safety_flags",
                queryset=SafetyFlag.objects.filter(resolved_at__isnull=True).select_related(
                    "raised_by"
                ),
                to_attr="open_safety_flags",
            ),
            Prefetch(
                "crisis_events",
                queryset=CrisisEvent.objects.open().order_by("follow_up_on", "occurred_at", "pk"),
                to_attr="open_crisis_events",
            ),
        ),
        pk=pk,
    )


def my_caseload_counts(user: User) -> dict[str, int]:
    """Active and discharged clients for whom the user is the primary case manager."""
    return (
        Client.objects.visible_to(user)
        .filter(primary_case_manager=user)
        .aggregate(
            active=Count("pk", filter=Q(status=ClientStatus.ACTIVE)),
            discharged=Count("pk", filter=Q(status=ClientStatus.DISCHARGED)),
        )
    )


def team_active_counts(user: User) -> QuerySet[Team]:
    """The user's teams, each annotated with its number of active clients."""
    team_ids = policy.member_team_ids(user) | policy.supervised_team_ids(user)
    return (
        Team.objects.filter(pk__in=team_ids)
        .annotate(active=Count("clients", filter=Q(clients__status=ClientStatus.ACTIVE)))
        .order_by("name")
    )
