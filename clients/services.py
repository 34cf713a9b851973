"""Writes to client records: intake, edits under a version check, episodes of care."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casemgmt.accounts.models import Team, User
from casemgmt.audit.history import save_with_history as _save

from .models import (
    Client,
    ClientStatus,
    DischargeReason,
    Disclosure,
    Episode,
    ReleaseCategory,
    ReleaseOfInformation,
    SafetyFlag,
)
from .permissions import can_change_client, can_open_client_in
from .reassignment_services import record_reassignment

#: Fields of the fact sheet a user edits; everything else is kept by the services.
FACT_SHEET_FIELDS = (
    "legal_first_name",
    "legal_last_name",
    "preferred_name",
    "pronouns",
    "date_of_birth",
    "sex_at_birth",
    "gender_identity",
    "primary_language",
    "other_languages",
    "interpreter_needed",
    "phone",
    "phone_ok_to_contact",
    "email",
    "email_ok_to_contact",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "address_ok_to_contact",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "payer_type",
    "payer_name",
    "member_id",
    "presenting_issue",
    "referral_source",
    "team",
    "case_management_model",
    "primary_case_manager",
)


@dataclass(frozen=True)
class PossibleDuplicate:
    """A record that may be the same person. Outside the user's scope only the record number
    and team are told, so the user can ask a supervisor without seeing the record."""

    record_number: str
    team: str
    client: Client | None


def client_possible_duplicates(
    *,
    actor: User,
    legal_first_name: str,
    legal_last_name: str,
    date_of_birth: date | None,
    member_id: str = "",
    exclude_pk: int | None = None,
) -> list[PossibleDuplicate]:
    """Same legal name and date of birth, or the same member id."""
    match = Q()
    if date_of_birth and legal_first_name and legal_last_name:
        match |= Q(
            legal_first_name__iexact=legal_first_name.strip(),
            legal_last_name__iexact=legal_last_name.strip(),
            date_of_birth=date_of_birth,
        )
    if member_id.strip():
        match |= Q(member_id__iexact=member_id.strip())
    if not match:
        return []
    candidates = Client.objects.filter(match).select_related("team")
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    visible = set(Client.objects.visible_to(actor).filter(match).values_list("pk", flat=True))
    return [
        PossibleDuplicate(
            record_number=c.record_number,
            team=c.team.name,
            client=c if c.pk in visible else None,
        )
        for c in candidates.order_by("record_number")[:10]
    ]


def _next_record_number() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval('client_record_number_seq')")
        (number,) = cursor.fetchone()
    return f"CW-{number:06d}"


def _check_assignment(actor: User, team: Team, case_manager: User) -> None:
    if not can_open_client_in(actor, team):
        raise PermissionDenied(_("You cannot hold records for the team %(team)s.") % {"team": team})
    if not (
        case_manager.is_active
        and case_manager.is_case_manager
        and case_manager.member_teams.filter(pk=team.pk).exists()
    ):
        raise ValidationError(
            {
                "primary_case_manager": _("Choose an active case manager on the team %(team)s.")
                % {"team": team}
            }
        )


@transaction.atomic
def client_intake(*, actor: User, data: dict[str, Any], enrolled_on: date | None = None) -> Client:
    """Open a record and its first episode of care; the record number is generated."""
    _check_assignment(actor, data["team"], data["primary_case_manager"])
    client = Client(**{f: data[f] for f in FACT_SHEET_FIELDS if f in data})
    client.record_number = _next_record_number()
    client.status = ClientStatus.ACTIVE
    client.full_clean()
    _save(client, actor=actor, reason="Intake")
    episode = Episode(
        client=client, enrolled_on=enrolled_on or timezone.localdate(), enrolled_by=actor
    )
    episode.full_clean()
    _save(episode, actor=actor, reason="Enrolled at intake")
    return client


class StaleVersionError(Exception):
    """Someone else saved the record after this user opened it."""

    def __init__(self, current: Client, changed_fields: list[str]) -> None:
        super().__init__("The record was changed by someone else.")
        self.current = current
        self.changed_fields = changed_fields


@transaction.atomic
def client_update(
    *,
    actor: User,
    client: Client,
    data: dict[str, Any],
    expected_version: int,
    reason: str = "",
) -> Client:
    """Save fact-sheet changes, unless the record changed since `expected_version` was read:
    then StaleVersionError names the fields the other person changed, and nothing is saved."""
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if not can_change_client(actor, locked):
        raise PermissionDenied(_("You can read this record but not change it."))
    if locked.version != expected_version:
        raise StaleVersionError(locked, _fields_changed_since(locked, expected_version))
    if data.get("team", locked.team) != locked.team or (
        data.get("primary_case_manager", locked.primary_case_manager) != locked.primary_case_manager
    ):
        _check_assignment(actor, data["team"], data["primary_case_manager"])
    previous_case_manager = locked.primary_case_manager_id
    for field in FACT_SHEET_FIELDS:
        if field in data:
            setattr(locked, field, data[field])
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.full_clean()
    _save(locked, actor=actor, reason=reason or "Fact sheet edited")
    if locked.primary_case_manager_id != previous_case_manager:
        # The hand-over is kept and both case managers told, whichever page made it.
        record_reassignment(
            actor=actor,
            client=locked,
            from_case_manager_id=previous_case_manager,
            reason=reason or _("Changed on the fact sheet"),
            batch=uuid.uuid4(),
        )
    return locked


def _fields_changed_since(client: Client, version: int) -> list[str]:
    """The fact-sheet fields that differ between the version a user read and the current one."""
    read = client.history.filter(version=version).order_by("-history_date").first()
    current = client.history.order_by("-history_date").first()
    if read is None or current is None:
        return []
    delta = current.diff_against(read, excluded_fields=["version", "updated_at", "status"])
    return sorted(c.field for c in delta.changes)


@transaction.atomic
def episode_discharge(
    *, actor: User, client: Client, discharged_on: date, reason: str, plan: str
) -> Episode:
    """Close the open episode with a date, reason and discharge plan; the client is discharged."""
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if not can_change_client(actor, locked):
        raise PermissionDenied(_("You can read this record but not change it."))
    episode = locked.episodes.filter(discharged_on__isnull=True).first()
    if episode is None:
        raise ValidationError(_("This client has no open episode of care to discharge."))
    if reason not in DischargeReason.values:
        raise ValidationError({"discharge_reason": _("Choose a discharge reason.")})
    if discharged_on > timezone.localdate():
        raise ValidationError({"discharged_on": _("The discharge date cannot be in the future.")})
    if discharged_on < episode.enrolled_on:
        raise ValidationError(
            {
                "discharged_on": _("The discharge date cannot be before enrolment on %(day)s.")
                % {"day": episode.enrolled_on.isoformat()}
            }
        )
    episode.discharged_on = discharged_on
    episode.discharge_reason = reason
    episode.discharge_plan = plan
    episode.discharged_by = actor
    episode.full_clean()
    _save(episode, actor=actor, reason="Discharged")
    _set_status(locked, ClientStatus.DISCHARGED, actor=actor, reason="Discharged")
    return episode


@transaction.atomic
def episode_reenrol(*, actor: User, client: Client, enrolled_on: date) -> Episode:
    """Start a new episode of care for a discharged client; the client is active again."""
    locked = Client.objects.select_for_update().get(pk=client.pk)
    if not can_change_client(actor, locked):
        raise PermissionDenied(_("You can read this record but not change it."))
    if locked.episodes.filter(discharged_on__isnull=True).exists():
        raise ValidationError(_("This client is already enrolled."))
    last = locked.episodes.order_by("-discharged_on").first()
    if enrolled_on > timezone.localdate():
        raise ValidationError({"enrolled_on": _("The enrolment date cannot be in the future.")})
    if last is not None and last.discharged_on and enrolled_on < last.discharged_on:
        raise ValidationError(
            {
                "enrolled_on": _("Re-enrolment cannot be before the last discharge on %(day)s.")
                % {"day": last.discharged_on.isoformat()}
            }
        )
    episode = Episode(client=locked, enrolled_on=enrolled_on, enrolled_by=actor)
    episode.full_clean()
    _save(episode, actor=actor, reason="Re-enrolled")
    _set_status(locked, ClientStatus.ACTIVE, actor=actor, reason="Re-enrolled")
    return episode


def _set_status(client: Client, status: str, *, actor: User, reason: str) -> None:
    client.status = status
    client.version += 1
    client.updated_at = timezone.now()
    _save(client, actor=actor, reason=reason, update_fields=["status", "version", "updated_at"])


def safety_flag_raise(*, actor: User, client: Client, reason: str, source: str = "") -> SafetyFlag:
    """Flag the client for safety follow-up; the flag shows on every page of the client
    until someone records the follow-up."""
    flag = SafetyFlag(client=client, reason=reason, source=source, raised_by=actor)
    flag.full_clean()
    _save(flag, actor=actor, reason="Safety flag raised")
    return flag


@transaction.atomic
def safety_flag_resolve(*, actor: User, flag: SafetyFlag, follow_up: str) -> SafetyFlag:
    """Whoever may change the record closes a flag, saying what follow-up was done."""
    locked = SafetyFlag.objects.select_for_update().select_related("client").get(pk=flag.pk)
    if not can_change_client(actor, locked.client):
        raise PermissionDenied(_("You can read this record but not change it."))
    if not locked.is_open:
        raise ValidationError(_("This safety flag was already followed up."))
    if not follow_up.strip():
        raise ValidationError({"follow_up": _("Say what follow-up was done.")})
    locked.follow_up = follow_up.strip()
    locked.resolved_at = timezone.now()
    locked.resolved_by = actor
    _save(locked, actor=actor, reason="Safety follow-up recorded")
    return locked


def disclosure_record(
    *,
    actor: User,
    client: Client,
    recipient_name: str,
    what: str,
    categories: list[str],
    release: ReleaseOfInformation | None,
    exception: str = "",
    purpose: str = "",
    recipient_organization_id: Any = None,
) -> Disclosure:
    """Add a line to the client's accounting of disclosures. Part 2 records carry the
    redisclosure notice."""
    if release is None and not exception:
        raise ValidationError(_("A disclosure needs a release or a documented exception."))
    disclosure = Disclosure(
        client=client,
        recipient_name=recipient_name,
        what=what,
        categories=categories,
        release=release,
        exception=exception,
        purpose=purpose,
        disclosed_by=actor,
        recipient_organization_id=recipient_organization_id,
        redisclosure_notice=ReleaseCategory.SUD_PART2 in categories,
    )
    disclosure.full_clean()
    disclosure.save()
    return disclosure
