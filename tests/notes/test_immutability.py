"""A signed note never changes, whatever path the write takes: the services (with words),
the ORM (save, queryset update, delete), its participants and links, the admin site, and
raw SQL (PostgreSQL refuses, migration 0002). Addenda never change and only go under signed
notes. Only the co-signature moves after signing, and not after it is given."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.admin.sites import site
from django.db import IntegrityError, connection, transaction
from django.test import Client as HttpClient
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from careplans.models import Goal, PlanStatus
from casemgmt.accounts.models import User
from clients.models import Client, Collateral, CollateralRelationship
from notes.admin import AddendumAdmin, CaseNoteAdmin
from notes.models import Addendum, AddendumKind, CaseNote, CosignStatus, NoteStatus
from notes.services import (
    SignedNoteError,
    addendum_add,
    note_cosign,
    note_draft_discard,
    note_draft_update,
    note_sign,
)
from referrals.models import Referral
from referrals.services import referrals as referral_services

from ..careplans.plan_fixtures import plan_in_status
from ..factories import UserFactory
from ..referrals.referral_fixtures import make_service, release_for
from .note_fixtures import draft_note, signed_note

pytestmark = pytest.mark.django_db


def _stored(note: CaseNote) -> dict[str, Any]:
    """Everything stored about a note: its row, links, addenda and history."""
    return {
        "row": CaseNote.objects.filter(pk=note.pk).values().get(),
        "goals": sorted(
            CaseNote.goals.through.objects.filter(casenote=note).values_list("goal_id", flat=True)
        ),
        "referrals": sorted(
            CaseNote.referrals.through.objects.filter(casenote=note).values_list(
                "referral_id", flat=True
            )
        ),
        "collaterals": sorted(
            CaseNote.collaterals.through.objects.filter(casenote=note).values_list(
                "collateral_id", flat=True
            )
        ),
        "addenda": list(Addendum.objects.filter(note=note).values()),
        "history": CaseNote.history.filter(id=note.pk).count(),
    }


def _refused(action: Any) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        action()


def _collateral(client: Client, actor: User) -> Collateral:
    return Collateral.objects.create(
        client=client,
        name="Rosa Rivera",
        relationship=CollateralRelationship.FAMILY,
        created_by=actor,
    )


def _referral(actor: User, goal: Goal) -> Referral:
    service = make_service()
    today = timezone.localdate()
    return referral_services.referral_create(
        actor=actor,
        goal=goal,
        service=service,
        offered=[service],
        data={
            "reason": "Needs housing",
            "presenting_issue_summary": "Facing eviction.",
            "desired_services": "Rapid re-housing",
            "urgency": "urgent",
            "target_date": today + dt.timedelta(days=30),
            "review_date": today + dt.timedelta(days=14),
        },
    )


@pytest.fixture
def goal(north_client: Client, case_manager: User, supervisor: User) -> Goal:
    plan = plan_in_status(north_client, case_manager, PlanStatus.ACTIVE, approver=supervisor)
    return plan.goals.get()


@pytest.fixture
def linked_note(
    north_client: Client, case_manager: User, goal: Goal
) -> tuple[CaseNote, Collateral]:
    """A signed note with a goal linked and a collateral named (with the release that
    allows speaking with them)."""
    collateral = _collateral(north_client, case_manager)
    release_for(
        north_client,
        case_manager,
        make_service(),
        recipient_organization_id=None,
        recipient_collateral=collateral,
        recipient_name=collateral.name,
    )
    note = draft_note(north_client, case_manager)
    note.goals.set([goal])
    note.collaterals.set([collateral])
    return note_sign(actor=case_manager, note=note), collateral


# --- Through the services: refused with words ---------------------------------------------------


def test_signing_twice_is_refused(north_client: Client, case_manager: User) -> None:
    note = signed_note(north_client, case_manager)
    before = _stored(note)
    with pytest.raises(SignedNoteError, match="can no longer change"):
        note_sign(actor=case_manager, note=note)
    assert _stored(note) == before


def test_draft_update_of_a_signed_note_is_refused(north_client: Client, case_manager: User) -> None:
    note = signed_note(north_client, case_manager)
    before = _stored(note)
    with pytest.raises(SignedNoteError):
        note_draft_update(actor=case_manager, note=note, data={"purpose": "rewritten"})
    with pytest.raises(SignedNoteError):
        note_draft_update(actor=case_manager, note=note, data={}, goals=[])
    assert _stored(note) == before


def test_discarding_a_signed_note_is_refused(north_client: Client, case_manager: User) -> None:
    note = signed_note(north_client, case_manager)
    with pytest.raises(SignedNoteError):
        note_draft_discard(actor=case_manager, note=note)
    assert CaseNote.objects.filter(pk=note.pk).exists()


# --- Below the services: PostgreSQL refuses -------------------------------------------------------


def test_orm_save_with_changed_content_is_refused(north_client: Client, case_manager: User) -> None:
    note = signed_note(north_client, case_manager)
    before = _stored(note)
    for field, value in [
        ("observations", "changed"),
        ("contact_at", timezone.now()),
        ("duration_minutes", 5),
        ("late_entry", True),
        ("status", NoteStatus.DRAFT),
        ("signed_at", timezone.now()),
    ]:
        fresh = CaseNote.objects.get(pk=note.pk)
        setattr(fresh, field, value)
        if field == "status":
            fresh.signed_at = None
            fresh.signed_by = None
        _refused(fresh.save)
    assert _stored(note) == before


def test_queryset_update_is_refused(north_client: Client, case_manager: User) -> None:
    note = signed_note(north_client, case_manager)
    before = _stored(note)
    _refused(lambda: CaseNote.objects.filter(pk=note.pk).update(purpose="changed"))
    _refused(
        lambda: CaseNote.objects.filter(pk=note.pk).update(status=NoteStatus.DRAFT, signed_at=None)
    )
    assert _stored(note) == before


def test_delete_is_refused(north_client: Client, case_manager: User) -> None:
    note = signed_note(north_client, case_manager)
    _refused(CaseNote.objects.get(pk=note.pk).delete)
    _refused(lambda: CaseNote.objects.filter(pk=note.pk).delete())
    assert CaseNote.objects.filter(pk=note.pk).exists()


def test_links_and_participants_are_locked(
    linked_note: tuple[CaseNote, Collateral],
    north_client: Client,
    case_manager: User,
    supervisor: User,
    goal: Goal,
) -> None:
    note, collateral = linked_note
    referral = _referral(case_manager, goal)
    other_goal = Goal.objects.create(
        plan=goal.plan,
        domain=goal.domain,
        client_words="A second goal",
        indicator="i",
        baseline="b",
        target="t",
        target_date=goal.target_date,
        review_date=goal.review_date,
    )
    before = _stored(note)
    _refused(lambda: note.goals.add(other_goal))
    _refused(lambda: note.goals.remove(goal))
    _refused(lambda: note.goals.clear())
    _refused(lambda: note.goals.set([]))
    _refused(lambda: note.referrals.add(referral))
    _refused(lambda: note.collaterals.remove(collateral))
    _refused(lambda: note.collaterals.add(_collateral(north_client, case_manager)))
    through = CaseNote.goals.through
    _refused(lambda: through.objects.filter(casenote=note).update(goal=other_goal))
    _refused(lambda: through.objects.filter(casenote=note).delete())
    assert _stored(note) == before


def test_raw_sql_is_refused(linked_note: tuple[CaseNote, Collateral]) -> None:
    note, _collateral = linked_note
    before = _stored(note)
    statements = [
        ("UPDATE notes_casenote SET impressions = 'rewritten' WHERE id = %s", [note.pk]),
        ("UPDATE notes_casenote SET status = 'draft', signed_at = NULL WHERE id = %s", [note.pk]),
        ("DELETE FROM notes_casenote WHERE id = %s", [note.pk]),
        ("DELETE FROM notes_casenote_goals WHERE casenote_id = %s", [note.pk]),
        ("DELETE FROM notes_casenote_collaterals WHERE casenote_id = %s", [note.pk]),
    ]
    for sql, params in statements:

        def run(sql: str = sql, params: list[Any] = params) -> None:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

        _refused(run)
    assert _stored(note) == before


def test_a_draft_still_changes_freely(north_client: Client, case_manager: User, goal: Goal) -> None:
    """The lock is for signed notes only: drafts are saved, linked and discarded."""
    note = draft_note(north_client, case_manager)
    CaseNote.objects.filter(pk=note.pk).update(purpose="raw update of a draft")
    note.goals.add(goal)
    note.goals.remove(goal)
    note_draft_discard(actor=case_manager, note=note)
    assert not CaseNote.objects.filter(pk=note.pk).exists()


# --- The co-signature columns --------------------------------------------------------------------


def test_only_the_cosignature_moves_and_not_after_it_is_given(
    north_client: Client, case_manager: User, supervisor: User
) -> None:
    case_manager.notes_need_cosign = True
    case_manager.save(update_fields=["notes_need_cosign"])
    note = signed_note(north_client, case_manager)
    note_cosign(actor=supervisor, note=note, approve=False, comment="Add the landlord.")
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.RETURNED
    addendum_add(
        actor=case_manager,
        note=note,
        kind=AddendumKind.SUPERVISOR_RESPONSE,
        reason="Asked by the supervisor",
        text="Mr. Lopez, the landlord.",
    )
    note_cosign(actor=supervisor, note=note, approve=True)
    _refused(lambda: CaseNote.objects.filter(pk=note.pk).update(cosign_status=CosignStatus.PENDING))
    _refused(lambda: CaseNote.objects.filter(pk=note.pk).update(cosign_comment="rewritten"))
    assert CaseNote.objects.get(pk=note.pk).cosign_status == CosignStatus.APPROVED


# --- Addenda ------------------------------------------------------------------------------------


def test_addenda_never_change_and_only_go_under_signed_notes(
    north_client: Client, case_manager: User
) -> None:
    note = signed_note(north_client, case_manager)
    addendum = addendum_add(
        actor=case_manager, note=note, kind="correction", reason="Typo", text="It was Tuesday."
    )
    stored = Addendum.objects.filter(pk=addendum.pk).values().get()
    addendum.text = "It was Wednesday."
    _refused(addendum.save)
    _refused(lambda: Addendum.objects.filter(pk=addendum.pk).update(reason="x"))
    _refused(Addendum.objects.get(pk=addendum.pk).delete)

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM notes_addendum WHERE id = %s", [addendum.pk])

    _refused(raw)
    assert Addendum.objects.filter(pk=addendum.pk).values().get() == stored

    draft = draft_note(north_client, case_manager)
    with pytest.raises(Exception, match="still a draft"):
        addendum_add(actor=case_manager, note=draft, kind="correction", reason="r", text="t")
    _refused(
        lambda: Addendum.objects.create(
            note=draft, kind="correction", reason="r", text="t", author=case_manager
        )
    )
    assert not Addendum.objects.filter(note=draft).exists()


def test_an_addendum_needs_a_kind_a_reason_and_text(
    north_client: Client, case_manager: User
) -> None:
    from django.core.exceptions import ValidationError

    note = signed_note(north_client, case_manager)
    for kind, reason, text in [("", "r", "t"), ("correction", " ", "t"), ("correction", "r", "")]:
        with pytest.raises(ValidationError):
            addendum_add(actor=case_manager, note=note, kind=kind, reason=reason, text=text)
    assert not Addendum.objects.exists()


def test_a_signed_note_is_searchable(north_client: Client, case_manager: User) -> None:
    signed_note(north_client, case_manager)
    assert CaseNote.objects.filter(search_vector="apartment").count() == 1


# --- The admin site ------------------------------------------------------------------------------


@pytest.fixture
def clinical_superuser(team_north: Any) -> User:
    """A supervisor of the team who may also use the admin site."""
    return UserFactory.create(
        is_supervisor=True, is_staff=True, is_superuser=True, supervises=[team_north]
    )


def test_admin_never_changes_or_deletes_a_note(
    client: HttpClient, clinical_superuser: User, linked_note: tuple[CaseNote, Collateral]
) -> None:
    note, _collateral = linked_note
    addendum = addendum_add(
        actor=note.author, note=note, kind="correction", reason="Typo", text="Tuesday."
    )
    before = _stored(note)
    client.force_login(clinical_superuser)
    change = reverse("admin:notes_casenote_change", args=[note.pk])
    page = client.get(change)
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    posted = client.post(change, {"purpose": "rewritten", "status": "draft"})
    assert posted.status_code == 403
    assert client.post(reverse("admin:notes_casenote_delete", args=[note.pk])).status_code == 403
    assert client.get(reverse("admin:notes_casenote_add")).status_code == 403
    addendum_change = reverse("admin:notes_addendum_change", args=[addendum.pk])
    assert client.post(addendum_change, {"text": "rewritten"}).status_code == 403
    assert _stored(note) == before

    request = RequestFactory().get("/")
    request.user = clinical_superuser
    note_admin = CaseNoteAdmin(CaseNote, site)
    assert note_admin.has_change_permission(request, note) is False
    assert note_admin.has_delete_permission(request, note) is False
    assert AddendumAdmin(Addendum, site).has_delete_permission(request, addendum) is False


def test_admin_lists_only_notes_the_user_may_read(
    client: HttpClient,
    admin: User,
    clinical_superuser: User,
    north_client: Client,
    case_manager: User,
) -> None:
    note = signed_note(north_client, case_manager)
    client.force_login(admin)
    listing = client.get(reverse("admin:notes_casenote_changelist")).content.decode()
    assert reverse("admin:notes_casenote_change", args=[note.pk]) not in listing
    client.force_login(clinical_superuser)
    listing = client.get(reverse("admin:notes_casenote_changelist")).content.decode()
    assert reverse("admin:notes_casenote_change", args=[note.pk]) in listing
