"""The provider directory as Open Referral HSDS 3.0 objects.

One list of fields per HSDS table (names, order, types and constraints as in the
specification's Tabular Data Package descriptor) drives the JSON objects of the HSDS API,
the CSV rows of the export and the OpenAPI description, so the three never disagree.

Rows that Casework keeps in an ArrayField (a service's languages and documents to bring, a
phone's languages) or a many-to-many (a service's categories → HSDS attributes) have no id of
their own: theirs is a uuid5 of the parent's id and the value, the same on every export.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, QuerySet
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from rest_framework import serializers

from ..models import (
    Accessibility,
    Address,
    Contact,
    Location,
    Organization,
    Phone,
    Schedule,
    Service,
    ServiceAtLocation,
    Taxonomy,
    TaxonomyTerm,
)

HSDS_VERSION = "3.0"

# --- Fields ------------------------------------------------------------------------------

#: What a field's kind means in Table Schema terms: (type, format).
_KINDS: dict[str, tuple[str, str | None]] = {
    "string": ("string", None),
    "uuid": ("string", "uuid"),
    "email": ("string", "email"),
    "uri": ("string", "uri"),
    "number": ("number", None),
    "date": ("date", None),
    "datetime": ("datetime", None),
    "time": ("time", None),
}


@dataclass(frozen=True)
class HsdsField:
    """One column of an HSDS table, as the specification's descriptor declares it."""

    name: str
    type: str = "string"
    format: str | None = None
    required: bool = False
    unique: bool = False
    enum: tuple[str, ...] = ()
    references: str | None = None


def _f(
    name: str,
    kind: str = "string",
    *,
    required: bool = False,
    unique: bool = False,
    enum: tuple[str, ...] = (),
    ref: str | None = None,
) -> HsdsField:
    type_, format_ = _KINDS[kind]
    return HsdsField(name, type_, format_, required, unique, enum, ref)


_ID = _f("id", "uuid", required=True, unique=True)
_LOCATION_TYPES = ("physical", "postal", "virtual")

