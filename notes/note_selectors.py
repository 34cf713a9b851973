"""Reads for the case-note pages, always starting from the user (the access policy): a
client's notes, one note with what its page shows, the co-signature queue, a goal's notes
across plan versions, and the choices the editor offers.

Every note read goes through `notes.selectors.notes_visible_to`: signed notes of the clients
in the user's scope, and the user's own drafts (a draft is its author's until signed)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from careplans.models import Goal, PlanStatus, ServicePlan
from casemgmt.accounts import policy
from clients.models import Client, Collateral
from referrals.models import Referral

from .models import Addendum, CaseNote, ContactType, CosignStatus, NoteStatus
from .selectors import notes_visible_to

StrOrPromise = str | Promise

#: The status filter of a client's notes list: value, label, and the rows it keeps.
STATUS_FILTERS: dict[str, tuple[StrOrPromise, Q]] = {
    "draft": (_("Draft"), Q(status=NoteStatus.DRAFT)),
    "signed": (_("Signed"), Q(status=NoteStatus.SIGNED)),
    "late": (_("Late entry"), Q(status=NoteStatus.SIGNED, late_entry=True)),
    "awaiting": (_("Awaiting co-signature"), Q(cosign_status=CosignStatus.PENDING)),
    "returned": (_("Returned with a comment"), Q(cosign_status=CosignStatus.RETURNED)),
}

#: Plans whose goals a note may say it worked on: the plan in force.
PLANS_IN_FORCE = (PlanStatus.ACTIVE, PlanStatus.UNDER_REVIEW)


def notes_for_client(
    user: policy.AnyUser, client: Client, *, contact_type: str = "", status: str = ""
) -> QuerySet[CaseNote]:
    """The client's notes the user may read, newest contact first, optionally one contact
    type or one status (unknown values are ignored)."""
    rows = notes_visible_to(user).filter(client=client).select_related("author")
    if contact_type in ContactType.values:
        rows = rows.filter(contact_type=contact_type)
    if status in STATUS_FILTERS:
        rows = rows.filter(STATUS_FILTERS[status][1])
    return rows.order_by("-contact_at", "-pk")


def note_for_user(user: policy.AnyUser, client: Client, pk: int) -> CaseNote:
    """One note of the client with its participants, links and addenda; 404 outside scope."""
    return get_object_or_404(
        notes_visible_to(user)
        .filter(client=client)
        .select_related("client__team", "author", "signed_by", "cosigned_by")
        .prefetch_related(
            "collaterals",
            Prefetch("goals", queryset=Goal.objects.select_related("plan")),
            Prefetch("referrals", queryset=Referral.objects.select_related("service")),
            Prefetch("addenda", queryset=Addendum.objects.select_related("author")),
        ),
        pk=pk,
    )


def cosign_queue(user: policy.AnyUser) -> QuerySet[CaseNote]:
    """Notes waiting for this supervisor's co-signature across the teams they supervise,
    never their own notes (the rule of notes.permissions.can_cosign); oldest signed first."""
    teams = sorted(policy.supervised_team_ids(user))
    return (
        CaseNote.objects.visible_to(user)
        .filter(cosign_status=CosignStatus.PENDING, client__team_id__in=teams)
        .exclude(author_id=user.pk)
        .select_related("client", "author")
        .order_by("signed_at", "pk")
    )


def returned_notes(user: policy.AnyUser) -> QuerySet[CaseNote]:
    """Notes a supervisor of the user's teams returned, still waiting for the author's
    answer (an addendum), oldest first."""
    teams = sorted(policy.supervised_team_ids(user))
    return (
        CaseNote.objects.visible_to(user)
        .filter(cosign_status=CosignStatus.RETURNED, client__team_id__in=teams)
        .exclude(author_id=user.pk)
        .select_related("client", "author")
        .order_by("signed_at", "pk")
    )


def goal_versions(user: policy.AnyUser, client: Client, key: uuid.UUID) -> list[Goal]:
    """Every version of one goal (its key is shared across plan versions), newest plan
    first; 404 when the client has no such goal the user may read."""
    versions = list(
        Goal.objects.filter(
            key=key, plan__in=ServicePlan.objects.visible_to(user).filter(client=client)
        )
        .select_related("plan")
        .order_by("-plan__version", "-pk")
    )
    if not versions:
        raise Http404
    return versions


def notes_for_goal(user: policy.AnyUser, client: Client, key: uuid.UUID) -> QuerySet[CaseNote]:
    """Notes linked to any version of the goal, newest contact first."""
    linked = CaseNote.goals.through.objects.filter(goal__key=key).values("casenote_id")
    return (
        notes_visible_to(user)
        .filter(client=client, pk__in=linked)
        .select_related("author")
        .order_by("-contact_at", "-pk")
    )


def goal_note_counts(
    user: policy.AnyUser, client: Client, keys: Iterable[uuid.UUID]
) -> dict[str, int]:
    """How many of the client's notes the user may read are linked to each goal (any
    version), by the goal's key as text. One query whatever the number of goals."""
    notes = notes_visible_to(user).filter(client=client).values("pk")
    rows = (
        CaseNote.goals.through.objects.filter(goal__key__in=list(keys), casenote__in=notes)
        .values("goal__key")
        .annotate(n=Count("casenote_id", distinct=True))
    )
    return {str(row["goal__key"]): row["n"] for row in rows}


def editor_goals(client: Client, note: CaseNote | None = None) -> QuerySet[Goal]:
    """Goals a note may link: those of the plan in force, and any it already links."""
    condition = Q(plan__status__in=PLANS_IN_FORCE)
    if note is not None and note.pk:
        condition |= Q(pk__in=note.goals.through.objects.filter(casenote=note).values("goal_id"))
    return (
        Goal.objects.filter(condition, plan__client=client)
        .select_related("plan")
        .order_by("-plan__version", "position", "pk")
    )


def editor_referrals(client: Client) -> QuerySet[Referral]:
    """The client's referrals, newest first."""
    return Referral.objects.filter(client=client).select_related("service").order_by("-pk")


def editor_collaterals(client: Client, note: CaseNote | None = None) -> QuerySet[Collateral]:
    """The people in the client's life still involved, and any the note already names."""
    condition = Q(is_active=True)
    if note is not None and note.pk:
        condition |= Q(
            pk__in=note.collaterals.through.objects.filter(casenote=note).values("collateral_id")
        )
    return Collateral.objects.filter(condition, client=client).order_by("-is_active", "name", "pk")


def my_drafts(user: policy.AnyUser, client: Client) -> list[CaseNote]:
    """The user's own unsigned notes on this client, to carry on with."""
    return list(
        notes_visible_to(user)
        .filter(client=client, author_id=user.pk, status=NoteStatus.DRAFT)
        .order_by("-updated_at", "-pk")
    )
