"""Export the provider directory as an HSDS 3.0 Tabular Data Package: one CSV per table and a
datapackage.json describing them, based on the specification's own descriptor.

Rows are streamed table by table from server-side cursors, so memory stays flat however large
the directory is; outside a transaction the whole export reads one consistent snapshot."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any

from django.db import connection, transaction
from django.utils import timezone

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
from .serializers import (
    TABLES,
    Values,
    accessibility_values,
    address_values,
    attribute_values,
    contact_values,
    csv_row,
    languages_of,
    location_values,
    organization_values,
    phone_values,
    required_documents_of,
    schedule_values,
    service_at_location_values,
    service_values,
    taxonomy_term_values,
    taxonomy_values,
)

CHUNK_SIZE = 2000

#: Each table written, with its file name as the specification's descriptor gives it.
RESOURCE_PATHS: dict[str, str] = {
    "organization": "organizations.csv",
    "service": "services.csv",
    "attribute": "attributes.csv",
    "service_at_location": "service_at_location.csv",
    "location": "locations.csv",
    "phone": "phones.csv",
    "contact": "contacts.csv",
    "address": "addresses.csv",
    "schedule": "schedules.csv",
    "required_document": "required_documents.csv",
    "language": "languages.csv",
    "accessibility": "accessibility.csv",
    "taxonomy_term": "taxonomy_terms.csv",
    "taxonomy": "taxonomies.csv",
}

_PACKAGE = {
    "name": "human_services_data",
    "title": "Human Services Data Specification",
    "description": "HSDS describes data about organizations, the services they provide, the "
    "locations at which these services can be accessed, and associated details.",
    "profile": "tabular-data-package",
    "version": "3.0.0",
    "homepage": "http://docs.openreferral.org",
    "license": {
        "url": "https://creativecommons.org/licenses/by-sa/4.0/",
        "type": "CC-BY-SA-4.0",
        "name": "Creative Commons Attribution-ShareAlike 4.0",
    },
}


def descriptor() -> dict[str, Any]:
    """datapackage.json: the specification's descriptor, narrowed to the tables written."""
    resources = []
    for table, path in RESOURCE_PATHS.items():
        fields = []
        foreign_keys = []
        for field in TABLES[table]:
            spec: dict[str, Any] = {"name": field.name, "type": field.type}
            if field.format:
                spec["format"] = field.format
            constraints: dict[str, Any] = {"required": field.required, "unique": field.unique}
            if field.enum:
                constraints["enum"] = list(field.enum)
            spec["constraints"] = constraints
            fields.append(spec)
            if field.references:
                foreign_keys.append(
                    {
                        "fields": field.name,
                        "reference": {"resource": field.references, "fields": "id"},
                    }
                )
        schema: dict[str, Any] = {"fields": fields, "primaryKey": "id"}
        if foreign_keys:
            schema["foreignKeys"] = foreign_keys
        resources.append(
            {
                "name": table,
                "path": path,
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "profile": "tabular-data-resource",
                "schema": schema,
            }
        )
    return _PACKAGE | {"created": timezone.now().isoformat(), "resources": resources}


# --- Rows, table by table ----------------------------------------------------------------


def _organizations() -> Iterator[Values]:
    for org in Organization.objects.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
        yield organization_values(org)


def _services() -> Iterator[Values]:
    services = Service.objects.defer("search_vector").order_by("pk")
    for service in services.iterator(chunk_size=CHUNK_SIZE):
        yield service_values(service)


def _attributes() -> Iterator[Values]:
    links = Service.categories.through.objects.order_by("service_id", "taxonomyterm_id")
    pairs = links.values_list("service_id", "taxonomyterm_id")
    for service_id, term_id in pairs.iterator(chunk_size=CHUNK_SIZE):
        yield attribute_values(service_id, term_id)


def _service_at_locations() -> Iterator[Values]:
    for sal in ServiceAtLocation.objects.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
        yield service_at_location_values(sal)


def _locations() -> Iterator[Values]:
    for location in Location.objects.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
        yield location_values(location)


