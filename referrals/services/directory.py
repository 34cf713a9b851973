"""Writes to the provider directory: administrators keep services accurate (the fields a
referral depends on), record that a service was verified with the provider, and add
organizations and services. Every write refreshes the service's full-text search vector."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casemgmt.accounts import policy
from casemgmt.accounts.models import User
from casemgmt.audit.history import save_with_history as _save

from ..models import Organization, Service, TaxonomyTerm

#: The text search configuration the vector is built with; queries must use the same one.
SEARCH_CONFIG = "english"

#: Fields of a service that decide whether a client can be referred to it.
SERVICE_REFERRAL_FIELDS = (
    "status",
    "accepting_new_clients",
    "wait_time_days",
    "capacity_note",
    "payers_accepted",
    "languages",
    "minimum_age",
    "maximum_age",
    "eligibility_description",
    "required_documents",
)

#: Fields describing a new service, beside the referral fields.
SERVICE_DESCRIPTION_FIELDS = (
    "name",
    "alternate_name",
    "description",
    "url",
    "email",
    "application_process",
    "fees_description",
    "interpretation_services",
)

ORGANIZATION_FIELDS = (
    "name",
    "alternate_name",
    "description",
    "email",
    "website",
    "is_internal",
)

# Weights: the service's names (A) rank above its organization and categories (B), its
# description (C), and what else a case manager might type: eligibility, languages (D).
_REFRESH_SQL = f"""
UPDATE referrals_service AS s SET search_vector =
    setweight(to_tsvector('{SEARCH_CONFIG}', s.name || ' ' || s.alternate_name), 'A')
    || setweight(to_tsvector('{SEARCH_CONFIG}', coalesce((
            SELECT o.name || ' ' || o.alternate_name
            FROM referrals_organization AS o
            WHERE o.id = s.organization_id
        ), '') || ' ' || coalesce((
            SELECT string_agg(t.name, ' ')
            FROM referrals_service_categories AS sc
            JOIN referrals_taxonomyterm AS t ON t.id = sc.taxonomyterm_id
            WHERE sc.service_id = s.id
        ), '')), 'B')
    || setweight(to_tsvector('{SEARCH_CONFIG}', s.description), 'C')
    || setweight(to_tsvector('{SEARCH_CONFIG}', s.eligibility_description
        || ' ' || array_to_string(s.languages, ' ')), 'D')
WHERE TRUE
"""  # noqa: S608 - no user input: the configuration name is a module constant.


def can_manage_directory(user: policy.AnyUser) -> bool:
    """Only an active agency administrator changes the provider directory."""
    return isinstance(user, User) and user.is_active and user.is_agency_admin


def _require_manager(actor: User) -> None:
    if not can_manage_directory(actor):
        raise PermissionDenied(_("Only an administrator can change the provider directory."))


def service_search_vectors_refresh(*, service_ids: Iterable[uuid.UUID] | None = None) -> int:
    """Rebuild the search vector of the given services (all services when None) in one
    statement. Importers call this after writing services, organizations or categories."""
    with connection.cursor() as cursor:
        if service_ids is None:
            cursor.execute(_REFRESH_SQL)
        else:
            ids = [str(pk) for pk in service_ids]
            if not ids:
                return 0
            cursor.execute(_REFRESH_SQL + " AND s.id = ANY(%s::uuid[])", [ids])
        return cursor.rowcount


def _check_ages(service: Service) -> None:
    low, high = service.minimum_age, service.maximum_age
    if low is not None and high is not None and low > high:
        raise ValidationError(
            {
                "maximum_age": _("The maximum age cannot be below the minimum age (%(low)d).")
                % {"low": low}
            }
        )


def _apply(service: Service, data: Mapping[str, Any], fields: Iterable[str]) -> None:
    for name in fields:
        if name in data:
            value = data[name]
            if name in {"languages", "required_documents", "payers_accepted"}:
                value = _clean_list(value or [])
            elif isinstance(value, str):
                value = value.strip()
            setattr(service, name, value)


def _clean_list(values: Iterable[str]) -> list[str]:
    """Trimmed, without blanks or repeats (case-insensitive), in the order given."""
    seen: set[str] = set()
    kept: list[str] = []
    for raw in values:
        value = str(raw).strip()
        if value and value.casefold() not in seen:
            seen.add(value.casefold())
            kept.append(value)
    return kept


@transaction.atomic
def service_update(
    *,
    actor: User,
    service: Service,
    data: Mapping[str, Any],
    organization_is_internal: bool | None = None,
) -> Service:
    """An administrator corrects what a referral depends on (status, availability, who is
    eligible, payers, languages, documents, categories); optionally whether the service's
    organization is one of the agency's own programs."""
    _require_manager(actor)
    _apply(service, data, SERVICE_REFERRAL_FIELDS)
    service.last_modified = timezone.now()
    _check_ages(service)
    service.full_clean(exclude=["search_vector", "last_verified_by", "organization"])
    _save(service, actor=actor, reason="Directory details updated")
    if "categories" in data:
        service.categories.set(list(data["categories"] or []))
    organization = service.organization
    if (
        organization is not None
        and organization_is_internal is not None
        and organization.is_internal != organization_is_internal
    ):
        organization.is_internal = organization_is_internal
        organization.last_modified = timezone.now()
        _save(
            organization,
            actor=actor,
            reason="Marked internal" if organization_is_internal else "Marked external",
            update_fields=["is_internal", "last_modified"],
        )
    service_search_vectors_refresh(service_ids=[service.pk])
    return service


