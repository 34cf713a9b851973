"""Writes to case notes: drafts (autosaved as the user types), signing, addenda and the
supervisor's co-signature. The database refuses any change to a signed note whatever path
the write takes (migration 0002); these services say why in words first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from careplans.models import Goal
from casemgmt.accounts.models import Agency, User
from casemgmt.audit.history import save_with_history
from clients.models import Client, Collateral, ReleaseOfInformation
from referrals.models import Referral

from .models import Addendum, AddendumKind, CaseNote, ContactType, CosignStatus, NoteStatus
from .permissions import can_add_addendum, can_cosign, can_edit_draft, can_write_notes

#: Fields a draft's author may set (the rest belong to signing and co-signing).
DRAFT_FIELDS = (
    "contact_at",
    "duration_minutes",
    "contact_type",
    "location",
    "client_present",
    "other_participants",
    "note_format",
    "purpose",
    "observations",
    "client_quotes",
    "impressions",
    "interventions",
    "next_steps",
)


class SignedNoteError(ValidationError):
    """A change asked of a note that is signed (and so can never change)."""


def _require_draft(note: CaseNote) -> None:
    if note.is_signed:
        raise SignedNoteError(
            _("This note was signed on %(when)s and can no longer change; add an addendum.")
            % {"when": timezone.localtime(note.signed_at).strftime("%Y-%m-%d %H:%M")}
        )


def _check_links(
    client: Client,
    goals: Iterable[Goal] | None,
    referrals: Iterable[Referral] | None,
    collaterals: Iterable[Collateral] | None,
) -> None:
    """Links must belong to the same client (a form or API caller could send any id)."""
    errors: dict[str, str] = {}
    if goals is not None and any(goal.plan.client_id != client.pk for goal in goals):
        errors["goals"] = _("A goal from another client's plan cannot be linked.")
    if referrals is not None and any(r.client_id != client.pk for r in referrals):
        errors["referrals"] = _("A referral of another client cannot be linked.")
    if collaterals is not None and any(c.client_id != client.pk for c in collaterals):
        errors["collaterals"] = _("A collateral of another client cannot be linked.")
    if errors:
        raise ValidationError(errors)


def _set_links(
    note: CaseNote,
    goals: Iterable[Goal] | None,
    referrals: Iterable[Referral] | None,
    collaterals: Iterable[Collateral] | None,
) -> None:
    if goals is not None:
        note.goals.set(goals)
    if referrals is not None:
        note.referrals.set(referrals)
    if collaterals is not None:
        note.collaterals.set(collaterals)


@transaction.atomic
def note_draft_create(
    *,
    actor: User,
    client: Client,
    data: dict[str, Any] | None = None,
    goals: Iterable[Goal] | None = None,
    referrals: Iterable[Referral] | None = None,
    collaterals: Iterable[Collateral] | None = None,
) -> CaseNote:
    """Start a note. The format defaults to the agency's; the contact time to now."""
    if not can_write_notes(actor, client):
        raise PermissionDenied(_("You can read this client's record but not write notes on it."))
    agency = Agency.for_team(client.team_id)
    values = {
        "contact_at": timezone.now().replace(second=0, microsecond=0),
        "duration_minutes": 0,
        "contact_type": ContactType.OFFICE,
        "note_format": agency.default_note_format,
    }
    values.update({k: v for k, v in (data or {}).items() if k in DRAFT_FIELDS})
    note = CaseNote(client=client, author=actor, **values)
    note.full_clean()
    _check_links(client, goals, referrals, collaterals)
    save_with_history(note, actor=actor, reason="Note started")
    _set_links(note, goals, referrals, collaterals)
    return note


@transaction.atomic
def note_draft_update(
    *,
    actor: User,
    note: CaseNote,
    data: dict[str, Any],
    goals: Iterable[Goal] | None = None,
    referrals: Iterable[Referral] | None = None,
    collaterals: Iterable[Collateral] | None = None,
) -> CaseNote:
    """Save what the author has typed so far (autosave). Drafts may be incomplete."""
    note = CaseNote.objects.select_for_update().get(pk=note.pk)
    _require_draft(note)
    if not can_edit_draft(actor, note):
        raise PermissionDenied(_("Only the author can change a draft note."))
    for name, value in data.items():
        if name in DRAFT_FIELDS:
            setattr(note, name, value)
    note.updated_at = timezone.now()
    note.full_clean()
    _check_links(note.client, goals, referrals, collaterals)
    save_with_history(note, actor=actor, reason="Draft saved")
    _set_links(note, goals, referrals, collaterals)
    return note


@transaction.atomic
def note_draft_discard(*, actor: User, note: CaseNote) -> None:
    """An author may throw away a draft they no longer need; signed notes stay forever."""
    note = CaseNote.objects.select_for_update().get(pk=note.pk)
    _require_draft(note)
    if not can_edit_draft(actor, note):
        raise PermissionDenied(_("Only the author can discard a draft note."))
    note._history_user = actor  # type: ignore[attr-defined]
    note._change_reason = "Draft discarded"  # type: ignore[attr-defined]
    note.delete()


def collateral_release(collateral: Collateral, on: dt.date) -> ReleaseOfInformation | None:
    """The release in effect on `on` that names this collateral as its recipient."""
    return (
        ReleaseOfInformation.objects.active_on(on)
        .filter(client_id=collateral.client_id, recipient_collateral=collateral)
        .order_by("-effective_on", "-pk")
        .first()
    )


