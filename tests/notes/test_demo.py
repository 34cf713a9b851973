"""`notes.demo.seed_demo_notes` on a small agency: the mix of notes the demo promises, the
rules they were written under, signed notes locked, and nothing more on a second run."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from careplans.models import PlanStatus
from casemgmt.accounts.models import Agency, Team, User
from clients.models import Client, Collateral, CollateralRelationship
from notes.demo import HINTED_OBSERVATIONS, RETURN_COMMENT, seed_demo_notes
from notes.hints import note_hints
from notes.models import SECTION_FIELDS, Addendum, AddendumKind, CaseNote, ContactType, NoteStatus
from referrals.models import Referral
from referrals.services.referrals import referral_send

from ..careplans.plan_fixtures import plan_in_status
from ..factories import make_client
from ..referrals.referral_fixtures import draft_referral, make_service, release_for

pytestmark = pytest.mark.django_db


@dataclass
class Small:
    agency: Agency
    clients: list[Client]
    referral: Referral
    collateral: Collateral
    summary: list[str]


def _days_ago(days: int, hour: int = 9) -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=timezone.get_current_timezone())


@pytest.fixture
def small(team_north: Team, case_manager: User, teammate: User, supervisor: User) -> Small:
    """Seven clients enrolled four months ago, plans in force, one referral sent under a
    release, a collateral with a release; then the notes seeded."""
    clients: list[Client] = []
    with time_machine.travel(_days_ago(120), tick=False):
        first = make_client(case_manager=case_manager, team=team_north)
        referral = draft_referral(first, case_manager, supervisor, service=make_service())
        clients.append(first)
        for author, count in ((case_manager, 4), (teammate, 2)):
            for _ in range(count):
                client = make_client(case_manager=author, team=team_north)
                plan_in_status(client, author, PlanStatus.ACTIVE, approver=supervisor)
                clients.append(client)
        clients.append(make_client(case_manager=case_manager, team=team_north))  # no plan
    with time_machine.travel(_days_ago(80, 10), tick=False):
        release_for(first, case_manager, referral.service)
        referral, _token = referral_send(
            actor=case_manager, referral=referral, provider_email="intake@provider.example"
        )
    with time_machine.travel(_days_ago(60), tick=False):
        sister = Collateral.objects.create(
            client=clients[2],
            name="Rosa Lopez",
            relationship=CollateralRelationship.FAMILY,
            relationship_detail="Sister",
            created_by=case_manager,
        )
        release_for(
            clients[2],
            case_manager,
            referral.service,
            recipient_organization_id=None,
            recipient_collateral=sister,
            recipient_name=sister.name,
        )
    summary = seed_demo_notes(agency=team_north.agency)
    return Small(team_north.agency, clients, referral, sister, summary)


def test_the_mix(small: Small, teammate: User, supervisor: User) -> None:
    notes = CaseNote.objects.filter(client__in=small.clients)
    signed = notes.filter(status=NoteStatus.SIGNED)
    # Case conference notes come from staffing meetings (the supervision demo), not here.
    assert set(signed.values_list("contact_type", flat=True)) == set(ContactType.values) - {
        ContactType.CASE_CONFERENCE
    }
    assert signed.filter(goals__isnull=False).distinct().count() >= 10
    assert signed.filter(referrals=small.referral).count() >= 2
    assert signed.get(contact_type=ContactType.COLLATERAL).collaterals.get() == small.collateral
    assert signed.filter(contact_type=ContactType.PROVIDER).get().referrals.get() == small.referral
    assert signed.filter(late_entry=True).count() >= 2
    correction = Addendum.objects.get(kind=AddendumKind.CORRECTION)
    assert "not the 4th" in correction.text and correction.note.is_signed
    assert Addendum.objects.filter(kind=AddendumKind.LATE_ENTRY).exists()
    assert notes.filter(status=NoteStatus.DRAFT).count() == 3
    every_client = set(notes.values_list("client_id", flat=True))
    assert every_client == {c.pk for c in small.clients}
    assert any("Case notes:" in line for line in small.summary)


def test_co_signature(small: Small, teammate: User, case_manager: User, supervisor: User) -> None:
    teammate.refresh_from_db()
    case_manager.refresh_from_db()
    assert teammate.notes_need_cosign and not case_manager.notes_need_cosign
    theirs = CaseNote.objects.filter(author=teammate, status=NoteStatus.SIGNED)
    statuses = Counter(theirs.values_list("cosign_status", flat=True))
    assert statuses["pending"] == 2 and statuses["returned"] == 1
    assert statuses["approved"] >= 1 and set(statuses) == {"pending", "returned", "approved"}
    returned = theirs.get(cosign_status="returned")
    assert returned.cosign_comment == RETURN_COMMENT
    assert theirs.filter(cosign_status="approved").exclude(cosigned_by=supervisor).count() == 0
    mine = CaseNote.objects.filter(author=case_manager, status=NoteStatus.SIGNED)
    assert set(mine.values_list("cosign_status", flat=True)) == {""}


def test_the_notes_keep_the_rules(small: Small) -> None:
    agency = small.agency
    now = timezone.now()
    for note in CaseNote.objects.filter(client__in=small.clients).prefetch_related(
        "goals__plan", "referrals", "client__episodes"
    ):
        enrolled = min(e.enrolled_on for e in note.client.episodes.all())
        assert timezone.localdate(note.contact_at) >= enrolled
        assert note.contact_at < now
        assert all(goal.plan.client_id == note.client_id for goal in note.goals.all())
        assert all(r.client_id == note.client_id for r in note.referrals.all())
        sections = {name: getattr(note, name) for name in SECTION_FIELDS}
        wording = [h for h in note_hints(agency, sections) if h.kind != "missing"]
        if note.observations == HINTED_OBSERVATIONS:
            assert note.status == NoteStatus.DRAFT
            assert {h.kind for h in wording} >= {"judgmental", "impression_in_facts"}
            continue
        assert wording == [], (note.purpose, wording)
        if note.is_signed:
            assert note.signed_at is not None and note.contact_at < note.signed_at <= now
            assert note.signed_by_id == note.author_id == note.client.primary_case_manager_id
            assert note.late_entry == note.is_late(note.signed_at, agency.note_deadline_hours)
            # Written on the day of the contact (time_machine), not the day of the seeding.
            assert note.created_at < note.signed_at


def test_signed_notes_are_locked(small: Small) -> None:
    note = CaseNote.objects.filter(client__in=small.clients, status=NoteStatus.SIGNED).first()
    assert note is not None
    note.observations = "Rewritten."
    with pytest.raises(IntegrityError), transaction.atomic():
        note.save()
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseNote.objects.filter(pk=note.pk).delete()


def test_a_second_run_adds_nothing(small: Small) -> None:
    before = (
        CaseNote.objects.count(),
        Addendum.objects.count(),
        CaseNote.history.count(),
    )
    summary = seed_demo_notes(agency=small.agency)
    assert (CaseNote.objects.count(), Addendum.objects.count(), CaseNote.history.count()) == before
    assert summary[0].startswith("Case notes: 0 created")


def test_without_clients_it_says_so(db: None) -> None:
    assert seed_demo_notes() == ["Case notes: no demo agency; run seed_demo first."]
    agency = Agency.objects.create(name="Empty")
    assert "no active clients" in seed_demo_notes(agency=agency)[0]
