"""The note services against the real database: drafts (defaults, who may, links only of
the same client), what signing needs, collateral contact only under an active release,
co-signature routing, approval and return, and the author's answer by addendum."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from careplans.models import Goal, PlanStatus
from casemgmt.accounts.models import Agency, NoteFormat, Team, User
from clients.models import Client, Collateral, CollateralRelationship, ReleaseOfInformation
from notes.models import AddendumKind, CaseNote, ContactType, CosignStatus, NoteStatus
from notes.services import (
    addendum_add,
    collateral_release,
    note_cosign,
    note_draft_create,
    note_draft_discard,
    note_draft_update,
    note_sign,
    sign_problems,
)

from ..careplans.plan_fixtures import plan_in_status
from ..factories import make_client
from ..referrals.referral_fixtures import make_service, release_for
from .note_fixtures import complete_note_data, draft_note, signed_note

pytestmark = pytest.mark.django_db


def _collateral(client: Client, actor: User, name: str = "Rosa Rivera") -> Collateral:
    return Collateral.objects.create(
        client=client,
        name=name,
        relationship=CollateralRelationship.FAMILY,
        relationship_detail="Sister",
        created_by=actor,
    )


def _release(
    client: Client, actor: User, collateral: Collateral, **overrides: object
) -> ReleaseOfInformation:
    return release_for(
        client,
        actor,
        make_service(),
        recipient_organization_id=None,
        recipient_collateral=collateral,
        recipient_name=collateral.name,
        **overrides,
    )


@pytest.fixture
def needs_cosign(case_manager: User) -> User:
    case_manager.notes_need_cosign = True
    case_manager.save(update_fields=["notes_need_cosign"])
    return case_manager


# --- Drafts ---------------------------------------------------------------------------------


def test_a_draft_starts_with_the_agencys_format_and_now(
    north_client: Client, case_manager: User, team_north: Team
) -> None:
    Agency.objects.filter(pk=team_north.agency_id).update(default_note_format=NoteFormat.SOAP)
    before = timezone.now().replace(second=0, microsecond=0)
    note = note_draft_create(actor=case_manager, client=north_client)
    assert note.status == NoteStatus.DRAFT and note.author == case_manager
    assert note.note_format == NoteFormat.SOAP
    assert before <= note.contact_at <= timezone.now()
    assert note.history.get().history_change_reason == "Note started"


@pytest.mark.parametrize(
    "role", ["teammate", "other_team_case_manager", "other_team_supervisor", "admin"]
)
def test_only_those_who_may_change_the_record_write_notes(
    request: pytest.FixtureRequest, north_client: Client, role: str
) -> None:
    with pytest.raises(PermissionDenied):
        note_draft_create(actor=request.getfixturevalue(role), client=north_client)
    assert not CaseNote.objects.exists()


def test_the_teams_supervisor_writes_notes(north_client: Client, supervisor: User) -> None:
    assert note_draft_create(actor=supervisor, client=north_client).author == supervisor


def test_only_the_author_changes_or_discards_a_draft(
    north_client: Client, case_manager: User, supervisor: User
) -> None:
    note = draft_note(north_client, case_manager)
    with pytest.raises(PermissionDenied):
        note_draft_update(actor=supervisor, note=note, data={"purpose": "mine now"})
    with pytest.raises(PermissionDenied):
        note_draft_discard(actor=supervisor, note=note)
    with pytest.raises(PermissionDenied):
        note_sign(actor=supervisor, note=note)
    assert CaseNote.objects.get(pk=note.pk).purpose == note.purpose


def test_a_draft_may_be_incomplete(north_client: Client, case_manager: User) -> None:
    note = note_draft_create(actor=case_manager, client=north_client)
    saved = note_draft_update(
        actor=case_manager, note=note, data={"purpose": "", "observations": "Half a thou"}
    )
    assert saved.observations == "Half a thou"
    assert saved.history.count() == 2


def test_fields_outside_the_draft_are_ignored(north_client: Client, case_manager: User) -> None:
    note = draft_note(north_client, case_manager)
    saved = note_draft_update(
        actor=case_manager,
        note=note,
        data={"status": NoteStatus.SIGNED, "late_entry": True, "author": None},
    )
    assert saved.status == NoteStatus.DRAFT and not saved.late_entry


def test_links_must_be_the_same_clients(
    north_client: Client, case_manager: User, supervisor: User, team_north: Team
) -> None:
    other = make_client(case_manager=case_manager, team=team_north)
    other_goal = plan_in_status(other, case_manager, PlanStatus.DRAFT).goals.get()
    stranger = _collateral(other, case_manager)
    note = draft_note(north_client, case_manager)
    with pytest.raises(ValidationError) as refused:
        note_draft_update(
            actor=case_manager, note=note, data={}, goals=[other_goal], collaterals=[stranger]
        )
    assert set(refused.value.message_dict) == {"goals", "collaterals"}
    assert not note.goals.exists() and not note.collaterals.exists()


def test_links_are_saved_and_left_alone_when_not_given(
    north_client: Client, case_manager: User, supervisor: User
) -> None:
    goal: Goal = plan_in_status(
        north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor
    ).goals.get()
    note = draft_note(north_client, case_manager)
    note_draft_update(actor=case_manager, note=note, data={}, goals=[goal])
    note_draft_update(actor=case_manager, note=note, data={"purpose": "again"})
    assert list(note.goals.all()) == [goal]
    note_draft_update(actor=case_manager, note=note, data={}, goals=[])
    assert not note.goals.exists()


def test_discard_a_draft(north_client: Client, case_manager: User) -> None:
    note = draft_note(north_client, case_manager)
    note_draft_discard(actor=case_manager, note=note)
    assert not CaseNote.objects.filter(pk=note.pk).exists()
    assert CaseNote.history.filter(id=note.pk, history_type="-").exists()


# --- What signing needs ---------------------------------------------------------------------


def test_what_signing_needs(north_client: Client, case_manager: User) -> None:
    note = note_draft_create(actor=case_manager, client=north_client)
    problems = sign_problems(note)
    assert set(problems) == {"duration_minutes", "purpose", "observations", "next_steps"}
    with pytest.raises(ValidationError) as refused:
        note_sign(actor=case_manager, note=note)
    assert set(refused.value.message_dict) == set(problems)
    assert CaseNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT


def test_an_attempted_contact_needs_no_duration_or_account(
    north_client: Client, case_manager: User
) -> None:
    note = draft_note(
        north_client,
        case_manager,
        contact_type=ContactType.ATTEMPTED,
        duration_minutes=0,
        observations="",
        client_quotes="",
        interventions="",
        purpose="Scheduled home visit; nobody answered.",
        next_steps="Call tomorrow.",
    )
    assert note_sign(actor=case_manager, note=note).status == NoteStatus.SIGNED


def test_signing_records_who_and_when(north_client: Client, case_manager: User) -> None:
    note = signed_note(north_client, case_manager)
    stored = CaseNote.objects.get(pk=note.pk)
    assert stored.signed_by == case_manager and stored.signed_at is not None
    assert stored.cosign_status == CosignStatus.NOT_REQUIRED
    assert stored.history.first().history_change_reason == "Signed"


# --- Collateral contact and releases -------------------------------------------------------


def test_collateral_contact_names_the_collateral(north_client: Client, case_manager: User) -> None:
    note = draft_note(north_client, case_manager, contact_type=ContactType.COLLATERAL)
    assert "collaterals" in sign_problems(note)


def test_collateral_contact_without_a_release_is_refused_with_the_reason(
    north_client: Client, case_manager: User
) -> None:
    collateral = _collateral(north_client, case_manager)
    note = draft_note(north_client, case_manager, contact_type=ContactType.COLLATERAL)
    note.collaterals.set([collateral])
    with pytest.raises(ValidationError) as refused:
        note_sign(actor=case_manager, note=note)
    (message,) = refused.value.message_dict["collaterals"]
    assert "no active release of information naming Rosa Rivera" in message
    assert "record a release naming them first" in message


def test_collateral_contact_with_an_active_release_is_signed(
    north_client: Client, case_manager: User
) -> None:
    collateral = _collateral(north_client, case_manager)
    release = _release(north_client, case_manager, collateral)
    note = draft_note(north_client, case_manager, contact_type=ContactType.COLLATERAL)
    note.collaterals.set([collateral])
    assert collateral_release(collateral, timezone.localdate()) == release
    assert note_sign(actor=case_manager, note=note).status == NoteStatus.SIGNED


@pytest.mark.parametrize(
    "overrides",
    [
        {"revoked_on": "yesterday", "revocation_method": "Phone call"},
        {"expires_on": "two days ago"},
        {"effective_on": "tomorrow"},
    ],
)
def test_a_release_not_in_effect_on_the_contact_day_does_not_count(
    north_client: Client, case_manager: User, overrides: dict[str, str]
) -> None:
    today = timezone.localdate()
    days = {
        "yesterday": today - dt.timedelta(days=1),
        "two days ago": today - dt.timedelta(days=2),
        "tomorrow": today + dt.timedelta(days=1),
    }
    values = {k: days.get(v, v) for k, v in overrides.items()}
    if "expires_on" in values:
        values["effective_on"] = today - dt.timedelta(days=30)
        values["signed_on"] = today - dt.timedelta(days=30)
    collateral = _collateral(north_client, case_manager)
    _release(north_client, case_manager, collateral, **values)
    note = draft_note(
        north_client,
        case_manager,
        contact_type=ContactType.COLLATERAL,
        contact_at=timezone.now() - dt.timedelta(minutes=5),
    )
    note.collaterals.set([collateral])
    assert "collaterals" in sign_problems(note)


def test_a_release_for_another_collateral_does_not_count(
    north_client: Client, case_manager: User
) -> None:
    rosa = _collateral(north_client, case_manager)
    _release(north_client, case_manager, _collateral(north_client, case_manager, "Ana"))
    note = draft_note(north_client, case_manager, contact_type=ContactType.COLLATERAL)
    note.collaterals.set([rosa])
    assert "collaterals" in sign_problems(note)


# --- Co-signature ---------------------------------------------------------------------------


def test_no_cosignature_unless_asked(north_client: Client, case_manager: User) -> None:
    assert signed_note(north_client, case_manager).cosign_status == CosignStatus.NOT_REQUIRED


def test_the_agency_asks_for_cosignature(
    north_client: Client, case_manager: User, team_north: Team
) -> None:
    Agency.objects.filter(pk=team_north.agency_id).update(notes_cosign_required=True)
    assert signed_note(north_client, case_manager).cosign_status == CosignStatus.PENDING


def test_the_users_setting_asks_for_cosignature(north_client: Client, needs_cosign: User) -> None:
    assert signed_note(north_client, needs_cosign).cosign_status == CosignStatus.PENDING


def test_the_supervisor_approves(
    north_client: Client, needs_cosign: User, supervisor: User
) -> None:
    note = signed_note(north_client, needs_cosign)
    approved = note_cosign(actor=supervisor, note=note, approve=True, comment=" Fine. ")
    stored = CaseNote.objects.get(pk=note.pk)
    assert approved.cosign_status == stored.cosign_status == CosignStatus.APPROVED
    assert stored.cosigned_by == supervisor and stored.cosigned_at is not None
    assert stored.cosign_comment == "Fine."
    with pytest.raises(ValidationError, match="not waiting"):
        note_cosign(actor=supervisor, note=note, approve=False, comment="changed my mind")


@pytest.mark.parametrize("role", ["case_manager", "teammate", "other_team_supervisor"])
def test_who_may_not_cosign(
    request: pytest.FixtureRequest, north_client: Client, needs_cosign: User, role: str
) -> None:
    note = signed_note(north_client, needs_cosign)
    with pytest.raises(PermissionDenied):
        note_cosign(actor=request.getfixturevalue(role), note=note, approve=True)
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.PENDING


def test_a_supervisor_cannot_cosign_their_own_note(north_client: Client, supervisor: User) -> None:
    supervisor.notes_need_cosign = True
    supervisor.save(update_fields=["notes_need_cosign"])
    note = signed_note(north_client, supervisor)
    with pytest.raises(PermissionDenied):
        note_cosign(actor=supervisor, note=note, approve=True)


def test_returning_needs_a_comment(
    north_client: Client, needs_cosign: User, supervisor: User
) -> None:
    note = signed_note(north_client, needs_cosign)
    with pytest.raises(ValidationError) as refused:
        note_cosign(actor=supervisor, note=note, approve=False, comment="   ")
    assert "comment" in refused.value.message_dict
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.PENDING


def test_return_then_the_authors_addendum_sends_it_back(
    north_client: Client, needs_cosign: User, supervisor: User
) -> None:
    note = signed_note(north_client, needs_cosign)
    note_cosign(actor=supervisor, note=note, approve=False, comment="Name the landlord.")
    stored = CaseNote.objects.get(pk=note.pk)
    assert stored.cosign_status == CosignStatus.RETURNED
    assert stored.cosign_comment == "Name the landlord."
    # A supervisor's own addendum does not answer for the author.
    addendum_add(actor=supervisor, note=note, kind=AddendumKind.CLARIFICATION, reason="r", text="t")
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.RETURNED
    addendum = addendum_add(
        actor=needs_cosign,
        note=note,
        kind=AddendumKind.SUPERVISOR_RESPONSE,
        reason="  Asked by the supervisor ",
        text="Mr. Lopez, the landlord.",
    )
    assert addendum.reason == "Asked by the supervisor"
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.PENDING
    note_cosign(actor=supervisor, note=note, approve=True)
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.APPROVED


@pytest.mark.parametrize(
    "role", ["teammate", "other_team_case_manager", "other_team_supervisor", "admin"]
)
def test_who_may_not_add_an_addendum(
    request: pytest.FixtureRequest, north_client: Client, case_manager: User, role: str
) -> None:
    note = signed_note(north_client, case_manager)
    with pytest.raises(PermissionDenied):
        addendum_add(
            actor=request.getfixturevalue(role), note=note, kind="correction", reason="r", text="t"
        )


def test_addendum_kind_must_be_known(north_client: Client, case_manager: User) -> None:
    note = signed_note(north_client, case_manager)
    with pytest.raises(ValidationError):
        addendum_add(actor=case_manager, note=note, kind="rewrite", reason="r", text="t")


def test_complete_note_data_is_signable(north_client: Client, case_manager: User) -> None:
    """The fixture the other tests lean on stays valid."""
    note = note_draft_create(actor=case_manager, client=north_client, data=complete_note_data())
    assert sign_problems(note) == {}
