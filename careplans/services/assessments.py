"""Writes to assessments: start (intake or reassessment), save the draft, complete.

A completed assessment is read-only; a reassessment is a new record, pre-filled from the
latest completed one so the case manager and the client go through what has changed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casemgmt.accounts.models import User
from casemgmt.audit.history import save_with_history as _save
from clients.models import Client

from ..models import (
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Barrier,
    Domain,
    DomainNeed,
    NeedLevel,
)
from ..permissions import can_work_on_client

#: Fields of an assessment a case manager edits; the rest is kept by the services.
ASSESSMENT_FIELDS = ("assessed_on", "strengths", "barriers", "barrier_notes", "client_words")

#: How much need, from least to most; "not assessed" is outside the scale.
LEVEL_RANK: dict[str, int] = {
    NeedLevel.NONE.value: 0,
    NeedLevel.LOW.value: 1,
    NeedLevel.MODERATE.value: 2,
    NeedLevel.HIGH.value: 3,
}
DOMAIN_ORDER: dict[str, int] = {value: i for i, value in enumerate(Domain.values)}
BARRIER_ORDER: dict[str, int] = {value: i for i, value in enumerate(Barrier.values)}

COMPLETED_IS_READ_ONLY = gettext_lazy(
    "A completed assessment cannot be changed; start a reassessment."
)
NOT_YOURS_TO_CHANGE = gettext_lazy("You can read this assessment but not change it.")

NeedsInput = Mapping[str, tuple[str, str]]


class AssessmentDraftExists(ValidationError):
    """The client already has an assessment in progress; `draft` is that assessment."""

    def __init__(self, draft: Assessment) -> None:
        super().__init__(
            _(
                "This client already has an assessment in progress (dated %(day)s). Continue "
                "it, or complete it before starting another."
            )
            % {"day": draft.assessed_on.isoformat()},
            code="draft_exists",
        )
        self.draft = draft


def need_field(domain: str, part: str) -> str:
    """The name under which a domain's level or notes are entered and errors reported
    (`housing_level`, `housing_notes`): the same in forms, services and the API."""
    return f"{domain}_{part}"


def _require_worker(actor: User, client: Client) -> None:
    if not can_work_on_client(actor, client):
        raise PermissionDenied(NOT_YOURS_TO_CHANGE)


def _require_draft(assessment: Assessment) -> None:
    if assessment.status != AssessmentStatus.DRAFT:
        raise ValidationError(COMPLETED_IS_READ_ONLY, code="completed")


def _check_date(assessed_on: dt.date, base: Assessment | None) -> None:
    """Not in the future, and not before the completed assessment it follows."""
    if assessed_on > timezone.localdate():
        raise ValidationError(
            {"assessed_on": _("The assessment date cannot be in the future.")}, code="future"
        )
    if base is not None and assessed_on < base.assessed_on:
        raise ValidationError(
            {
                "assessed_on": _(
                    "A reassessment cannot be dated before the last completed assessment, "
                    "on %(day)s."
                )
                % {"day": base.assessed_on.isoformat()}
            },
            code="before_previous",
        )


def _lock(assessment: Assessment) -> Assessment:
    return (
        Assessment.objects.select_for_update(of=("self",))
        .select_related("client")
        .get(pk=assessment.pk)
    )


def latest_completed(client: Client, *, exclude_pk: int | None = None) -> Assessment | None:
    """The client's most recent completed assessment, the base of a reassessment."""
    rows = Assessment.objects.filter(client=client, status=AssessmentStatus.COMPLETED)
    if exclude_pk is not None:
        rows = rows.exclude(pk=exclude_pk)
    return rows.order_by("-assessed_on", "-completed_at", "-pk").prefetch_related("needs").first()


@transaction.atomic
def assessment_start(
    *, actor: User, client: Client, assessed_on: dt.date | None = None
) -> Assessment:
    """Open a draft with a row for every domain. The first is the intake assessment; later
    ones are reassessments pre-filled from the latest completed assessment. A client has
    one draft at a time: a second start raises AssessmentDraftExists naming it."""
    # Locking the client serialises two starts at once, so neither makes a second draft.
    locked = Client.objects.select_for_update().get(pk=client.pk)
    _require_worker(actor, locked)
    draft = Assessment.objects.filter(client=locked, status=AssessmentStatus.DRAFT).first()
    if draft is not None:
        raise AssessmentDraftExists(draft)
    base = latest_completed(locked)
    assessed_on = assessed_on or timezone.localdate()
    _check_date(assessed_on, base)
    assessment = Assessment(
        client=locked,
        kind=AssessmentKind.INTAKE if base is None else AssessmentKind.REASSESSMENT,
        status=AssessmentStatus.DRAFT,
        assessed_on=assessed_on,
        created_by=actor,
    )
    previous: dict[str, DomainNeed] = {}
    if base is None:
        reason = "Intake assessment started"
    else:
        reason = f"Reassessment started from the assessment of {base.assessed_on.isoformat()}"
        assessment.strengths = base.strengths
        assessment.barriers = list(base.barriers)
        assessment.barrier_notes = base.barrier_notes
        assessment.client_words = base.client_words
        previous = {need.domain: need for need in base.needs.all()}
    assessment.full_clean()
    _save(assessment, actor=actor, reason=reason)
    for domain in Domain.values:
        before = previous.get(domain)
        need = DomainNeed(
            assessment=assessment,
            domain=domain,
            level=before.level if before else NeedLevel.NOT_ASSESSED,
            notes=before.notes if before else "",
        )
        # One row per domain by construction; the database constraint still guards it.
        need.full_clean(validate_constraints=False)
        _save(need, actor=actor, reason=reason)
    return assessment


