"""Reads of assessments, always starting from the user (the access policy)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.db.models import Case, Count, Prefetch, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404

from casemgmt.accounts import policy
from clients.models import Client

from .models import Assessment, AssessmentStatus, Barrier, Domain, DomainNeed, NeedLevel
from .services.assessments import DOMAIN_ORDER, LEVEL_RANK

#: The domains' own order (mental health first, safety last), for ordering in SQL.
DOMAIN_POSITION = Case(
    *[When(domain=value, then=Value(i)) for i, value in enumerate(Domain.values)],
    default=Value(len(Domain.values)),
)


def _with_needs(rows: QuerySet[Assessment]) -> QuerySet[Assessment]:
    return rows.select_related("client", "created_by", "completed_by").prefetch_related(
        Prefetch("needs", queryset=DomainNeed.objects.order_by(DOMAIN_POSITION, "pk"))
    )


def assessments_visible_to(user: policy.AnyUser) -> QuerySet[Assessment]:
    """Every assessment the user may read, newest first, each with its needs."""
    return _with_needs(Assessment.objects.visible_to(user)).order_by("-assessed_on", "-pk")


def assessments_for_client(user: policy.AnyUser, client: Client) -> QuerySet[Assessment]:
    """The client's assessments the user may read, newest first, each with its needs and
    `high_needs` / `moderate_needs` counts."""
    rows = Assessment.objects.visible_to(user).filter(client=client)
    return (
        _with_needs(rows)
        .annotate(
            high_needs=Count("needs", filter=Q(needs__level=NeedLevel.HIGH)),
            moderate_needs=Count("needs", filter=Q(needs__level=NeedLevel.MODERATE)),
        )
        # Meta.ordering is not applied to a grouped query.
        .order_by("-assessed_on", "-pk")
    )


def assessment_for_user(
    user: policy.AnyUser, pk: int, *, client_id: int | None = None
) -> Assessment:
    """One assessment with its needs; 404 outside the user's scope (or, given `client_id`,
    when it belongs to another client)."""
    rows = Assessment.objects.visible_to(user)
    if client_id is not None:
        rows = rows.filter(client_id=client_id)
    return get_object_or_404(_with_needs(rows), pk=pk)


def previous_completed(user: policy.AnyUser, assessment: Assessment) -> Assessment | None:
    """The completed assessment of the same client just before this one, if any."""
    return (
        Assessment.objects.visible_to(user)
        .filter(
            client_id=assessment.client_id,
            status=AssessmentStatus.COMPLETED,
            assessed_on__lte=assessment.assessed_on,
        )
        .exclude(pk=assessment.pk)
        .exclude(assessed_on=assessment.assessed_on, pk__gt=assessment.pk)
        .order_by("-assessed_on", "-pk")
        .first()
    )


def barrier_labels(assessment: Assessment) -> list[str]:
    """The assessment's barriers in words, in the list's order."""
    return [str(b.label) for b in Barrier if b.value in assessment.barriers]


def needs_in_domain_order(assessment: Assessment) -> list[DomainNeed]:
    return sorted(assessment.needs.all(), key=lambda need: DOMAIN_ORDER[need.domain])


def needs_by_level(assessment: Assessment) -> list[tuple[str, str, list[DomainNeed]]]:
    """(level, label, needs) from high to none, then those not assessed; empty groups left
    out. What a reader of an assessment looks at first is where the need is greatest."""
    order = [NeedLevel.HIGH, NeedLevel.MODERATE, NeedLevel.LOW, NeedLevel.NONE]
    order.append(NeedLevel.NOT_ASSESSED)
    needs = needs_in_domain_order(assessment)
    groups = []
    for level in order:
        members = [need for need in needs if need.level == level]
        if members:
            groups.append((level.value, str(level.label), members))
    return groups


class Direction(StrEnum):
    """How a domain's need moved from the first assessment to the second."""

    SAME = "same"
    BETTER = "better"
    WORSE = "worse"
    #: Assessed in one and not in the other: changed, but neither better nor worse.
    NOT_COMPARABLE = "not_comparable"


@dataclass(frozen=True)
class DomainRow:
    domain: str
    label: str
    first: DomainNeed | None
    second: DomainNeed | None
    level_changed: bool
    notes_changed: bool
    direction: Direction

    @property
    def changed(self) -> bool:
        return self.level_changed or self.notes_changed


@dataclass(frozen=True)
class TextRow:
    first: str
    second: str

    @property
    def changed(self) -> bool:
        return self.first.strip() != self.second.strip()


@dataclass(frozen=True)
class BarrierRow:
    value: str
    label: str
    in_first: bool
    in_second: bool

    @property
    def changed(self) -> bool:
        return self.in_first != self.in_second


@dataclass(frozen=True)
class AssessmentComparison:
    first: Assessment
    second: Assessment
    domains: list[DomainRow]
    strengths: TextRow
    barriers: list[BarrierRow]
    barrier_notes: TextRow
    client_words: TextRow

    @property
    def changed_domains(self) -> int:
        return sum(1 for row in self.domains if row.changed)


def _direction(first: str, second: str) -> Direction:
    if first == second:
        return Direction.SAME
    if first not in LEVEL_RANK or second not in LEVEL_RANK:
        return Direction.NOT_COMPARABLE
    return Direction.WORSE if LEVEL_RANK[second] > LEVEL_RANK[first] else Direction.BETTER


def assessment_comparison(a: Assessment, b: Assessment) -> AssessmentComparison:
    """Domain by domain, how things moved from `a` to `b`: each level and notes, whether they
    changed and, by the order none < low < moderate < high, whether the need is now better
    or worse; with strengths, barriers and the client's words side by side. Both must
    have come through a selector that checked the user's scope."""
    a_needs = {need.domain: need for need in a.needs.all()}
    b_needs = {need.domain: need for need in b.needs.all()}
    rows = []
    for domain in Domain:
        first, second = a_needs.get(domain.value), b_needs.get(domain.value)
        first_level = first.level if first else NeedLevel.NOT_ASSESSED
        second_level = second.level if second else NeedLevel.NOT_ASSESSED
        rows.append(
            DomainRow(
                domain=domain.value,
                label=str(domain.label),
                first=first,
                second=second,
                level_changed=first_level != second_level,
                notes_changed=(first.notes.strip() if first else "")
                != (second.notes.strip() if second else ""),
                direction=_direction(first_level, second_level),
            )
        )
    barriers = [
        BarrierRow(
            value=barrier.value,
            label=str(barrier.label),
            in_first=barrier.value in a.barriers,
            in_second=barrier.value in b.barriers,
        )
        for barrier in Barrier
        if barrier.value in a.barriers or barrier.value in b.barriers
    ]
    return AssessmentComparison(
        first=a,
        second=b,
        domains=rows,
        strengths=TextRow(a.strengths, b.strengths),
        barriers=barriers,
        barrier_notes=TextRow(a.barrier_notes, b.barrier_notes),
        client_words=TextRow(a.client_words, b.client_words),
    )