#: The HSDS tables Casework holds, in the specification's order, with its column order.
TABLES: dict[str, tuple[HsdsField, ...]] = {
    "organization": (
        _ID,
        _f("name", required=True),
        _f("alternate_name"),
        _f("description", required=True),
        _f("email", "email"),
        _f("website", "uri"),
        _f("tax_status"),
        _f("tax_id"),
        _f("year_incorporated", "number"),
        _f("legal_status"),
        _f("logo"),
        _f("uri", "uri"),
        _f("parent_organization_id", "uuid"),
    ),
    "service": (
        _ID,
        _f("organization_id", "uuid", required=True, ref="organization"),
        _f("program_id", "uuid"),
        _f("name", required=True),
        _f("alternate_name"),
        _f("description"),
        _f("url", "uri"),
        _f("email", "email"),
        _f("status", required=True, enum=("active", "inactive", "defunct", "temporarily closed")),
        _f("interpretation_services"),
        _f("application_process"),
        _f("fees_description"),
        _f("wait_time"),
        _f("fees"),
        _f("accreditations"),
        _f("eligibility_description"),
        _f("minimum_age", "number"),
        _f("maximum_age", "number"),
        _f("assured_date", "date"),
        _f("assurer_email", "email"),
        _f("licenses"),
        _f("alert"),
        _f("last_modified", "datetime"),
    ),
    "attribute": (
        _ID,
        _f("link_id", "uuid", required=True),
        _f("taxonomy_term_id", "uuid", required=True, ref="taxonomy_term"),
        _f("link_type"),
        _f("link_entity", required=True),
        _f("value"),
    ),
    "service_at_location": (
        _ID,
        _f("service_id", "uuid", required=True, ref="service"),
        _f("location_id", "uuid", required=True, ref="location"),
        _f("description"),
    ),
    "location": (
        _ID,
        _f("location_type", required=True, enum=_LOCATION_TYPES),
        _f("url", "uri"),
        _f("organization_id", "uuid", ref="organization"),
        _f("name"),
        _f("alternate_name"),
        _f("description"),
        _f("transportation"),
        _f("latitude", "number"),
        _f("longitude", "number"),
        _f("external_identifier"),
        _f("external_identifier_type"),
    ),
    "phone": (
        _ID,
        _f("location_id", "uuid", ref="location"),
        _f("service_id", "uuid", ref="service"),
        _f("organization_id", "uuid", ref="organization"),
        _f("contact_id", "uuid", ref="contact"),
        _f("service_at_location_id", "uuid", ref="service_at_location"),
        _f("number", required=True),
        _f("extension", "number"),
        _f("type"),
        _f("description"),
    ),
    "contact": (
        _ID,
        _f("organization_id", "uuid", ref="organization"),
        _f("service_id", "uuid", ref="service"),
        _f("service_at_location_id", "uuid", ref="service_at_location"),
        _f("location_id", "uuid", ref="location"),
        _f("name"),
        _f("title"),
        _f("department"),
        _f("email", "email"),
    ),
    "address": (
        _ID,
        _f("location_id", "uuid", ref="location"),
        _f("attention"),
        _f("address_1", required=True),
        _f("address_2"),
        _f("city", required=True),
        _f("region"),
        _f("state_province", required=True),
        _f("postal_code", required=True),
        _f("country", required=True),
        _f("address_type", required=True, enum=_LOCATION_TYPES),
    ),
    "schedule": (
        _ID,
        _f("service_id", "uuid", ref="service"),
        _f("location_id", "uuid", ref="location"),
        _f("service_at_location_id", "uuid", ref="service_at_location"),
        _f("valid_from", "date"),
        _f("valid_to", "date"),
        _f("dtstart", "date"),
        _f("timezone", "number"),
        _f("until", "date"),
        _f("count", "number"),
        _f("wkst", enum=("MO", "TU", "WE", "TH", "FR", "SA", "SU")),
        _f("freq", enum=("WEEKLY", "MONTHLY")),
        _f("interval", "number"),
        _f("byday"),
        _f("byweekno"),
        _f("bymonthday"),
        _f("byyearday"),
        _f("description"),
        _f("opens_at", "time"),
        _f("closes_at", "time"),
        _f("schedule_link", "uri"),
        _f("attending_type"),
        _f("notes"),
    ),
    "required_document": (
        _ID,
        _f("service_id", "uuid", ref="service"),
        _f("document"),
        _f("uri", "uri"),
    ),
    "language": (
        _ID,
        _f("service_id", "uuid", ref="service"),
        _f("location_id", "uuid", ref="location"),
        _f("phone_id", "uuid", ref="phone"),
        _f("name"),
        _f("code"),
        _f("note"),
    ),
    "accessibility": (
        _ID,
        _f("location_id", "uuid", ref="location"),
        _f("description"),
        _f("details"),
        _f("url", "uri"),
    ),
    "taxonomy_term": (
        _ID,
        _f("code", unique=True),
        _f("name", required=True),
        _f("description", required=True),
        _f("parent_id", "uuid"),
        _f("taxonomy"),
        _f("language"),
        _f("taxonomy_id", "uuid", ref="taxonomy"),
        _f("term_uri", "uri"),
    ),
    "taxonomy": (
        _ID,
        _f("name", required=True),
        _f("description", required=True),
        _f("uri", "uri"),
        _f("version"),
    ),
}

Values = dict[str, Any]

# --- Cleaning values ---------------------------------------------------------------------

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
_CODE = re.compile(r"^[a-z]{2,3}$")

#: ISO 639 codes for the languages a directory usually lists by name.
LANGUAGE_CODES: dict[str, str] = {
    "american sign language": "ase",
    "amharic": "am",
    "arabic": "ar",
    "bengali": "bn",
    "cantonese": "yue",
    "chinese": "zh",
    "english": "en",
    "farsi": "fa",
    "french": "fr",
    "german": "de",
    "haitian creole": "ht",
    "hindi": "hi",
    "italian": "it",
    "japanese": "ja",
    "korean": "ko",
    "mandarin": "cmn",
    "persian": "fa",
    "polish": "pl",
    "portuguese": "pt",
    "russian": "ru",
    "somali": "so",
    "spanish": "es",
    "tagalog": "tl",
    "ukrainian": "uk",
    "urdu": "ur",
    "vietnamese": "vi",
}


def language_code(name: str) -> str | None:
    """The ISO 639 code of a language listed by name (or already by code)."""
    key = name.strip().lower()
    if key in LANGUAGE_CODES:
        return LANGUAGE_CODES[key]
    return key if _CODE.match(key) else None


