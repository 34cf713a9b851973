"""Factories for the provider directory's HSDS tables; `make_directory()`, a small but
complete directory (two organizations; services with every related row) for the export and
the HSDS and directory APIs; and the HSDS 3.0 specification's files to validate against."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from typing import Any, cast

import factory
import jsonschema
import pytest
from django.contrib.postgres.search import SearchVector
from django.db.models import Value
from django.utils import timezone
from factory.django import DjangoModelFactory
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from clients.models import PayerType
from referrals.models import (
    Accessibility,
    Address,
    Contact,
    Location,
    LocationType,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    ServiceStatus,
    Taxonomy,
    TaxonomyTerm,
)

from ..shared_data import HSDS_SPEC_DIR


class OrganizationFactory(DjangoModelFactory[Organization]):
    class Meta:
        model = Organization

    id = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Organization {n}")
    description = "Community services."


class TaxonomyFactory(DjangoModelFactory[Taxonomy]):
    class Meta:
        model = Taxonomy

    id = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Taxonomy {n}")


class TaxonomyTermFactory(DjangoModelFactory[TaxonomyTerm]):
    class Meta:
        model = TaxonomyTerm

    id = factory.LazyFunction(uuid.uuid4)
    taxonomy = factory.SubFactory(TaxonomyFactory)
    code = factory.Sequence(lambda n: f"T-{n}")
    name = factory.Sequence(lambda n: f"Category {n}")


class ServiceFactory(DjangoModelFactory[Service]):
    class Meta:
        model = Service
        skip_postgeneration_save = True

    id = factory.LazyFunction(uuid.uuid4)
    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "A service."
    status = ServiceStatus.ACTIVE

    @factory.post_generation
    def categories(self, create: bool, extracted: list[TaxonomyTerm] | None, **kw: Any) -> None:
        if create and extracted:
            cast(Service, self).categories.set(extracted)


class LocationFactory(DjangoModelFactory[Location]):
    class Meta:
        model = Location

    id = factory.LazyFunction(uuid.uuid4)
    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Site {n}")
    location_type = LocationType.PHYSICAL


class AddressFactory(DjangoModelFactory[Address]):
    class Meta:
        model = Address

    id = factory.LazyFunction(uuid.uuid4)
    location = factory.SubFactory(LocationFactory)
    address_1 = factory.Sequence(lambda n: f"{100 + n} Main Street")
    city = "Miami"
    state_province = "FL"
    postal_code = "33125"
    country = "US"


class AccessibilityFactory(DjangoModelFactory[Accessibility]):
    class Meta:
        model = Accessibility

    id = factory.LazyFunction(uuid.uuid4)
    location = factory.SubFactory(LocationFactory)
    description = "Step-free entrance"


class ServiceAtLocationFactory(DjangoModelFactory[ServiceAtLocation]):
    class Meta:
        model = ServiceAtLocation

    id = factory.LazyFunction(uuid.uuid4)
    service = factory.SubFactory(ServiceFactory)
    location = factory.SubFactory(LocationFactory)


class ContactFactory(DjangoModelFactory[Contact]):
    class Meta:
        model = Contact

    id = factory.LazyFunction(uuid.uuid4)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.org")


class PhoneFactory(DjangoModelFactory[Phone]):
    class Meta:
        model = Phone

    id = factory.LazyFunction(uuid.uuid4)
    number = factory.Sequence(lambda n: f"305-555-{n % 10000:04d}")
    type = "voice"


class ScheduleFactory(DjangoModelFactory[Schedule]):
    class Meta:
        model = Schedule

    id = factory.LazyFunction(uuid.uuid4)
    freq = "WEEKLY"
    byday = "MO,TU,WE,TH,FR"
    opens_at = dt.time(9, 0)
    closes_at = dt.time(17, 0)


def refresh_search_vectors() -> None:
    """Build the services' search vectors, as the directory's services do after a write."""
    for service in Service.objects.select_related("organization"):
        Service.objects.filter(pk=service.pk).update(
            search_vector=SearchVector(
                "name",
                "description",
                Value(service.organization.name if service.organization else ""),
                config="english",
            )
        )


def full_service(organization: Organization, **fields: Any) -> Service:
    """A service with one of every related row: a phone (with languages) and a contact (with
    a phone), a weekly schedule, and a location with an address, accessibility, a phone, a
    schedule and a contact, offered there with a phone, a schedule and a contact of its own."""
    categories = fields.pop("categories", [])
    fields.setdefault("languages", ["English", "Spanish"])
    fields.setdefault("required_documents", ["Photo ID", "Proof of income"])
    service = ServiceFactory.create(organization=organization, categories=categories, **fields)
    PhoneFactory.create(service=service, extension="12", languages=["Spanish"])
    contact = ContactFactory.create(service=service, title="Intake coordinator")
    PhoneFactory.create(contact=contact)
    ScheduleFactory.create(service=service, valid_from=dt.date(2025, 1, 1))
    location = LocationFactory.create(
        organization=organization,
        latitude=Decimal("25.761700"),
        longitude=Decimal("-80.191800"),
        transportation="Bus 7 stops outside.",
    )
    AddressFactory.create(location=location)
    AddressFactory.create(location=location, address_type=LocationType.POSTAL, country="us")
    AccessibilityFactory.create(location=location, details="Ramp at the side door.")
    PhoneFactory.create(location=location)
    ScheduleFactory.create(location=location, byday="SA", opens_at=dt.time(10, 0))
    ContactFactory.create(location=location)
    sal = ServiceAtLocationFactory.create(service=service, location=location)
    PhoneFactory.create(service_at_location=sal, extension="")
    ScheduleFactory.create(service_at_location=sal, freq="monthly", byday="1MO")
    ContactFactory.create(service_at_location=sal)
    return service


@dataclass
class Directory:
    north_star: Organization
    own_program: Organization
    taxonomy: Taxonomy
    housing: TaxonomyTerm
    shelter: TaxonomyTerm
    counseling: TaxonomyTerm
    food: TaxonomyTerm
    services: dict[str, Service] = field(default_factory=dict)


def make_directory() -> Directory:
    """Two organizations (one the agency's own program), a taxonomy with four categories,
    and four services of varied status, languages, intake and categories."""
    taxonomy = TaxonomyFactory.create(
        name="Casework categories", uri="https://example.org/taxonomy", version="1"
    )
    housing = TaxonomyTermFactory.create(
        taxonomy=taxonomy, code="BH", name="Housing", description="Somewhere to live."
    )
    shelter = TaxonomyTermFactory.create(
        taxonomy=taxonomy, code="BH-180", name="Emergency shelter", parent=housing
    )
    counseling = TaxonomyTermFactory.create(
        taxonomy=taxonomy, code="RP-1400", name="Counseling", term_uri="example.org/rp-1400"
    )
    food = TaxonomyTermFactory.create(taxonomy=None, code="", name="Food pantry")

    north_star = OrganizationFactory.create(
        name="North Star Community Services",
        alternate_name="North Star",
        email="info@northstar.example.org",
        website="www.northstar.example.org",
        year_incorporated=1998,
        tax_status="501(c)(3)",
    )
    own_program = OrganizationFactory.create(
        name="Casework Agency Programs", description="", is_internal=True
    )
    ContactFactory.create(organization=north_star, name="Front desk")
    PhoneFactory.create(organization=north_star, number="305-555-0000")

    directory = Directory(north_star, own_program, taxonomy, housing, shelter, counseling, food)
    directory.services["shelter"] = full_service(
        north_star,
        name="Family Shelter",
        description="Emergency beds for families with children.",
        url="https://northstar.example.org/shelter",
        email="shelter@northstar.example.org",
        categories=[housing, shelter],
        accepting_new_clients=True,
        wait_time="About a week",
        wait_time_days=7,
        minimum_age=0,
        maximum_age=99,
        payers_accepted=[PayerType.MEDICAID],
        last_verified_on=dt.date(2026, 10, 1),
        last_modified=timezone.now(),
    )
    directory.services["counseling"] = full_service(
        north_star,
        name="Counseling for Adults",
        description="Talk therapy for depression and anxiety.",
        categories=[counseling],
        languages=["English", "Haitian Creole"],
        accepting_new_clients=False,
        wait_time_days=30,
        minimum_age=18,
    )
    directory.services["pantry"] = full_service(
        own_program,
        name="Agency Food Pantry",
        description="Groceries twice a week.",
        categories=[food],
        languages=["spanish"],
        required_documents=[],
    )
    directory.services["closed"] = ServiceFactory.create(
        organization=north_star,
        name="Old Drop-in Center",
        status=ServiceStatus.TEMPORARILY_CLOSED,
        languages=[],
    )
    refresh_search_vectors()
    return directory


# --- The HSDS 3.0 specification ------------------------------------------------------------

#: The specification's files (schemas, OpenAPI, descriptor), from shared/ beside the repo.
SPEC_DIR = HSDS_SPEC_DIR


@cache
def _spec_file(relative: str) -> Any:
    return json.loads((SPEC_DIR / relative).read_text(encoding="utf-8"))


def spec_json(relative: str) -> Any:
    """A JSON file of the specification, e.g. "schema/compiled/service.json". A missing
    specification fails the test: the export must be validated, never silently skipped."""
    if not (SPEC_DIR / relative).is_file():
        pytest.fail(f"The HSDS 3.0 specification is not at {SPEC_DIR} (set HSDS_SPEC_DIR).")
    return _spec_file(relative)


def tabular_schema(table: str) -> dict[str, Any]:
    """The compiled schema of one table's row, with the fields HSDS requires in CSV form."""
    schema = dict(spec_json("schema/compiled/tabular.json")["properties"][table]["items"])
    schema["required"] = [*schema.get("required", []), *schema.get("tabular_required", [])]
    return schema


@cache
def _registry() -> Registry[Any]:
    """The specification's schemas by file name, for the "$ref": "address.json" some of the
    compiled schemas still hold."""
    resources = [
        (
            path.name,
            DRAFT202012.create_resource(json.loads(path.read_text(encoding="utf-8"))),
        )
        for path in sorted((SPEC_DIR / "schema").glob("*.json"))
        if path.name != "openapi.json"
    ]
    return Registry().with_resources(resources)


def assert_valid(instance: Any, schema: dict[str, Any]) -> None:
    """Validate with every error listed (and formats such as uuid, email and date checked)."""
    validator_class = jsonschema.validators.validator_for(
        schema, default=jsonschema.Draft202012Validator
    )
    validator = validator_class(
        schema, format_checker=validator_class.FORMAT_CHECKER, registry=_registry()
    )
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]
    assert not errors, errors