def sign_problems(note: CaseNote, *, now: dt.datetime | None = None) -> dict[str, list[str]]:
    """What stops a draft from being signed, field by field (empty when it may be signed)."""
    now = now or timezone.now()
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if note.contact_at > now:
        add("contact_at", _("The contact is in the future; a note records what has happened."))
    if note.contact_type != ContactType.ATTEMPTED and note.duration_minutes < 1:
        add("duration_minutes", _("Enter how many minutes the contact took."))
    if not note.purpose.strip():
        add("purpose", _("Say what the contact was for."))
    written = [note.observations, note.client_quotes, note.interventions]
    if note.contact_type != ContactType.ATTEMPTED and not any(t.strip() for t in written):
        add(
            "observations",
            _("Record what happened: observations, the client's words or what you did."),
        )
    if not note.next_steps.strip():
        add("next_steps", _("Add the next step, even if it is “none needed”."))
    collaterals = list(note.collaterals.all())
    if note.contact_type == ContactType.COLLATERAL and not collaterals:
        add("collaterals", _("A collateral contact names the collateral spoken with."))
    contact_day = timezone.localtime(note.contact_at).date()
    for collateral in collaterals:
        if collateral_release(collateral, contact_day) is None:
            add(
                "collaterals",
                _(
                    "There is no active release of information naming %(name)s on "
                    "%(day)s. Speaking with a collateral about the client needs the "
                    "client's written consent: record a release naming them first."
                )
                % {"name": collateral.name, "day": contact_day.isoformat()},
            )
    return problems


@transaction.atomic
def note_sign(*, actor: User, note: CaseNote, now: dt.datetime | None = None) -> CaseNote:
    """Sign and lock the note. Late entry when signed after the agency's deadline; routed
    for co-signature when the agency or the author's settings ask for it."""
    note = CaseNote.objects.select_for_update().select_related("client", "author").get(pk=note.pk)
    _require_draft(note)
    if not can_edit_draft(actor, note):
        raise PermissionDenied(_("Only the author signs a note."))
    now = now or timezone.now()
    problems = sign_problems(note, now=now)
    if problems:
        raise ValidationError(problems)
    agency = Agency.for_team(note.client.team_id)
    note.status = NoteStatus.SIGNED
    note.signed_at = now
    note.signed_by = actor
    note.late_entry = note.is_late(now, agency.note_deadline_hours)
    if agency.notes_cosign_required or note.author.notes_need_cosign:
        note.cosign_status = CosignStatus.PENDING
    note.updated_at = now
    save_with_history(note, actor=actor, reason="Signed")
    return note


@transaction.atomic
def addendum_add(*, actor: User, note: CaseNote, kind: str, reason: str, text: str) -> Addendum:
    """Add a correction, late entry or clarification under a signed note. An answer to a
    supervisor's returned co-signature sends the note back for co-signature."""
    note = CaseNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if not note.is_signed:
        raise ValidationError(_("This note is still a draft: change the draft instead."))
    if not can_add_addendum(actor, note):
        raise PermissionDenied(_("You cannot add to this note."))
    addendum = Addendum(
        note=note,
        kind=kind,
        reason=reason.strip(),
        text=text.strip(),
        author=actor,
        signed_at=timezone.now(),
    )
    addendum.full_clean()
    save_with_history(addendum, actor=actor, reason=addendum.reason)
    if note.cosign_status == CosignStatus.RETURNED and note.author_id == actor.pk:
        note.cosign_status = CosignStatus.PENDING
        save_with_history(
            note, actor=actor, reason="Answered the supervisor", update_fields=["cosign_status"]
        )
    return addendum


@transaction.atomic
def note_cosign(*, actor: User, note: CaseNote, approve: bool, comment: str = "") -> CaseNote:
    """The supervisor co-signs, or returns the note with a comment; the author answers a
    returned note with an addendum (the note itself never changes)."""
    note = CaseNote.objects.select_for_update().select_related("client").get(pk=note.pk)
    if note.cosign_status != CosignStatus.PENDING:
        raise ValidationError(_("This note is not waiting for a co-signature."))
    if not can_cosign(actor, note):
        raise PermissionDenied(_("A supervisor of the client's team co-signs, never the author."))
    comment = comment.strip()
    if approve:
        note.cosign_status = CosignStatus.APPROVED
        note.cosigned_by = actor
        note.cosigned_at = timezone.now()
        note.cosign_comment = comment
        reason = "Co-signed"
    else:
        if not comment:
            raise ValidationError({"comment": _("Say what the author should add or correct.")})
        note.cosign_status = CosignStatus.RETURNED
        note.cosign_comment = comment
        reason = "Returned for an addendum"
    save_with_history(
        note,
        actor=actor,
        reason=reason,
        update_fields=["cosign_status", "cosigned_by", "cosigned_at", "cosign_comment"],
    )
    return note


__all__ = [
    "DRAFT_FIELDS",
    "AddendumKind",
    "SignedNoteError",
    "addendum_add",
    "collateral_release",
    "note_cosign",
    "note_draft_create",
    "note_draft_discard",
    "note_draft_update",
    "note_sign",
    "sign_problems",
]
