"""Late entry: a note signed more than the agency's deadline (hours of elapsed time) after the
contact. The instants count, not the wall clock: a daylight-saving change in between, or a
case manager in another time zone, does not move the line."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.test import Client as HttpClient
from django.urls import reverse

from casemgmt.accounts.models import Agency, Team, User
from clients.models import Client
from notes.models import CaseNote, NoteStatus
from notes.services import note_sign

from .note_fixtures import draft_note

pytestmark = pytest.mark.django_db

NEW_YORK = ZoneInfo("America/New_York")
LOS_ANGELES = ZoneInfo("America/Los_Angeles")


def _after(when: dt.datetime, **elapsed: float) -> dt.datetime:
    """The instant `elapsed` later (adding to a zoned datetime would add wall-clock time)."""
    return when.astimezone(dt.UTC) + dt.timedelta(**elapsed)


def _sign_at(note: CaseNote, author: User, when: dt.datetime) -> CaseNote:
    with time_machine.travel(when, tick=False):
        return note_sign(actor=author, note=note)


def _draft_at(client: Client, author: User, contact: dt.datetime) -> CaseNote:
    with time_machine.travel(_after(contact, minutes=30), tick=False):
        return draft_note(client, author, contact_at=contact)


@pytest.mark.parametrize(
    ("contact", "signed", "late"),
    [
        # Spring forward (8 March 2026): 72.5 h on the wall clock, 71.5 h elapsed.
        (
            dt.datetime(2026, 3, 7, 10, 0, tzinfo=NEW_YORK),
            dt.datetime(2026, 3, 10, 10, 30, tzinfo=NEW_YORK),
            False,
        ),
        # Fall back (1 November 2026): 71.5 h on the wall clock, 72.5 h elapsed.
        (
            dt.datetime(2026, 10, 31, 10, 0, tzinfo=NEW_YORK),
            dt.datetime(2026, 11, 3, 9, 30, tzinfo=NEW_YORK),
            True,
        ),
        # The deadline itself is still in time; a minute later is not.
        (
            dt.datetime(2026, 5, 4, 9, 0, tzinfo=NEW_YORK),
            dt.datetime(2026, 5, 7, 9, 0, tzinfo=NEW_YORK),
            False,
        ),
        (
            dt.datetime(2026, 5, 4, 9, 0, tzinfo=NEW_YORK),
            dt.datetime(2026, 5, 7, 9, 1, tzinfo=NEW_YORK),
            True,
        ),
    ],
)
def test_late_entry_counts_elapsed_hours(
    north_client: Client,
    case_manager: User,
    contact: dt.datetime,
    signed: dt.datetime,
    late: bool,
) -> None:
    note = _draft_at(north_client, case_manager, contact)
    result = _sign_at(note, case_manager, signed)
    assert result.late_entry is late
    stored = CaseNote.objects.get(pk=note.pk)
    assert stored.late_entry is late and stored.signed_at == signed


def test_the_agency_sets_the_deadline(
    north_client: Client, case_manager: User, team_north: Team
) -> None:
    Agency.objects.filter(pk=team_north.agency_id).update(note_deadline_hours=24)
    contact = dt.datetime(2026, 3, 7, 10, 0, tzinfo=NEW_YORK)
    note = _draft_at(north_client, case_manager, contact)
    # Aware arithmetic in one zone is wall-clock arithmetic: add elapsed time in UTC.
    assert _sign_at(note, case_manager, _after(contact, hours=25)).late_entry


def test_a_contact_in_the_future_cannot_be_signed(north_client: Client, case_manager: User) -> None:
    contact = dt.datetime(2026, 3, 7, 10, 0, tzinfo=NEW_YORK)
    note = _draft_at(north_client, case_manager, contact)
    with pytest.raises(ValidationError) as refused:
        _sign_at(note, case_manager, _after(contact, minutes=-5))
    assert "contact_at" in refused.value.message_dict
    assert CaseNote.objects.get(pk=note.pk).status == NoteStatus.DRAFT


def _editor_post(contact_local: str) -> dict[str, str]:
    return {
        "contact_at": contact_local,
        "duration_minutes": "30",
        "contact_type": "phone",
        "location": "",
        "client_present": "on",
        "other_participants": "",
        "note_format": "narrative",
        "purpose": "Check-in by phone.",
        "observations": "Client said the move is on Friday.",
        "client_quotes": "",
        "impressions": "",
        "interventions": "Confirmed the moving help.",
        "next_steps": "Call on Monday.",
    }


@pytest.mark.parametrize(("minutes_after", "late"), [(4290, False), (4321, True)])
def test_a_case_manager_in_los_angeles(
    client: HttpClient,
    case_manager: User,
    north_client: Client,
    minutes_after: int,
    late: bool,
) -> None:
    """She types the contact in her own zone and signs three days later across the spring
    change: 07:00 PST is 10:00 in New York; 07:30 PDT three days later is 71.5 h on."""
    case_manager.time_zone = "America/Los_Angeles"
    case_manager.save(update_fields=["time_zone"])
    contact = dt.datetime(2026, 3, 7, 7, 0, tzinfo=LOS_ANGELES)
    with time_machine.travel(_after(contact, hours=1), tick=False):
        client.force_login(case_manager)
        client.post(reverse("notes:note_new", args=[north_client.pk]))
        note = CaseNote.objects.get(author=case_manager)
        saved = client.post(
            reverse("notes:note_edit", args=[north_client.pk, note.pk]),
            _editor_post("2026-03-07T07:00"),
        )
        assert saved.status_code == 302
    stored = CaseNote.objects.get(pk=note.pk)
    assert stored.contact_at == dt.datetime(2026, 3, 7, 10, 0, tzinfo=NEW_YORK)
    signing = _after(contact, minutes=minutes_after)
    assert signing.astimezone(LOS_ANGELES).strftime("%H:%M") in ("07:30", "08:01")
    with time_machine.travel(signing, tick=False):
        client.force_login(case_manager)  # three days on, the old session has ended
        response = client.post(
            reverse("notes:note_sign", args=[north_client.pk, note.pk]),
            _editor_post("2026-03-07T07:00"),
        )
        assert response.status_code == 302
        page = client.get(reverse("notes:note_detail", args=[north_client.pk, note.pk]))
    stored = CaseNote.objects.get(pk=note.pk)
    assert stored.signed_at == signing and stored.late_entry is late
    body = page.content.decode()
    assert "PDT" in body and "PST" in body  # signed in summer time, the contact in winter
    assert ('text-bg-warning">Late entry<' in body) is late
