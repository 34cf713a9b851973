"""Factories for the provider directory: organizations, services with their locations and
categories (search vectors refreshed as the services would), and sent referrals for the
quality figures."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from careplans.models import Goal
from casemgmt.accounts.models import User
from clients.models import Client
from referrals.models import (
    Address,
    Location,
    Organization,
    Referral,
    ReferralStatus,
    Service,
    ServiceAtLocation,
    TaxonomyTerm,
)
from referrals.services.directory import service_search_vectors_refresh


class OrganizationFactory(DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    id = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Provider {n}")


class TermFactory(DjangoModelFactory[TaxonomyTerm]):
    class Meta:
        model = TaxonomyTerm

    id = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Category {n}")


class ServiceFactory(DjangoModelFactory[Service]):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    id = factory.LazyFunction(uuid.uuid4)
    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    description = ""
    last_verified_on = factory.LazyFunction(timezone.localdate)

    @factory.post_generation
    def categories(self, create: bool, extracted: list[TaxonomyTerm] | None, **kw: Any) -> None:
        if create and extracted:
            self.categories.set(extracted)

    @factory.post_generation
    def cities(self, create: bool, extracted: list[tuple[str, str]] | None, **kw: Any) -> None:
        """`cities=[("Miami", "33125"), …]`: a location with that address for each."""
        if create and extracted:
            for city, postal_code in extracted:
                place(self, city=city, postal_code=postal_code)  # type: ignore[arg-type]

    @classmethod
    def _after_postgeneration(cls, instance: Any, create: bool, results: Any = None) -> None:
        if create:
            service_search_vectors_refresh(service_ids=[instance.pk])


def place(service: Service, *, city: str, postal_code: str) -> Location:
    location = Location.objects.create(
        id=uuid.uuid4(), organization=service.organization, name=f"{service.name} at {city}"
    )
    Address.objects.create(
        id=uuid.uuid4(),
        location=location,
        address_1="1 Main Street",
        city=city,
        state_province="FL",
        postal_code=postal_code,
    )
    ServiceAtLocation.objects.create(id=uuid.uuid4(), service=service, location=location)
    return location


def make_referral(
    *,
    service: Service,
    client: Client,
    goal: Goal,
    case_manager: User,
    status: str = ReferralStatus.SENT,
    sent_on: dt.date | None = None,
    started_after_days: int | None = None,
) -> Referral:
    """A referral in `status`, sent at noon on `sent_on` (None: never sent), the service
    starting `started_after_days` later."""
    sent_at = None
    started = None
    if sent_on is not None:
        sent_at = timezone.make_aware(dt.datetime.combine(sent_on, dt.time(12, 0)))
        if started_after_days is not None:
            started = sent_on + dt.timedelta(days=started_after_days)
    today = timezone.localdate()
    return Referral.objects.create(
        client=client,
        goal=goal,
        service=service,
        case_manager=case_manager,
        status=status,
        reason="Housing",
        presenting_issue_summary="Facing eviction.",
        desired_services="Rental assistance",
        target_date=today + dt.timedelta(days=30),
        review_date=today + dt.timedelta(days=14),
        sent_at=sent_at,
        service_started_on=started,
    )
