"""Directory services (edit, verify, add), the staleness warning at its boundary, and the
admin site where administrators keep the directory."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.contrib import admin as django_admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client as HttpClient
from django.urls import reverse
from django.utils import timezone

from casemgmt.accounts.models import Agency, Team, User
from clients.models import PayerType
from referrals import models as referral_models
from referrals.directory_selectors import search_services, user_agency, verification_warning
from referrals.models import Organization, Phone, Service, ServiceStatus
from referrals.services.directory import (
    organization_create,
    service_create,
    service_search_vectors_refresh,
    service_update,
    service_verify,
)

from .dir_factories import OrganizationFactory, ServiceFactory, TermFactory

pytestmark = pytest.mark.django_db


def days_ago(n: int) -> dt.date:
    return timezone.localdate() - dt.timedelta(days=n)


# --- The staleness warning ----------------------------------------------------------------


@pytest.mark.parametrize(("age", "stale"), [(0, False), (179, False), (180, False), (181, True)])
def test_warning_at_the_default_boundary(team_north: Team, age: int, stale: bool) -> None:
    agency = team_north.agency
    assert agency.stale_directory_days == 180
    service = ServiceFactory.create(last_verified_on=days_ago(age))
    warning = verification_warning(service, agency)
    if stale:
        assert warning is not None
        assert warning.startswith("Not verified since ")
    else:
        assert warning is None


def test_warning_follows_the_agency_setting(team_north: Team) -> None:
    Agency.objects.filter(pk=team_north.agency_id).update(stale_directory_days=30)
    agency = Agency.objects.get(pk=team_north.agency_id)
    assert (
        verification_warning(ServiceFactory.create(last_verified_on=days_ago(30)), agency) is None
    )
    assert verification_warning(ServiceFactory.create(last_verified_on=days_ago(31)), agency)
    assert verification_warning(ServiceFactory.create(last_verified_on=days_ago(179)), agency)


def test_never_verified(team_north: Team) -> None:
    service = ServiceFactory.create(last_verified_on=None)
    assert verification_warning(service, team_north.agency) == "Never verified"


def test_warning_names_the_date(team_north: Team) -> None:
    service = ServiceFactory.create(last_verified_on=dt.date(2020, 3, 5))
    assert verification_warning(service, team_north.agency) == "Not verified since March 5, 2020"


def test_the_agency_of_a_user(case_manager: User, admin: User, team_north: Team) -> None:
    assert user_agency(case_manager) == team_north.agency
    # An administrator in no team gets the installation's agency.
    assert user_agency(admin) == team_north.agency


# --- Editing ------------------------------------------------------------------------------


def test_admin_updates_what_a_referral_depends_on(admin: User) -> None:
    housing = TermFactory.create(name="Housing")
    service = ServiceFactory.create(name="Bridge", accepting_new_clients=True)
    service_update(
        actor=admin,
        service=service,
        data={
            "status": ServiceStatus.ACTIVE,
            "accepting_new_clients": False,
            "wait_time_days": 21,
            "capacity_note": " Waitlist only. ",
            "payers_accepted": [PayerType.MEDICAID, PayerType.MEDICAID],
            "languages": ["Spanish", " spanish", "Haitian Creole"],
            "minimum_age": 18,
            "maximum_age": None,
            "eligibility_description": "Families with children.",
            "required_documents": ["Photo ID", "Lease"],
            "categories": [housing],
        },
        organization_is_internal=True,
    )
    service.refresh_from_db()
    assert service.accepting_new_clients is False
    assert service.wait_time_days == 21
    assert service.capacity_note == "Waitlist only."
    assert service.payers_accepted == [PayerType.MEDICAID]
    assert service.languages == ["Spanish", "Haitian Creole"]
    assert list(service.categories.all()) == [housing]
    assert service.organization is not None
    assert service.organization.is_internal is True
    latest = service.history.latest()
    assert latest.history_user == admin
    assert latest.history_change_reason == "Directory details updated"
    # The search vector follows: the new category finds it.
    assert [s.name for s in search_services(q="housing")] == ["Bridge"]


def test_only_administrators_change_the_directory(
    case_manager: User, supervisor: User, admin: User
) -> None:
    service = ServiceFactory.create()
    for actor in (case_manager, supervisor):
        with pytest.raises(PermissionDenied):
            service_update(actor=actor, service=service, data={"wait_time_days": 3})
        with pytest.raises(PermissionDenied):
            service_verify(actor=actor, service=service)
        with pytest.raises(PermissionDenied):
            organization_create(actor=actor, data={"name": "X"})
        with pytest.raises(PermissionDenied):
            service_create(
                actor=actor, organization=OrganizationFactory.create(), data={"name": "X"}
            )
    admin.is_active = False
    with pytest.raises(PermissionDenied):
        service_verify(actor=admin, service=service)


def test_ages_must_be_in_order(admin: User) -> None:
    service = ServiceFactory.create()
    with pytest.raises(ValidationError) as caught:
        service_update(actor=admin, service=service, data={"minimum_age": 30, "maximum_age": 18})
    assert "maximum_age" in caught.value.message_dict


# --- Verifying ----------------------------------------------------------------------------


def test_verification_records_who_and_when(admin: User) -> None:
    service = ServiceFactory.create(
        last_verified_on=None, wait_time_days=30, accepting_new_clients=False
    )
    service_verify(actor=admin, service=service, wait_time_days=10, accepting_new_clients=True)
    service.refresh_from_db()
    assert service.last_verified_on == timezone.localdate()
    assert service.last_verified_by == admin
    assert (service.wait_time_days, service.accepting_new_clients) == (10, True)
    assert service.history.latest().history_change_reason == "Verified with the provider"


def test_verification_without_news_keeps_availability(admin: User) -> None:
    service = ServiceFactory.create(
        last_verified_on=days_ago(400),
        wait_time_days=30,
        accepting_new_clients=False,
        capacity_note="Full",
    )
    service_verify(actor=admin, service=service)
    service.refresh_from_db()
    assert service.last_verified_on == timezone.localdate()
    assert (service.wait_time_days, service.accepting_new_clients) == (30, False)
    assert service.capacity_note == "Full"


# --- Adding -------------------------------------------------------------------------------


def test_adding_an_organization_and_a_service(admin: User) -> None:
    organization = organization_create(
        actor=admin, data={"name": " Hope Network ", "is_internal": False}
    )
    assert isinstance(organization.pk, uuid.UUID)
    assert organization.pk.version == 4
    assert organization.name == "Hope Network"
    service = service_create(
        actor=admin,
        organization=organization,
        data={
            "name": "Tenant Counseling",
            "description": "Know your rights before an eviction hearing.",
            "languages": ["English"],
            "categories": [TermFactory.create(name="Legal")],
        },
    )
    assert service.pk.version == 4
    assert service.status == ServiceStatus.ACTIVE
    assert service.last_verified_on is None
    assert [s.name for s in search_services(q="eviction hearing")] == ["Tenant Counseling"]
    assert [s.name for s in search_services(q="hope network")] == ["Tenant Counseling"]
    assert [s.name for s in search_services(q="legal")] == ["Tenant Counseling"]


def test_a_service_needs_a_name(admin: User) -> None:
    organization = OrganizationFactory.create()
    with pytest.raises(ValidationError) as caught:
        service_create(actor=admin, organization=organization, data={"name": "  "})
    assert "name" in caught.value.message_dict
    assert not Service.objects.exists()


def test_refreshing_every_vector() -> None:
    service = ServiceFactory.create(name="Pantry")
    Service.objects.filter(pk=service.pk).update(search_vector=None, name="Market")
    assert service_search_vectors_refresh() >= 1
    assert [s.name for s in search_services(q="market")] == ["Market"]
    assert service_search_vectors_refresh(service_ids=[]) == 0


# --- The admin site -----------------------------------------------------------------------


def test_no_client_data_in_the_admin() -> None:
    for model in (
        referral_models.Referral,
        referral_models.ReferralEvent,
        referral_models.ReferralOption,
        referral_models.ProviderLink,
        referral_models.ProviderLinkAccess,
    ):
        assert not django_admin.site.is_registered(model)
    for directory_model in (
        referral_models.Organization,
        referral_models.Service,
        referral_models.Location,
        referral_models.TaxonomyTerm,
        referral_models.Taxonomy,
    ):
        assert django_admin.site.is_registered(directory_model)


def test_admin_pages_open(client: HttpClient, admin: User) -> None:
    service = ServiceFactory.create(cities=[("Miami", "33125")], categories=[TermFactory.create()])
    client.force_login(admin)
    for name in ("organization", "service", "location", "taxonomyterm", "taxonomy"):
        assert client.get(reverse(f"admin:referrals_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:referrals_{name}_add")).status_code == 200
    assert (
        client.get(reverse("admin:referrals_service_change", args=[service.pk])).status_code == 200
    )
    location = service.service_at_locations.get().location
    assert (
        client.get(reverse("admin:referrals_location_change", args=[location.pk])).status_code
        == 200
    )


def _inline_management(prefix: str, total: int = 0) -> dict[str, str]:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_admin_adds_a_service_with_a_phone(client: HttpClient, admin: User) -> None:
    organization = OrganizationFactory.create(name="Harbor House")
    client.force_login(admin)
    data = {
        "organization": str(organization.pk),
        "name": "Crisis beds",
        "status": ServiceStatus.ACTIVE,
        "accepting_new_clients": "on",
        "languages": "English,Spanish",
        "required_documents": "",
        "payers_accepted": [PayerType.MEDICAID],
        **_inline_management("service_at_locations"),
        **_inline_management("phones", 1),
        "phones-0-number": "305-555-0199",
        "phones-0-languages": "",
        **_inline_management("contacts"),
        **_inline_management("schedules"),
    }
    response = client.post(reverse("admin:referrals_service_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    service = Service.objects.get(name="Crisis beds")
    assert service.pk.version == 4
    assert service.payers_accepted == [PayerType.MEDICAID]
    phone = Phone.objects.get(service=service)
    assert phone.pk.version == 4
    assert [s.name for s in search_services(q="harbor")] == ["Crisis beds"]


def test_admin_renaming_an_organization_refreshes_its_services(
    client: HttpClient, admin: User
) -> None:
    organization = OrganizationFactory.create(name="Old Name")
    ServiceFactory.create(name="Meals", organization=organization)
    client.force_login(admin)
    response = client.post(
        reverse("admin:referrals_organization_change", args=[organization.pk]),
        {
            "name": "Sunrise Kitchen",
            "alternate_name": "",
            "description": "",
            "email": "",
            "website": "",
            "tax_status": "",
            "tax_id": "",
            "year_incorporated": "",
            "legal_status": "",
            **_inline_management("phones"),
            **_inline_management("contacts"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Organization.objects.get(pk=organization.pk).name == "Sunrise Kitchen"
    assert [s.name for s in search_services(q="sunrise")] == ["Meals"]


def test_admin_action_marks_verified_today(client: HttpClient, admin: User) -> None:
    service = ServiceFactory.create(last_verified_on=None)
    client.force_login(admin)
    response = client.post(
        reverse("admin:referrals_service_changelist"),
        {"action": "verify_today", "_selected_action": [str(service.pk)]},
    )
    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.last_verified_on, service.last_verified_by) == (timezone.localdate(), admin)
