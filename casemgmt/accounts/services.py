"""Writes about people, teams and the agency."""

import logging
from collections.abc import Mapping
from typing import Any

from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from .models import Agency, User, UserSession

logger = logging.getLogger(__name__)


@transaction.atomic
def user_end_sessions(*, user: User) -> int:
    keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
    Session.objects.filter(session_key__in=keys).delete()
    deleted, _ = UserSession.objects.filter(user=user).delete()
    return deleted


@transaction.atomic
def api_token_issue(*, user: User) -> str:
    """A new API token replaces any earlier one; the key is shown to the user once."""
    Token.objects.filter(user=user).delete()
    return str(Token.objects.create(user=user).key)


def api_token_revoke(*, user: User) -> None:
    Token.objects.filter(user=user).delete()


#: Agency settings that cannot be zero: a zero interval, deadline or lead time means nothing.
AGENCY_POSITIVE_FIELDS = (
    "review_interval_days",
    "note_deadline_hours",
    "reminder_lead_days",
    "reminder_short_lead_days",
)
#: The note-quality word lists, one "wording => suggestion" (or just "wording") per line.
AGENCY_WORD_LIST_FIELDS = ("non_person_first_terms", "judgmental_terms", "impression_terms")


def word_list_errors(text: str) -> list[str]:
    """Why a word list cannot be read, one message per bad line; empty when it is fine."""
    errors = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if line.count("=>") > 1:
            errors.append(
                _(
                    'Line %(line)d has more than one "=>". Write the wording, " => ", then '
                    "what to write instead."
                )
                % {"line": number}
            )
        elif not line.partition("=>")[0].strip():
            errors.append(_('Line %(line)d has no wording before "=>".') % {"line": number})
    return errors


def agency_settings_errors(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """The rules between agency settings that the model's fields cannot express alone."""
    errors: dict[str, list[str]] = {}
    for name in AGENCY_POSITIVE_FIELDS:
        value = values.get(name)
        if value is not None and value < 1:
            errors.setdefault(name, []).append(_("Enter a number of 1 or more."))
    long_lead = values.get("reminder_lead_days")
    short_lead = values.get("reminder_short_lead_days")
    if long_lead is not None and short_lead is not None and short_lead >= long_lead:
        errors.setdefault("reminder_short_lead_days", []).append(
            _(
                "The second reminder must come closer to the date than the first: enter fewer "
                "days than the first reminder (%(days)d)."
            )
            % {"days": long_lead}
        )
    interval = values.get("review_interval_days")
    early = values.get("early_review_days")
    if interval is not None and early is not None and early >= interval:
        errors.setdefault("early_review_days", []).append(
            _(
                "The earliest routine review must be sooner than the review interval "
                "(%(days)d days)."
            )
            % {"days": interval}
        )
    for name in AGENCY_WORD_LIST_FIELDS:
        text = values.get(name)
        if text:
            problems = word_list_errors(text)
            if problems:
                errors.setdefault(name, []).extend(problems)
    return errors


@transaction.atomic
def agency_settings_update(*, actor: User, agency: Agency, data: Mapping[str, Any]) -> Agency:
    """An administrator changes the agency's settings; every change is logged by name."""
    if not actor.is_active or not actor.is_agency_admin:
        raise PermissionDenied("Only an administrator can change the agency settings.")
    editable = {
        field.name
        for field in Agency._meta.concrete_fields
        if field.editable and not field.primary_key
    }
    unknown = set(data) - editable
    if unknown:
        raise ValidationError(
            _("These are not agency settings: %(names)s.") % {"names": ", ".join(sorted(unknown))}
        )
    agency = Agency.objects.select_for_update().get(pk=agency.pk)
    changed: dict[str, tuple[Any, Any]] = {}
    for name, value in data.items():
        before = getattr(agency, name)
        if before != value:
            changed[name] = (before, value)
            setattr(agency, name, value)
    values = {name: getattr(agency, name) for name in editable}
    errors = agency_settings_errors(values)
    if errors:
        raise ValidationError(errors)
    agency.full_clean()
    if changed:
        agency.save(update_fields=sorted(changed))
        logger.info(
            "Agency settings of %s (id %s) changed by %s (id %s): %s",
            agency.name,
            agency.pk,
            actor.email,
            actor.pk,
            ", ".join(
                f"{name}: {before!r} -> {after!r}" for name, (before, after) in changed.items()
            ),
        )
    return agency