def _uri(value: str) -> str | None:
    """A web address as an absolute URI; bare host names ("www.example.org") get http://."""
    value = value.strip()
    if not value or any(c.isspace() for c in value):
        return None
    return value if _SCHEME.match(value) else f"http://{value}"


def _email(value: str) -> str | None:
    value = value.strip()
    if "@" not in value or any(c.isspace() for c in value):
        return None
    return value


def _extension(value: str) -> int | None:
    """HSDS types a phone extension as a number: keep its digits."""
    digits = re.sub(r"\D", "", value)
    return int(digits) if digits else None


def _country(value: str) -> str:
    """ISO 3166-1 alpha-2; the model's default when the row holds something else."""
    value = value.strip().upper()
    return value if len(value) == 2 and value.isalpha() else "US"


def _freq(value: str) -> str | None:
    value = value.strip().upper()
    return value if value in ("WEEKLY", "MONTHLY") else None


def _byday(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def _id(value: uuid.UUID | None) -> str | None:
    return str(value) if value is not None else None


def derived_id(parent_id: uuid.UUID | str, kind: str, value: str) -> uuid.UUID:
    """The stable id of a row that Casework keeps inside its parent (see the module doc)."""
    parent = parent_id if isinstance(parent_id, uuid.UUID) else uuid.UUID(str(parent_id))
    return uuid.uuid5(parent, f"{kind}:{value}")


def _distinct(values: Iterable[str]) -> Iterator[str]:
    seen: set[str] = set()
    for value in values:
        value = value.strip()
        if value and value not in seen:
            seen.add(value)
            yield value


# --- Values of one row, per table ---------------------------------------------------------


def organization_values(org: Organization) -> Values:
    return {
        "id": _id(org.id),
        "name": org.name,
        "alternate_name": org.alternate_name,
        # Required by HSDS; an organization without one is described by its name.
        "description": org.description or org.name,
        "email": _email(org.email),
        "website": _uri(org.website),
        "tax_status": org.tax_status,
        "tax_id": org.tax_id,
        "year_incorporated": org.year_incorporated,
        "legal_status": org.legal_status,
    }


def service_values(service: Service) -> Values:
    return {
        "id": _id(service.id),
        "organization_id": _id(service.organization_id),
        "name": service.name,
        "alternate_name": service.alternate_name,
        "description": service.description,
        "url": _uri(service.url),
        "email": _email(service.email),
        "status": service.status,
        "interpretation_services": service.interpretation_services,
        "application_process": service.application_process,
        "fees_description": service.fees_description,
        "wait_time": service.wait_time,
        "accreditations": service.accreditations,
        "eligibility_description": service.eligibility_description,
        "minimum_age": service.minimum_age,
        "maximum_age": service.maximum_age,
        "assured_date": service.last_verified_on,
        "licenses": service.licenses,
        "alert": service.alert,
        "last_modified": service.last_modified,
    }


def location_values(location: Location) -> Values:
    return {
        "id": _id(location.id),
        "location_type": location.location_type,
        "url": _uri(location.url),
        "organization_id": _id(location.organization_id),
        "name": location.name,
        "alternate_name": location.alternate_name,
        "description": location.description,
        "transportation": location.transportation,
        "latitude": location.latitude,
        "longitude": location.longitude,
    }


def address_values(address: Address) -> Values:
    return {
        "id": _id(address.id),
        "location_id": _id(address.location_id),
        "attention": address.attention,
        "address_1": address.address_1,
        "address_2": address.address_2,
        "city": address.city,
        "region": address.region,
        "state_province": address.state_province,
        "postal_code": address.postal_code,
        "country": _country(address.country),
        "address_type": address.address_type,
    }


def accessibility_values(accessibility: Accessibility) -> Values:
    return {
        "id": _id(accessibility.id),
        "location_id": _id(accessibility.location_id),
        "description": accessibility.description,
        "details": accessibility.details,
        "url": _uri(accessibility.url),
    }


def service_at_location_values(sal: ServiceAtLocation) -> Values:
    return {
        "id": _id(sal.id),
        "service_id": _id(sal.service_id),
        "location_id": _id(sal.location_id),
        "description": sal.description,
    }


def contact_values(contact: Contact) -> Values:
    return {
        "id": _id(contact.id),
        "organization_id": _id(contact.organization_id),
        "service_id": _id(contact.service_id),
        "service_at_location_id": _id(contact.service_at_location_id),
        "location_id": _id(contact.location_id),
        "name": contact.name,
        "title": contact.title,
        "department": contact.department,
        "email": _email(contact.email),
    }


def phone_values(phone: Phone) -> Values:
    return {
        "id": _id(phone.id),
        "location_id": _id(phone.location_id),
        "service_id": _id(phone.service_id),
        "organization_id": _id(phone.organization_id),
        "contact_id": _id(phone.contact_id),
        "service_at_location_id": _id(phone.service_at_location_id),
        "number": phone.number,
        "extension": _extension(phone.extension),
        "type": phone.type,
        "description": phone.description,
    }


def schedule_values(schedule: Schedule) -> Values:
    return {
        "id": _id(schedule.id),
        "service_id": _id(schedule.service_id),
        "location_id": _id(schedule.location_id),
        "service_at_location_id": _id(schedule.service_at_location_id),
        "valid_from": schedule.valid_from,
        "valid_to": schedule.valid_to,
        "freq": _freq(schedule.freq),
        "interval": schedule.interval,
        "byday": _byday(schedule.byday),
        "description": schedule.description,
        "opens_at": schedule.opens_at,
        "closes_at": schedule.closes_at,
        "notes": schedule.notes,
    }


def taxonomy_values(taxonomy: Taxonomy) -> Values:
    return {
        "id": _id(taxonomy.id),
        "name": taxonomy.name,
        "description": taxonomy.description or taxonomy.name,
        "uri": _uri(taxonomy.uri),
        "version": taxonomy.version,
    }


def taxonomy_term_values(term: TaxonomyTerm) -> Values:
    """Reads `term.taxonomy`: select it with the term."""
    return {
        "id": _id(term.id),
        "code": term.code,
        "name": term.name,
        "description": term.description or term.name,
        "parent_id": _id(term.parent_id),
        "taxonomy": term.taxonomy.name if term.taxonomy is not None else None,
        "taxonomy_id": _id(term.taxonomy_id),
        "term_uri": _uri(term.term_uri),
    }


def language_values(
    name: str, *, service_id: uuid.UUID | None = None, phone_id: uuid.UUID | None = None
) -> Values:
    parent = service_id or phone_id
    if parent is None:
        raise ValueError("A language belongs to a service or a phone.")
    return {
        "id": _id(derived_id(parent, "language", name)),
        "service_id": _id(service_id),
        "phone_id": _id(phone_id),
        "name": name,
        "code": language_code(name),
    }


def required_document_values(service_id: uuid.UUID, document: str) -> Values:
    return {
        "id": _id(derived_id(service_id, "required_document", document)),
        "service_id": _id(service_id),
        "document": document,
    }


def attribute_values(service_id: uuid.UUID, term_id: uuid.UUID) -> Values:
    """A service's category: an HSDS attribute linking the service to a taxonomy term."""
    return {
        "id": _id(derived_id(service_id, "attribute", str(term_id))),
        "link_id": _id(service_id),
        "taxonomy_term_id": _id(term_id),
        "link_entity": "service",
    }


def languages_of(
    names: Iterable[str], *, service_id: uuid.UUID | None = None, phone_id: uuid.UUID | None = None
) -> Iterator[Values]:
    for name in _distinct(names):
        yield language_values(name, service_id=service_id, phone_id=phone_id)


def required_documents_of(service_id: uuid.UUID, documents: Iterable[str]) -> Iterator[Values]:
    for document in _distinct(documents):
        yield required_document_values(service_id, document)


# --- Rendering: JSON and CSV ---------------------------------------------------------------


def _utc(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _json_value(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return _utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return _utc(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        # The descriptor types these columns `time`, whose default format is HH:MM:SS.
        return value.strftime("%H:%M:%S")
    return str(value)


def record(table: str, values: Values) -> dict[str, Any]:
    """The HSDS JSON object of one row: the table's fields in order; empty optional fields
    are left out (HSDS types them as strings and numbers, never null)."""
    result: dict[str, Any] = {}
    for field in TABLES[table]:
        value = values.get(field.name)
        if value is None or value == "":
            if field.required:
                result[field.name] = ""
            continue
        result[field.name] = _json_value(value)
    return result


def csv_row(table: str, values: Values) -> list[str]:
    """One CSV row of the table, in the descriptor's column order."""
    return [_csv_value(values.get(field.name)) for field in TABLES[table]]


# --- Nested objects of the HSDS API --------------------------------------------------------


def _languages(names: Iterable[str], **parent: uuid.UUID) -> list[dict[str, Any]]:
    return [record("language", values) for values in languages_of(names, **parent)]


def phone_object(phone: Phone) -> dict[str, Any]:
    return record("phone", phone_values(phone)) | {
        "languages": _languages(phone.languages, phone_id=phone.id)
    }


def schedule_object(schedule: Schedule) -> dict[str, Any]:
    return record("schedule", schedule_values(schedule))


def contact_object(contact: Contact) -> dict[str, Any]:
    return record("contact", contact_values(contact)) | {
        "phones": [phone_object(p) for p in contact.phones.all()]
    }


def location_object(location: Location) -> dict[str, Any]:
    return record("location", location_values(location)) | {
        "languages": [],
        "addresses": [record("address", address_values(a)) for a in location.addresses.all()],
        "contacts": [contact_object(c) for c in location.contacts.all()],
        "accessibility": [
            record("accessibility", accessibility_values(a)) for a in location.accessibility.all()
        ],
        "phones": [phone_object(p) for p in location.phones.all()],
        "schedules": [schedule_object(s) for s in location.schedules.all()],
    }


def service_at_location_object(sal: ServiceAtLocation) -> dict[str, Any]:
    return record("service_at_location", service_at_location_values(sal)) | {
        "contacts": [contact_object(c) for c in sal.contacts.all()],
        "phones": [phone_object(p) for p in sal.phones.all()],
        "schedules": [schedule_object(s) for s in sal.schedules.all()],
        "location": location_object(sal.location),
    }


def taxonomy_term_object(term: TaxonomyTerm) -> dict[str, Any]:
    obj = record("taxonomy_term", taxonomy_term_values(term))
    if term.taxonomy is not None:
        obj["taxonomy_detail"] = record("taxonomy", taxonomy_values(term.taxonomy))
    return obj


def organization_object(org: Organization) -> dict[str, Any]:
    return record("organization", organization_values(org))


def service_object(service: Service, *, full: bool = True) -> dict[str, Any]:
    """An HSDS service: its own fields and its organization; with `full`, every related row
    too (load it from `services_for_hsds(full=True)`, which prefetches them)."""
    obj = record("service", service_values(service))
    if service.organization is None:
        # The compiled schema does not require a service's organization: an imported service
        # whose organization the file lacked is described without one. (In CSV the tabular
        # descriptor marks the column required; its cell is left empty.)
        obj.pop("organization_id", None)
    else:
        obj["organization"] = organization_object(service.organization)
    if not full:
        return obj
    obj["phones"] = [phone_object(p) for p in service.phones.all()]
    obj["schedules"] = [schedule_object(s) for s in service.schedules.all()]
    obj["service_at_locations"] = [
        service_at_location_object(sal) for sal in service.service_at_locations.all()
    ]
    obj["languages"] = _languages(service.languages, service_id=service.id)
    obj["required_documents"] = [
        record("required_document", values)
        for values in required_documents_of(service.id, service.required_documents)
    ]
    obj["contacts"] = [contact_object(c) for c in service.contacts.all()]
    obj["attributes"] = [
        record("attribute", attribute_values(service.id, term.id))
        | {"taxonomy_term": taxonomy_term_object(term)}
        for term in service.categories.all()
    ]
    return obj


def _phones() -> Prefetch:
    return Prefetch("phones", queryset=Phone.objects.order_by("number", "pk"))


def _contacts(lookup: str = "contacts") -> Prefetch:
    return Prefetch(
        lookup, queryset=Contact.objects.order_by("name", "pk").prefetch_related(_phones())
    )


def _schedules(lookup: str = "schedules") -> Prefetch:
    return Prefetch(lookup, queryset=Schedule.objects.order_by("valid_from", "byday", "pk"))


def services_for_hsds(*, full: bool) -> QuerySet[Service]:
    """Services with what `service_object(full=…)` reads, in a fixed number of queries."""
    queryset = Service.objects.select_related("organization").defer("search_vector")
    if not full:
        return queryset
    locations = Prefetch(
        "service_at_locations",
        queryset=ServiceAtLocation.objects.select_related("location")
        .order_by("location__name", "pk")
        .prefetch_related(
            _contacts(),
            _phones(),
            _schedules(),
            Prefetch("location__addresses", queryset=Address.objects.order_by("pk")),
            Prefetch("location__accessibility", queryset=Accessibility.objects.order_by("pk")),
            Prefetch("location__phones", queryset=Phone.objects.order_by("number", "pk")),
            _schedules("location__schedules"),
            _contacts("location__contacts"),
        ),
    )
    return queryset.prefetch_related(
        _phones(),
        _schedules(),
        _contacts(),
        locations,
        Prefetch("categories", queryset=TaxonomyTerm.objects.select_related("taxonomy")),
    )


# --- OpenAPI description ------------------------------------------------------------------

_OPENAPI_TYPES: dict[str, dict[str, str]] = {
    "string": {"type": "string"},
    "number": {"type": "number"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
    "time": {"type": "string", "pattern": r"^\d{2}:\d{2}$"},
}


def _openapi_object(table: str, **children: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for field in TABLES[table]:
        schema: dict[str, Any] = dict(_OPENAPI_TYPES[field.type])
        if field.format:
            schema["format"] = field.format
        if field.enum:
            schema["enum"] = list(field.enum)
        properties[field.name] = schema
    properties.update(children)
    return {
        "type": "object",
        "required": [f.name for f in TABLES[table] if f.required],
        "properties": properties,
    }


def _array(item: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": item}


def _service_schema() -> dict[str, Any]:
    language = _openapi_object("language")
    phone = _openapi_object("phone", languages=_array(language))
    schedule = _openapi_object("schedule")
    contact = _openapi_object("contact", phones=_array(phone))
    location = _openapi_object(
        "location",
        languages=_array(language),
        addresses=_array(_openapi_object("address")),
        contacts=_array(contact),
        accessibility=_array(_openapi_object("accessibility")),
        phones=_array(phone),
        schedules=_array(schedule),
    )
    term = _openapi_object("taxonomy_term", taxonomy_detail=_openapi_object("taxonomy"))
    schema = _openapi_object(
        "service",
        organization=_openapi_object("organization"),
        phones=_array(phone),
        schedules=_array(schedule),
        service_at_locations=_array(
            _openapi_object(
                "service_at_location",
                contacts=_array(contact),
                phones=_array(phone),
                schedules=_array(schedule),
                location=location,
            )
        ),
        languages=_array(language),
        required_documents=_array(_openapi_object("required_document")),
        contacts=_array(contact),
        attributes=_array(_openapi_object("attribute", taxonomy_term=term)),
    )
    schema["description"] = (
        "An Open Referral HSDS 3.0 service. Lists carry its own fields and its organization; "
        "the service's page (and lists with full=true) add every related array."
    )
    return schema


class HsdsServiceSerializer(serializers.BaseSerializer[Service]):
    """Renders a service as an HSDS object; `context={"full": False}` for list entries."""

    def to_representation(self, instance: Service) -> dict[str, Any]:
        return service_object(instance, full=self.context.get("full", True))


class HsdsServiceSchema(OpenApiSerializerExtension):
    target_class = HsdsServiceSerializer

    def get_name(self, auto_schema: AutoSchema, direction: Any) -> str:
        return "HsdsService"

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        return _service_schema()


class HsdsServicePageSerializer(serializers.Serializer[Any]):
    """The HSDS `Page` envelope around a list of services."""

    total_items = serializers.IntegerField(help_text="How many services match.")
    total_pages = serializers.IntegerField(help_text="How many pages they fill.")
    page_number = serializers.IntegerField(help_text="This page's number, from 1.")
    size = serializers.IntegerField(help_text="How many services this page holds.")
    first_page = serializers.BooleanField()
    last_page = serializers.BooleanField()
    empty = serializers.BooleanField(help_text="True when this page holds no service.")
    contents = HsdsServiceSerializer(many=True)


class HsdsApiInfoSerializer(serializers.Serializer[Any]):
    version = serializers.CharField(help_text="The HSDS version of this API.")
    profile = serializers.URLField(help_text="Where the HSDS profile of this API is described.")
    openapi_url = serializers.URLField(help_text="The OpenAPI description this API follows.")


def page_envelope(
    *,
    items: list[Any],
    render: Callable[[Any], dict[str, Any]],
    total: int,
    page: int,
    per_page: int,
) -> dict[str, Any]:
    """The HSDS `Page` object: 1-based page numbers; a page past the end is empty."""
    total_pages = -(-total // per_page)
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": len(items),
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": not items,
        "contents": [render(item) for item in items],
    }
