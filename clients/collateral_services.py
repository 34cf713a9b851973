"""Collaterals: the people in the client's life the case manager may need to speak with —
adding and editing them, marking them no longer involved, and the question every contact
with them asks first: "is there an active release naming them?"."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.audit.history import save_with_history

from .models import Client, Collateral, CollateralRelationship, ReleaseOfInformation
from .permissions import can_change_client

#: Fields of a collateral a user fills in; the services keep the rest.
COLLATERAL_FIELDS = (
    "name",
    "relationship",
    "relationship_detail",
    "organization",
    "phone",
    "email",
    "address",
    "best_way_to_reach",
    "is_emergency_contact",
    "notes",
)
_FLAGS = ("is_emergency_contact",)

NOT_YOURS_TO_CHANGE = gettext_lazy("You can read this record but not change it.")


def _clean_values(data: Mapping[str, Any]) -> dict[str, Any]:
    """The collateral fields from `data`, strings trimmed, missing ones blank."""
    values: dict[str, Any] = {}
    for field in COLLATERAL_FIELDS:
        value = data.get(field)
        if field in _FLAGS:
            values[field] = bool(value)
            continue
        values[field] = (value or "").strip() if isinstance(value, str | None) else value
    return values


def collateral_problems(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """The collateral rules, each refusal beside its field: a name; a relationship from the
    list, described when it is "other"; an emergency contact has a phone number."""
    problems: dict[str, list[str]] = {}
    values = _clean_values(data)
    if not values["name"]:
        problems["name"] = [_("Give the person's name.")]
    relationship = values["relationship"]
    if relationship not in CollateralRelationship.values:
        problems["relationship"] = [_("Choose how they are related to the client.")]
    elif relationship == CollateralRelationship.OTHER and not values["relationship_detail"]:
        problems["relationship_detail"] = [_("Say how they are related to the client.")]
    if values["is_emergency_contact"] and not values["phone"]:
        problems["phone"] = [_("An emergency contact needs a phone number.")]
    return problems


def _check(collateral: Collateral, problems: dict[str, list[str]]) -> None:
    try:
        collateral.full_clean(exclude=list(problems))
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            problems.setdefault(field, []).extend(messages)
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def collateral_create(*, actor: User, client: Client, data: Mapping[str, Any]) -> Collateral:
    """Add someone in the client's life (see `collateral_problems` for the rules). Only the
    assigned case manager or the team's supervisor adds one."""
    if not can_change_client(actor, client):
        raise PermissionDenied(NOT_YOURS_TO_CHANGE)
    problems = collateral_problems(data)
    collateral = Collateral(client=client, created_by=actor, **_clean_values(data))
    _check(collateral, problems)
    save_with_history(collateral, actor=actor, reason="Collateral added")
    return collateral


def _locked(collateral: Collateral, actor: User) -> Collateral:
    locked = (
        Collateral.objects.select_for_update(of=("self",))
        .select_related("client")
        .get(pk=collateral.pk)
    )
    if not can_change_client(actor, locked.client):
        raise PermissionDenied(NOT_YOURS_TO_CHANGE)
    return locked


@transaction.atomic
def collateral_update(
    *, actor: User, collateral: Collateral, data: Mapping[str, Any]
) -> Collateral:
    """Change what is known about a collateral (the same rules as adding one). `data` may
    also hold `is_active` to mark them involved or no longer involved at the same time."""
    locked = _locked(collateral, actor)
    problems = collateral_problems(data)
    values = _clean_values(data)
    changed = [f for f in COLLATERAL_FIELDS if getattr(locked, f) != values[f]]
    for field in changed:
        setattr(locked, field, values[field])
    reason = "Collateral updated"
    if "is_active" in data and bool(data["is_active"]) != locked.is_active:
        locked.is_active = bool(data["is_active"])
        changed.append("is_active")
        reason = "Collateral updated: " + (
            "involved again" if locked.is_active else "no longer involved"
        )
    _check(locked, problems)
    if changed:
        save_with_history(locked, actor=actor, reason=reason, update_fields=changed)
    return locked


@transaction.atomic
def collateral_set_involved(*, actor: User, collateral: Collateral, involved: bool) -> Collateral:
    """Mark a collateral as no longer part of the client's support (or involved again).
    Nothing is deleted: notes and releases naming them keep pointing at them."""
    locked = _locked(collateral, actor)
    if locked.is_active == involved:
        return locked
    locked.is_active = involved
    save_with_history(
        locked,
        actor=actor,
        reason="Involved again" if involved else "No longer involved",
        update_fields=["is_active"],
    )
    return locked


# --- Reads (always within a client the user was allowed to open) ---------------------------


def active_releases_prefetch(on: dt.date) -> Prefetch[Any]:
    """Collaterals' releases in effect on `on`, newest first, as `active_releases`."""
    return Prefetch(
        "releases",
        queryset=ReleaseOfInformation.objects.active_on(on).order_by("-effective_on", "-pk"),
        to_attr="active_releases",
    )


def collaterals_for_client(client: Client, *, on: dt.date) -> QuerySet[Collateral]:
    """The client's collaterals, still involved first then by name, each with the releases
    naming them that are in effect on `on` as `active_releases` (newest first)."""
    return (
        Collateral.objects.filter(client=client)
        .prefetch_related(active_releases_prefetch(on))
        .order_by("-is_active", "name", "pk")
    )


def collateral_for_user(user: policy.AnyUser, client: Client, collateral_pk: int) -> Collateral:
    """One collateral of the client; 404 outside the user's scope."""
    return get_object_or_404(
        Collateral.objects.visible_to(user).filter(client=client).select_related("created_by"),
        pk=collateral_pk,
    )


def collateral_active_release(collateral: Collateral, on: dt.date) -> ReleaseOfInformation | None:
    """The release in effect on `on` naming this collateral as its recipient, newest first
    (the one the case-note gate asks for); uses `active_releases` when prefetched."""
    prefetched = getattr(collateral, "active_releases", None)
    if prefetched is not None:
        return prefetched[0] if prefetched else None
    return (
        ReleaseOfInformation.objects.active_on(on)
        .filter(client_id=collateral.client_id, recipient_collateral=collateral)
        .order_by("-effective_on", "-pk")
        .first()
    )


def releases_naming(collateral: Collateral) -> QuerySet[ReleaseOfInformation]:
    """Every release naming this collateral as recipient, newest first."""
    return ReleaseOfInformation.objects.filter(
        client_id=collateral.client_id, recipient_collateral=collateral
    ).order_by("-effective_on", "-pk")
