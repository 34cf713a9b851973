"""Helpers for case-note tests: a draft ready to sign, and a signed note."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from casemgmt.accounts.models import User
from clients.models import Client
from notes.models import CaseNote, ContactType
from notes.services import note_draft_create, note_sign


def complete_note_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "contact_at": timezone.now() - dt.timedelta(hours=2),
        "duration_minutes": 45,
        "contact_type": ContactType.HOME_VISIT,
        "location": "Client's apartment",
        "purpose": "Monthly check-in on the housing goal.",
        "observations": "Apartment tidy; two housing applications on the table.",
        "client_quotes": "“I sent the Maple Court form on Monday.”",
        "impressions": "Motivated; anxious about the wait.",
        "interventions": "Reviewed the application checklist together.",
        "next_steps": "Call Maple Court on Friday together.",
    }
    data.update(overrides)
    return data


def draft_note(client: Client, author: User, **overrides: Any) -> CaseNote:
    return note_draft_create(actor=author, client=client, data=complete_note_data(**overrides))


def signed_note(client: Client, author: User, **overrides: Any) -> CaseNote:
    note = draft_note(client, author, **overrides)
    return note_sign(actor=author, note=note)
