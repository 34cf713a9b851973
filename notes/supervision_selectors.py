"""Reads behind the supervisor dashboard about case notes: drafts unsigned past the
agency's deadline, notes signed as late entries, and the time since each client was last
seen. Every read starts from the user and the teams chosen (see
`clients.supervision_selectors`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import DateField, Min, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce, TruncDate

from casemgmt.accounts import policy
from casemgmt.accounts.models import Agency
from casemgmt.reminders.rules import local_zone
from clients.models import Client, Episode
from clients.supervision_selectors import RuleRows, overdue_rows

from .models import CaseNote, NoteStatus
from .reminders import INDIRECT_CONTACT_TYPES, NoteUnsignedRule


def overdue_unsigned_notes(
    user: policy.AnyUser,
    *,
    agencies: Iterable[Agency],
    team_ids: Iterable[int],
    case_manager_ids: Iterable[int],
    today: dt.date,
) -> RuleRows:
    """Drafts still unsigned after the day of their signing deadline, as the unsigned-note
    reminder finds them (so the dashboard and "My work today" agree), for their authors."""
    return overdue_rows(
        user,
        [NoteUnsignedRule()],
        agencies=agencies,
        team_ids=team_ids,
        recipient_ids=case_manager_ids,
        today=today,
    )


def notes_by_id(ids: Iterable[int]) -> dict[int, CaseNote]:
    """The notes named, with their clients (one query; the note's text is not read)."""
    rows = (
        CaseNote.objects.filter(pk__in=sorted(set(ids)))
        .select_related("client")
        .only("pk", "contact_at", "contact_type", "client")
    )
    return {note.pk: note for note in rows}


def late_notes(
    user: policy.AnyUser,
    team_ids: Iterable[int],
    *,
    case_manager_ids: Iterable[int],
    start: dt.datetime,
    end: dt.datetime,
) -> QuerySet[CaseNote]:
    """Notes signed as late entries (signed after the agency's deadline) by the case
    managers named, of contacts from `start` (inclusive) to `end` (exclusive), newest
    contact first."""
    return (
        CaseNote.objects.visible_to(user)
        .filter(
            client__team_id__in=sorted(team_ids),
            author_id__in=sorted(case_manager_ids),
            status=NoteStatus.SIGNED,
            late_entry=True,
            contact_at__gte=start,
            contact_at__lt=end,
        )
        .select_related("client")
        .only("pk", "contact_at", "contact_type", "signed_at", "author_id", "client")
        .order_by("-contact_at", "-pk")
    )


def with_last_contact(rows: QuerySet[Client]) -> QuerySet[Any]:
    """Each client with `last_contact_on`, the agency-local date of the latest signed note
    of a contact with them (the client took part, and the contact type is not one of the
    indirect ones: collateral, provider, attempted), and `contact_since`: that date or,
    when they were never seen, the start of their current episode of care (or, without an
    open episode, the day their record was opened)."""
    zone = local_zone()
    last_contact = (
        CaseNote.objects.filter(
            client_id=OuterRef("pk"), status=NoteStatus.SIGNED, client_present=True
        )
        .exclude(contact_type__in=INDIRECT_CONTACT_TYPES)
        .order_by("-contact_at")
        .values(day=TruncDate("contact_at", tzinfo=zone))[:1]
    )
    episode_start = (
        Episode.objects.filter(client_id=OuterRef("pk"), discharged_on__isnull=True)
        .order_by("-enrolled_on")
        .values("enrolled_on")[:1]
    )
    return rows.annotate(last_contact_on=Subquery(last_contact, output_field=DateField())).annotate(
        contact_since=Coalesce(
            "last_contact_on",
            Subquery(episode_start, output_field=DateField()),
            TruncDate("created_at", tzinfo=zone),
            output_field=DateField(),
        )
    )


def longest_since_contact(rows: QuerySet[Client], *, today: dt.date) -> dict[int, int]:
    """For each primary case manager, the most days any of their clients among `rows` has
    gone since `contact_since` (one grouped query)."""
    grouped = (
        with_last_contact(rows)
        .order_by()
        .values("primary_case_manager")
        .annotate(earliest=Min("contact_since"))
        .values_list("primary_case_manager", "earliest")
    )
    return {
        case_manager: (today - earliest).days
        for case_manager, earliest in grouped
        if earliest is not None
    }
