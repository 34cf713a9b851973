"""Assessment rules: start → update → complete, illegal transitions refused with a clear
message, reassessments pre-filled from the last completed one, the needs summary the plan
builder uses, the comparison of two assessments, and history carrying the acting user."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from careplans import assessment_selectors as selectors
from careplans.models import (
    Assessment,
    AssessmentKind,
    AssessmentStatus,
    Barrier,
    Domain,
    DomainNeed,
    NeedLevel,
)
from careplans.services import assessments as services
from casemgmt.accounts.models import Team, User
from clients.models import Client

from ..factories import make_client

pytestmark = pytest.mark.django_db

READ_ONLY = "A completed assessment cannot be changed; start a reassessment."


def all_needs(level: str = NeedLevel.LOW, **levels: str) -> dict[str, tuple[str, str]]:
    """A level for every domain (overridden per domain by keyword), with a note each."""
    return {
        d: (levels.get(d, level), f"{d} notes at {levels.get(d, level)}") for d in Domain.values
    }


def completed(
    actor: User,
    client: Client,
    *,
    assessed_on: dt.date | None = None,
    words: str = "I want a place of my own.",
    **levels: str,
) -> Assessment:
    assessment = services.assessment_start(actor=actor, client=client, assessed_on=assessed_on)
    services.assessment_update(
        actor=actor,
        assessment=assessment,
        data={
            "strengths": "Close to her sister.",
            "barriers": [Barrier.NO_TRANSPORT],
            "client_words": words,
        },
        needs=all_needs(**levels),
    )
    return services.assessment_complete(actor=actor, assessment=assessment)


# --- start ------------------------------------------------------------------------------


def test_first_start_is_an_intake_draft_with_every_domain_not_assessed(
    case_manager: User, north_client: Client
) -> None:
    assessment = services.assessment_start(actor=case_manager, client=north_client)
    assert assessment.kind == AssessmentKind.INTAKE
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.assessed_on == timezone.localdate()
    assert assessment.created_by == case_manager
    needs = list(assessment.needs.order_by("pk"))
    assert [n.domain for n in needs] == Domain.values
    assert len(needs) == 12
    assert {n.level for n in needs} == {NeedLevel.NOT_ASSESSED}
    assert assessment.history.get().history_user == case_manager
    assert {n.history.get().history_user for n in needs} == {case_manager}


def test_a_second_draft_is_refused_and_names_the_first(
    case_manager: User, north_client: Client
) -> None:
    first = services.assessment_start(actor=case_manager, client=north_client)
    with pytest.raises(services.AssessmentDraftExists) as refused:
        services.assessment_start(actor=case_manager, client=north_client)
    assert refused.value.draft == first
    assert "already has an assessment in progress" in refused.value.messages[0]
    assert Assessment.objects.filter(client=north_client).count() == 1


def test_start_in_the_future_is_refused(case_manager: User, north_client: Client) -> None:
    with pytest.raises(ValidationError) as refused:
        services.assessment_start(
            actor=case_manager,
            client=north_client,
            assessed_on=timezone.localdate() + dt.timedelta(days=1),
        )
    assert refused.value.message_dict["assessed_on"] == [
        "The assessment date cannot be in the future."
    ]
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("role", ["teammate", "other_team_case_manager", "admin"])
def test_only_who_may_change_the_record_starts_one(
    request: pytest.FixtureRequest, north_client: Client, role: str
) -> None:
    with pytest.raises(PermissionDenied):
        services.assessment_start(actor=request.getfixturevalue(role), client=north_client)
    assert not Assessment.objects.exists()


def test_supervisor_assesses_the_teams_clients(supervisor: User, north_client: Client) -> None:
    assessment = completed(supervisor, north_client)
    assert assessment.completed_by == supervisor


# --- update -----------------------------------------------------------------------------


def test_update_saves_fields_and_needs_with_the_acting_user(
    case_manager: User, north_client: Client
) -> None:
    assessment = services.assessment_start(actor=case_manager, client=north_client)
    services.assessment_update(
        actor=case_manager,
        assessment=assessment,
        data={
            "strengths": "  Keeps every appointment.  ",
            "barriers": [
                Barrier.FAMILY_CONFLICT,
                Barrier.FINANCIAL_STRAIN,
                Barrier.FAMILY_CONFLICT,
            ],
            "barrier_notes": "Rent went up.",
            "client_words": "I want to sleep in my own bed.",
        },
        needs={Domain.HOUSING: (NeedLevel.HIGH, "Eviction notice for the 30th.")},
    )
    assessment.refresh_from_db()
    assert assessment.strengths == "Keeps every appointment."
    # In the list's order, without repeats.
    assert assessment.barriers == [Barrier.FINANCIAL_STRAIN, Barrier.FAMILY_CONFLICT]
    assert assessment.client_words == "I want to sleep in my own bed."
    housing = assessment.needs.get(domain=Domain.HOUSING)
    assert (housing.level, housing.notes) == (NeedLevel.HIGH, "Eviction notice for the 30th.")
    latest = housing.history.latest()
    assert latest.history_user == case_manager
    assert latest.history_change_reason == "Assessment draft saved"
    assert assessment.history.latest().history_user == case_manager
    # Domains not sent, or sent unchanged, write no history.
    legal = assessment.needs.get(domain=Domain.LEGAL)
    assert legal.history.count() == 1


def test_update_refuses_unknown_levels_and_domains(
    case_manager: User, north_client: Client
) -> None:
    assessment = services.assessment_start(actor=case_manager, client=north_client)
    with pytest.raises(ValidationError) as refused:
        services.assessment_update(
            actor=case_manager,
            assessment=assessment,
            data={},
            needs={Domain.HOUSING: ("terrible", ""), "astrology": (NeedLevel.LOW, "")},
        )
    errors = refused.value.message_dict
    assert "housing_level" in errors
    assert any("astrology" in m for m in errors["__all__"])


def test_update_refuses_an_unknown_barrier(case_manager: User, north_client: Client) -> None:
    assessment = services.assessment_start(actor=case_manager, client=north_client)
    with pytest.raises(ValidationError) as refused:
        services.assessment_update(
            actor=case_manager, assessment=assessment, data={"barriers": ["bad_luck"]}
        )
    assert "barriers" in refused.value.message_dict
    assessment.refresh_from_db()
    assert assessment.barriers == []


def test_teammate_cannot_update_or_complete(
    case_manager: User, teammate: User, north_client: Client
) -> None:
    assessment = services.assessment_start(actor=case_manager, client=north_client)
    with pytest.raises(PermissionDenied):
        services.assessment_update(actor=teammate, assessment=assessment, data={"strengths": "x"})
    with pytest.raises(PermissionDenied):
        services.assessment_complete(actor=teammate, assessment=assessment)
    assessment.refresh_from_db()
    assert assessment.strengths == ""


def test_a_completed_assessment_cannot_be_changed(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    assessment = completed(case_manager, north_client)
    for actor in (case_manager, supervisor):
        with pytest.raises(ValidationError) as refused:
            services.assessment_update(
                actor=actor,
                assessment=assessment,
                data={"client_words": "changed"},
                needs={Domain.HOUSING: (NeedLevel.HIGH, "changed")},
            )
        assert refused.value.messages == [READ_ONLY]
        with pytest.raises(ValidationError) as again:
            services.assessment_complete(actor=actor, assessment=assessment)
        assert again.value.messages == [READ_ONLY]
    assessment.refresh_from_db()
    assert assessment.client_words == "I want a place of my own."
    assert assessment.needs.get(domain=Domain.HOUSING).notes != "changed"


# --- complete ---------------------------------------------------------------------------


def test_complete_lists_the_domains_still_not_assessed(
    case_manager: User, north_client: Client
) -> None:
    assessment = services.assessment_start(actor=case_manager, client=north_client)
    needs = all_needs()
    del needs[Domain.HOUSING], needs[Domain.LEGAL]
    services.assessment_update(
        actor=case_manager,
        assessment=assessment,
        data={"client_words": "I want a job."},
        needs=needs,
    )
    with pytest.raises(ValidationError) as refused:
        services.assessment_complete(actor=case_manager, assessment=assessment)
    errors = refused.value.message_dict
    assert errors["__all__"] == [
        "Give a need level for every domain, or say in the notes why it was not assessed. "
        "Still missing: Housing, Legal."
    ]
    assert set(errors) == {"__all__", "housing_level", "legal_level"}
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.DRAFT
    assert assessment.completed_at is None


def test_not_assessed_is_allowed_when_the_notes_say_why(
    case_manager: User, north_client: Client
) -> None:
    assessment = services.assessment_start(actor=case_manager, client=north_client)
    needs = all_needs()
    needs[Domain.SPIRITUAL] = (NeedLevel.NOT_ASSESSED, "Client preferred not to talk about it.")
    services.assessment_update(
        actor=case_manager,
        assessment=assessment,
        data={"client_words": "Just help me with the rent."},
        needs=needs,
    )
    done = services.assessment_complete(actor=case_manager, assessment=assessment)
    assert done.status == AssessmentStatus.COMPLETED


def test_complete_needs_the_clients_own_words(case_manager: User, north_client: Client) -> None:
    assessment = services.assessment_start(actor=case_manager, client=north_client)
    services.assessment_update(
        actor=case_manager,
        assessment=assessment,
        data={"client_words": "   "},
        needs=all_needs(),
    )
    with pytest.raises(ValidationError) as refused:
        services.assessment_complete(actor=case_manager, assessment=assessment)
    assert refused.value.message_dict == {
        "client_words": ["Write down what the client wants, in their own words, before completing."]
    }


def test_complete_records_who_and_when_in_the_row_and_history(
    case_manager: User, north_client: Client
) -> None:
    before = timezone.now()
    assessment = completed(case_manager, north_client)
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.COMPLETED
    assert assessment.completed_by == case_manager
    assert assessment.completed_at is not None and assessment.completed_at >= before
    last = assessment.history.latest()
    assert last.history_user == case_manager
    assert last.history_change_reason == "Assessment completed"
    assert last.status == AssessmentStatus.COMPLETED
    assert [h.status for h in assessment.history.order_by("history_date")] == [
        AssessmentStatus.DRAFT,
        AssessmentStatus.DRAFT,
        AssessmentStatus.COMPLETED,
    ]


# --- reassessment -----------------------------------------------------------------------


def test_reassessment_is_a_new_record_prefilled_from_the_last_completed(
    case_manager: User, supervisor: User, north_client: Client
) -> None:
    old = completed(
        case_manager,
        north_client,
        assessed_on=timezone.localdate() - dt.timedelta(days=120),
        words="I want my old words kept.",
    )
    last = completed(
        case_manager,
        north_client,
        assessed_on=timezone.localdate() - dt.timedelta(days=30),
        housing=NeedLevel.HIGH,
        legal=NeedLevel.NONE,
    )
    assert last.kind == AssessmentKind.REASSESSMENT
    again = services.assessment_start(actor=supervisor, client=north_client)
    assert again.pk not in {old.pk, last.pk}
    assert again.kind == AssessmentKind.REASSESSMENT
    assert again.status == AssessmentStatus.DRAFT
    assert (again.strengths, again.barriers, again.client_words) == (
        last.strengths,
        last.barriers,
        last.client_words,
    )
    levels = {n.domain: (n.level, n.notes) for n in again.needs.all()}
    assert levels == {n.domain: (n.level, n.notes) for n in last.needs.all()}
    assert levels[Domain.HOUSING][0] == NeedLevel.HIGH
    assert again.history.get().history_change_reason.startswith("Reassessment started from")
    # Changing the reassessment leaves the completed one as it was.
    services.assessment_update(
        actor=supervisor,
        assessment=again,
        data={"client_words": "Now I want a job."},
        needs={Domain.HOUSING: (NeedLevel.LOW, "Moved in last week.")},
    )
    last.refresh_from_db()
    assert last.client_words == "I want a place of my own."
    assert last.needs.get(domain=Domain.HOUSING).level == NeedLevel.HIGH


def test_reassessment_cannot_be_dated_before_the_last_completed(
    case_manager: User, north_client: Client
) -> None:
    completed(case_manager, north_client, assessed_on=timezone.localdate() - dt.timedelta(days=5))
    with pytest.raises(ValidationError) as refused:
        services.assessment_start(
            actor=case_manager,
            client=north_client,
            assessed_on=timezone.localdate() - dt.timedelta(days=6),
        )
    assert "before the last completed assessment" in refused.value.message_dict["assessed_on"][0]


# --- reads ------------------------------------------------------------------------------


def test_needs_summary_is_moderate_and_high_high_first_then_domain_order(
    case_manager: User, north_client: Client
) -> None:
    assessment = completed(
        case_manager,
        north_client,
        housing=NeedLevel.HIGH,
        mental_health=NeedLevel.MODERATE,
        safety=NeedLevel.HIGH,
        legal=NeedLevel.MODERATE,
        transportation=NeedLevel.NONE,
    )
    summary = services.assessment_needs_summary(assessment)
    assert all(isinstance(n, DomainNeed) for n in summary)
    assert [(n.domain, n.level) for n in summary] == [
        (Domain.HOUSING, NeedLevel.HIGH),
        (Domain.SAFETY, NeedLevel.HIGH),
        (Domain.MENTAL_HEALTH, NeedLevel.MODERATE),
        (Domain.LEGAL, NeedLevel.MODERATE),
    ]


def test_comparison_marks_changes_and_their_direction(
    case_manager: User, north_client: Client
) -> None:
    first = completed(
        case_manager,
        north_client,
        assessed_on=timezone.localdate() - dt.timedelta(days=90),
        housing=NeedLevel.HIGH,
        employment_education=NeedLevel.LOW,
        legal=NeedLevel.MODERATE,
    )
    second = services.assessment_start(actor=case_manager, client=north_client)
    needs: dict[str, tuple[str, str]] = {
        Domain.HOUSING: (NeedLevel.LOW, "Moved into supported housing."),
        Domain.EMPLOYMENT_EDUCATION: (NeedLevel.HIGH, "Lost the job."),
        Domain.LEGAL: (NeedLevel.NOT_ASSESSED, "Did not come up."),
        Domain.SPIRITUAL: (NeedLevel.LOW, "New notes, same level."),
    }
    services.assessment_update(
        actor=case_manager,
        assessment=second,
        data={
            "barriers": [Barrier.FINANCIAL_STRAIN],
            "client_words": "I want a job again.",
        },
        needs=needs,
    )
    services.assessment_complete(actor=case_manager, assessment=second)
    a = selectors.assessment_for_user(case_manager, first.pk)
    b = selectors.assessment_for_user(case_manager, second.pk)
    comparison = selectors.assessment_comparison(a, b)
    rows = {row.domain: row for row in comparison.domains}
    assert [row.domain for row in comparison.domains] == Domain.values
    assert rows[Domain.HOUSING].direction == selectors.Direction.BETTER
    assert rows[Domain.EMPLOYMENT_EDUCATION].direction == selectors.Direction.WORSE
    assert rows[Domain.LEGAL].direction == selectors.Direction.NOT_COMPARABLE
    assert rows[Domain.LEGAL].level_changed
    spiritual = rows[Domain.SPIRITUAL]
    assert spiritual.direction == selectors.Direction.SAME
    assert spiritual.notes_changed and not spiritual.level_changed and spiritual.changed
    physical = rows[Domain.PHYSICAL_HEALTH]
    assert not physical.changed and physical.direction == selectors.Direction.SAME
    assert comparison.changed_domains == 4
    barriers = {row.value: row for row in comparison.barriers}
    assert barriers[Barrier.NO_TRANSPORT].in_first and not barriers[Barrier.NO_TRANSPORT].in_second
    assert barriers[Barrier.FINANCIAL_STRAIN].in_second
    assert not barriers[Barrier.FINANCIAL_STRAIN].in_first
    assert comparison.client_words.changed
    assert not comparison.strengths.changed
    # Read the other way round, the directions swap.
    reverse = {r.domain: r for r in selectors.assessment_comparison(b, a).domains}
    assert reverse[Domain.HOUSING].direction == selectors.Direction.WORSE


def test_assessments_for_client_are_scoped_and_counted(
    case_manager: User,
    teammate: User,
    other_team_case_manager: User,
    admin: User,
    north_client: Client,
) -> None:
    completed(case_manager, north_client, housing=NeedLevel.HIGH, legal=NeedLevel.MODERATE)
    rows = list(selectors.assessments_for_client(teammate, north_client))
    assert len(rows) == 1
    row: Any = rows[0]  # annotated with the counts
    assert (row.high_needs, row.moderate_needs) == (1, 1)
    for outsider in (other_team_case_manager, admin):
        assert not selectors.assessments_for_client(outsider, north_client).exists()


def test_assessment_for_user_is_404_outside_scope_or_for_another_client(
    case_manager: User,
    other_team_case_manager: User,
    north_client: Client,
    team_north: Team,
) -> None:
    from django.http import Http404

    assessment = services.assessment_start(actor=case_manager, client=north_client)
    with pytest.raises(Http404):
        selectors.assessment_for_user(other_team_case_manager, assessment.pk)
    other_client = make_client(case_manager=case_manager, team=team_north)
    with pytest.raises(Http404):
        selectors.assessment_for_user(case_manager, assessment.pk, client_id=other_client.pk)
    assert selectors.assessment_for_user(case_manager, assessment.pk) == assessment


def test_saving_unchanged_answers_writes_no_history(
    case_manager: User, north_client: Client
) -> None:
    assessment = services.assessment_start(actor=case_manager, client=north_client)
    data = {"strengths": "Steady job.", "client_words": "Keep my job."}
    services.assessment_update(
        actor=case_manager, assessment=assessment, data=data, needs=all_needs()
    )
    counts = (assessment.history.count(), DomainNeed.history.count())
    services.assessment_update(
        actor=case_manager, assessment=assessment, data=data, needs=all_needs()
    )
    assert (assessment.history.count(), DomainNeed.history.count()) == counts