def _phones() -> Iterator[Values]:
    for phone in Phone.objects.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
        yield phone_values(phone)


def _contacts() -> Iterator[Values]:
    for contact in Contact.objects.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
        yield contact_values(contact)


def _addresses() -> Iterator[Values]:
    for address in Address.objects.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
        yield address_values(address)


def _schedules() -> Iterator[Values]:
    for schedule in Schedule.objects.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
        yield schedule_values(schedule)


def _required_documents() -> Iterator[Values]:
    rows = (
        Service.objects.exclude(required_documents=[])
        .order_by("pk")
        .values_list("id", "required_documents")
    )
    for service_id, documents in rows.iterator(chunk_size=CHUNK_SIZE):
        yield from required_documents_of(service_id, documents)


def _languages() -> Iterator[Values]:
    services = Service.objects.exclude(languages=[]).order_by("pk").values_list("id", "languages")
    for service_id, names in services.iterator(chunk_size=CHUNK_SIZE):
        yield from languages_of(names, service_id=service_id)
    phones = Phone.objects.exclude(languages=[]).order_by("pk").values_list("id", "languages")
    for phone_id, names in phones.iterator(chunk_size=CHUNK_SIZE):
        yield from languages_of(names, phone_id=phone_id)


def _accessibility() -> Iterator[Values]:
    for accessibility in Accessibility.objects.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
        yield accessibility_values(accessibility)


def _taxonomy_terms() -> Iterator[Values]:
    terms = TaxonomyTerm.objects.select_related("taxonomy").order_by("pk")
    for term in terms.iterator(chunk_size=CHUNK_SIZE):
        yield taxonomy_term_values(term)


def _taxonomies() -> Iterator[Values]:
    for taxonomy in Taxonomy.objects.order_by("pk").iterator(chunk_size=CHUNK_SIZE):
        yield taxonomy_values(taxonomy)


_ROWS: dict[str, Callable[[], Iterator[Values]]] = {
    "organization": _organizations,
    "service": _services,
    "attribute": _attributes,
    "service_at_location": _service_at_locations,
    "location": _locations,
    "phone": _phones,
    "contact": _contacts,
    "address": _addresses,
    "schedule": _schedules,
    "required_document": _required_documents,
    "language": _languages,
    "accessibility": _accessibility,
    "taxonomy_term": _taxonomy_terms,
    "taxonomy": _taxonomies,
}

# --- Writing ----------------------------------------------------------------------------

OpenMember = Callable[[str], AbstractContextManager[IO[str]]]


@contextmanager
def _snapshot() -> Iterator[None]:
    """One read-only, repeatable-read transaction, so an import running meanwhile cannot
    leave the tables disagreeing; inside a caller's transaction, that one is used."""
    if connection.in_atomic_block:
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        yield


def _write(open_member: OpenMember) -> dict[str, int]:
    counts: dict[str, int] = {}
    with _snapshot():
        for table, path in RESOURCE_PATHS.items():
            with open_member(path) as stream:
                writer = csv.writer(stream)
                writer.writerow([field.name for field in TABLES[table]])
                count = 0
                for values in _ROWS[table]():
                    writer.writerow(csv_row(table, values))
                    count += 1
            counts[table] = count
    with open_member("datapackage.json") as stream:
        json.dump(descriptor(), stream, indent=2, ensure_ascii=False)
        stream.write("\n")
    return counts


def export_to_directory(directory: Path) -> dict[str, int]:
    """Write the package's files into `directory` (made if missing); rows written per table."""
    directory.mkdir(parents=True, exist_ok=True)

    def open_member(name: str) -> AbstractContextManager[IO[str]]:
        return (directory / name).open("w", encoding="utf-8", newline="")

    return _write(open_member)


def export_to_zip(target: IO[bytes]) -> dict[str, int]:
    """Write the package as one zip archive into a binary stream (a file or a response)."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:

        @contextmanager
        def open_member(name: str) -> Iterator[IO[str]]:
            with archive.open(name, "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                try:
                    yield text
                finally:
                    text.flush()
                    text.detach()

        return _write(open_member)