def _clean_needs(needs: NeedsInput) -> dict[str, tuple[str, str]]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, tuple[str, str]] = {}
    for domain, (level, notes) in needs.items():
        if domain not in DOMAIN_ORDER:
            errors.setdefault(NON_FIELD_ERRORS, []).append(
                _("%(domain)s is not one of the assessment's domains.") % {"domain": domain}
            )
            continue
        if level not in NeedLevel.values:
            errors[need_field(domain, "level")] = [
                _("Choose a need level: none, low, moderate, high or not assessed.")
            ]
            continue
        cleaned[domain] = (level, (notes or "").strip())
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def assessment_update(
    *,
    actor: User,
    assessment: Assessment,
    data: Mapping[str, Any],
    needs: NeedsInput | None = None,
) -> Assessment:
    """Save a draft: any of ASSESSMENT_FIELDS in `data`, and for each domain in `needs` its
    (level, notes). A completed assessment is refused: a reassessment records changes. Rows
    that do not change are not written, so autosaving leaves no empty history."""
    locked = _lock(assessment)
    _require_worker(actor, locked.client)
    _require_draft(locked)
    cleaned_needs = _clean_needs(needs or {})
    before = [getattr(locked, field) for field in ASSESSMENT_FIELDS]
    for field in ASSESSMENT_FIELDS:
        if field in data:
            value = data[field]
            if field == "barriers":
                # In the list's own order and without repeats, so comparisons are stable.
                value = sorted(set(value or ()), key=_barrier_order)
            elif isinstance(value, str):
                value = value.strip()
            setattr(locked, field, value)
    if "assessed_on" in data:
        _check_date(locked.assessed_on, latest_completed(locked.client, exclude_pk=locked.pk))
    if [getattr(locked, field) for field in ASSESSMENT_FIELDS] != before:
        locked.full_clean()
        _save(locked, actor=actor, reason="Assessment draft saved")
    if cleaned_needs:
        for need in locked.needs.filter(domain__in=list(cleaned_needs)):
            level, notes = cleaned_needs[need.domain]
            if (need.level, need.notes) == (level, notes):
                continue
            need.level, need.notes = level, notes
            need.full_clean(validate_constraints=False)
            _save(need, actor=actor, reason="Assessment draft saved")
    return locked


def _barrier_order(value: str) -> tuple[int, str]:
    return (BARRIER_ORDER.get(value, len(BARRIER_ORDER)), value)


def completion_problems(assessment: Assessment) -> dict[str, list[str]]:
    """What stops the assessment being completed, by field: each domain needs a level, or
    notes saying why it was not assessed; and the client's own words are required."""
    problems: dict[str, list[str]] = {}
    missing = [
        need
        for need in sorted(assessment.needs.all(), key=lambda n: DOMAIN_ORDER[n.domain])
        if need.level == NeedLevel.NOT_ASSESSED and not need.notes.strip()
    ]
    if missing:
        problems[NON_FIELD_ERRORS] = [
            _(
                "Give a need level for every domain, or say in the notes why it was not "
                "assessed. Still missing: %(domains)s."
            )
            % {"domains": ", ".join(str(n.get_domain_display()) for n in missing)}
        ]
        for need in missing:
            problems[need_field(need.domain, "level")] = [
                _("Choose a need level, or say in the notes why it was not assessed.")
            ]
    if not assessment.client_words.strip():
        problems["client_words"] = [
            _("Write down what the client wants, in their own words, before completing.")
        ]
    return problems


@transaction.atomic
def assessment_complete(*, actor: User, assessment: Assessment) -> Assessment:
    """Complete a draft: every domain has a level (or notes saying why not) and the client's
    own words are recorded. From then on the assessment is read-only."""
    locked = _lock(assessment)
    _require_worker(actor, locked.client)
    _require_draft(locked)
    _check_date(locked.assessed_on, latest_completed(locked.client, exclude_pk=locked.pk))
    problems = completion_problems(locked)
    if problems:
        raise ValidationError(problems)
    locked.status = AssessmentStatus.COMPLETED
    locked.completed_at = timezone.now()
    locked.completed_by = actor
    locked.full_clean()
    _save(
        locked,
        actor=actor,
        reason="Assessment completed",
        update_fields=["status", "completed_at", "completed_by"],
    )
    return locked


def assessment_needs_summary(assessment: Assessment) -> list[DomainNeed]:
    """The domains with moderate or high need, high first, then in the domains' order: what
    a service plan is built on."""
    wanted = {NeedLevel.MODERATE, NeedLevel.HIGH}
    return sorted(
        (need for need in assessment.needs.all() if need.level in wanted),
        key=lambda need: (-LEVEL_RANK[need.level], DOMAIN_ORDER[need.domain]),
    )