@transaction.atomic
def service_verify(
    *,
    actor: User,
    service: Service,
    wait_time_days: int | None = None,
    accepting_new_clients: bool | None = None,
    capacity_note: str | None = None,
) -> Service:
    """Verified with the provider today: records who and when, and any availability the
    provider gave (None leaves a field as it was)."""
    _require_manager(actor)
    fields = ["last_verified_on", "last_verified_by", "last_modified"]
    if wait_time_days is not None:
        if wait_time_days < 0:
            raise ValidationError({"wait_time_days": _("A wait cannot be negative.")})
        service.wait_time_days = wait_time_days
        fields.append("wait_time_days")
    if accepting_new_clients is not None:
        service.accepting_new_clients = accepting_new_clients
        fields.append("accepting_new_clients")
    if capacity_note is not None and capacity_note.strip():
        service.capacity_note = capacity_note.strip()
        fields.append("capacity_note")
    service.last_verified_on = timezone.localdate()
    service.last_verified_by = actor
    service.last_modified = timezone.now()
    _save(service, actor=actor, reason="Verified with the provider", update_fields=fields)
    return service


@transaction.atomic
def organization_create(*, actor: User, data: Mapping[str, Any]) -> Organization:
    """An administrator adds an organization (a provider, or one of the agency's own
    programs) under a new id."""
    _require_manager(actor)
    organization = Organization(id=uuid.uuid4(), last_modified=timezone.now())
    for name in ORGANIZATION_FIELDS:
        if name in data:
            value = data[name]
            setattr(organization, name, value.strip() if isinstance(value, str) else value)
    organization.full_clean()
    _save(organization, actor=actor, reason="Added to the directory", force_insert=True)
    return organization


@transaction.atomic
def service_create(*, actor: User, organization: Organization, data: Mapping[str, Any]) -> Service:
    """An administrator adds a service of an organization under a new id."""
    _require_manager(actor)
    service = Service(id=uuid.uuid4(), organization=organization, last_modified=timezone.now())
    _apply(service, data, SERVICE_DESCRIPTION_FIELDS + SERVICE_REFERRAL_FIELDS)
    _check_ages(service)
    service.full_clean(exclude=["search_vector", "last_verified_by"])
    _save(service, actor=actor, reason="Added to the directory", force_insert=True)
    categories: list[TaxonomyTerm] = list(data.get("categories") or [])
    if categories:
        service.categories.set(categories)
    service_search_vectors_refresh(service_ids=[service.pk])
    return service
